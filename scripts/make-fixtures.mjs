#!/usr/bin/env node
// Derives the format and orientation fixtures in test/fixtures/ from person-a-1.jpg with sharp, so
// each is the same photo in another encoding. Re-run after changing a source fixture; the outputs
// are committed.
import { join } from 'node:path';
import sharp from 'sharp';

const dir = join(import.meta.dirname, '..', 'test', 'fixtures');
const source = join(dir, 'person-a-1.jpg');

const outputs = {
  // Pixels stored turned 90° anticlockwise, with the EXIF tag (6) that tells viewers to turn them
  // back: what a phone writes for a portrait photo.
  'person-a-1-exif6.jpg': sharp(source)
    .rotate(270)
    .jpeg({ quality: 92 })
    .withMetadata({ orientation: 6 }),
  // Upside down, EXIF 3.
  'person-a-1-exif3.jpg': sharp(source)
    .rotate(180)
    .jpeg({ quality: 92 })
    .withMetadata({ orientation: 3 }),
  'person-a-1-grey.jpg': sharp(source).toColourspace('b-w').jpeg({ quality: 92 }),
  'person-a-1-cmyk.jpg': sharp(source).toColourspace('cmyk').jpeg({ quality: 92 }),
  'person-a-1-16bit.png': sharp(source).toColourspace('rgb16').png(),
  // A cut-out avatar: the photo on a transparent border.
  'person-a-1-alpha.png': sharp(source)
    .ensureAlpha()
    .extend({
      top: 40,
      bottom: 40,
      left: 40,
      right: 40,
      background: { r: 0, g: 0, b: 0, alpha: 0 },
    })
    .png(),
};

for (const [name, pipeline] of Object.entries(outputs)) {
  const info = await pipeline.toFile(join(dir, name));
  console.log(
    `${name}: ${info.width}x${info.height} ${info.channels} channels, ${info.size} bytes`,
  );
}
