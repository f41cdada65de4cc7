#!/usr/bin/env node
// Derives the format and orientation fixtures in test/fixtures/ from person-a-1.jpg with sharp, so
// each is the same photo in another encoding; two wrongly tagged ones from person-b-1.jpg and
// person-f-1.jpg; and the composite one (a face printed on a shirt). Re-run after changing a source
// fixture; the outputs are committed.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
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
  // Upright pixels with a wrong tag, as a phone that misread its sensor writes them: once the tag
  // is applied the face lies upside down (3) or on its side (8: turned 90° anticlockwise). Photos
  // whose turned face the detector scores weakly, so that the service looks for it upright.
  'person-b-1-upside-down.jpg': sharp(join(dir, 'person-b-1.jpg'))
    .jpeg({ quality: 92 })
    .withMetadata({ orientation: 3 }),
  'person-f-1-sideways.jpg': sharp(join(dir, 'person-f-1.jpg'))
    .jpeg({ quality: 92 })
    .withMetadata({ orientation: 8 }),
  // The same wrong tag, 6 (the face turned 90° clockwise), on a photo whose face the detector
  // scores confidently on its side (0.96), but in a box wider than tall: the service looks for it
  // upright in the two side turns.
  'person-a-1-sideways.jpg': sharp(source).jpeg({ quality: 92 }).withMetadata({ orientation: 6 }),
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

// Person B with person A's face printed on his chest: person-a-1.jpg's face, with a fifth of its
// size as margin, 84 px wide (the face about 60 x 75 px), on the black T-shirt of person-b-2.jpg.
// The photo is about B; A's face is a picture on him and must not verify A.
const printedFace = await sharp(source)
  .extract({ left: 58, top: 86, width: 230, height: 287 })
  .resize({ width: 84 })
  .toBuffer();
outputs['person-b-2-shirt-a.jpg'] = sharp(join(dir, 'person-b-2.jpg'))
  .composite([{ input: printedFace, left: 458, top: 432 }])
  .jpeg({ quality: 92 });

for (const [name, pipeline] of Object.entries(outputs)) {
  const info = await pipeline.toFile(join(dir, name));
  console.log(
    `${name}: ${info.width}x${info.height} ${info.channels} channels, ${info.size} bytes`,
  );
}

/** A PNG's chunks in order: type and data. */
function pngChunks(png) {
  const chunks = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    chunks.push({
      type: png.toString('latin1', at + 4, at + 8),
      data: png.subarray(at + 8, at + 8 + length),
    });
    at += 12 + length;
  }
  return chunks;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An animated PNG (APNG) of same-sized PNG frames, looping; the first is the default image. */
function apng(frames, delayMs) {
  const parsed = frames.map(pngChunks);
  const ihdr = parsed[0].find((c) => c.type === 'IHDR').data;
  for (const chunks of parsed) {
    if (!chunks.find((c) => c.type === 'IHDR').data.equals(ihdr)) throw new Error('frames differ');
  }
  const actl = Buffer.alloc(8);
  actl.writeUInt32BE(frames.length, 0); // frames; 0 plays = forever
  let sequence = 0;
  const fctl = () => {
    const data = Buffer.alloc(26);
    data.writeUInt32BE(sequence++, 0);
    ihdr.copy(data, 4, 0, 8); // the whole canvas, at 0,0
    data.writeUInt16BE(delayMs, 20);
    data.writeUInt16BE(1000, 22);
    return chunk('fcTL', data);
  };
  const out = [Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('acTL', actl)];
  parsed.forEach((chunks, index) => {
    out.push(fctl());
    for (const { data } of chunks.filter((c) => c.type === 'IDAT')) {
      if (index === 0) {
        out.push(chunk('IDAT', data));
      } else {
        const numbered = Buffer.alloc(4);
        numbered.writeUInt32BE(sequence++, 0);
        out.push(chunk('fdAT', Buffer.concat([numbered, data])));
      }
    }
  });
  out.push(chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(out);
}

// An animated PNG: the photo (220 px wide) for half a second, then a blank grey frame. sharp
// writes no APNG, so the frames are encoded by it and the animation chunks (acTL, fcTL, fdAT)
// put around them here. A decoder that used any frame but the first would find no face.
const photo = await sharp(source).resize({ width: 220 }).png({ compressionLevel: 9 }).toBuffer();
const { width, height } = await sharp(photo).metadata();
const blank = await sharp({
  create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 } },
})
  .png({ compressionLevel: 9 })
  .toBuffer();
const animated = apng([photo, blank], 500);
writeFileSync(join(dir, 'person-a-1-animated.png'), animated);
console.log(`person-a-1-animated.png: ${width}x${height}, 2 frames, ${animated.length} bytes`);
