import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { projectRoot } from '../../common/project-root.js';
import { chipRegion } from './embed.js';
import { decode, decodeRegion, storedRegion, type PixelRegion } from './decode.js';
import { alignedChip, cropRgb, type FaceGeometry, type RgbImage } from './raster.js';

const MAX_PIXELS = 40_000_000;
const photo = readFileSync(join(projectRoot(), 'test', 'fixtures', 'person-a-1.jpg'));

/** The whole upright photo, as the small-photo path of `decode` holds it. */
async function whole(bytes: Uint8Array): Promise<RgbImage> {
  const decoded = await decode(bytes, MAX_PIXELS);
  assert.ok(decoded.full, 'a photo this small is decoded whole');
  return decoded.full;
}

describe('decodeRegion', () => {
  // Regions at the corners and across the middle, so that a turn or a mirror put wrong shows.
  const regions: PixelRegion[] = [
    { x: 0, y: 0, width: 40, height: 25 },
    { x: 100, y: 200, width: 90, height: 130 },
    { x: 7, y: 300, width: 60, height: 11 },
  ];

  for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`should give the pixels of the whole decode for EXIF orientation ${orientation}`, async () => {
      // Lossless, so that the stored pixels are the same whichever part is decoded.
      const bytes = await sharp(photo).png().withMetadata({ orientation }).toBuffer();
      const upright = await whole(bytes);
      const sideways = orientation >= 5;
      assert.equal(upright.width, sideways ? 512 : 330);
      for (const region of regions) {
        const part = await decodeRegion(bytes, MAX_PIXELS, region);
        assert.deepEqual(
          { width: part.width, height: part.height },
          { width: region.width, height: region.height },
        );
        assert.ok(
          Buffer.from(part.data).equals(Buffer.from(cropRgb(upright, region).data)),
          `region ${JSON.stringify(region)}`,
        );
      }
    });
  }

  it('should map a region of the upright photo into the stored pixels', () => {
    const stored = { width: 300, height: 200 };
    const region = { x: 10, y: 20, width: 30, height: 40 };
    assert.deepEqual(storedRegion(region, 1, stored), region);
    assert.deepEqual(storedRegion(region, 3, stored), { x: 260, y: 140, width: 30, height: 40 });
    // Orientation 6 shows the stored pixels turned a quarter clockwise: upright x runs down the
    // stored rows from the bottom, upright y along the stored columns.
    assert.deepEqual(storedRegion(region, 6, stored), { x: 20, y: 160, width: 40, height: 30 });
    assert.deepEqual(storedRegion(region, 8, stored), { x: 240, y: 10, width: 40, height: 30 });
  });
});

describe('chipRegion', () => {
  const image: RgbImage = (() => {
    const width = 400;
    const height = 300;
    const data = new Uint8Array(width * height * 3);
    for (let index = 0; index < data.length; index++) data[index] = (index * 7919) % 251;
    return { data, width, height };
  })();

  const geometries: FaceGeometry[] = [
    { size: 120, angle: 0, centre: [200, 150] },
    { size: 160, angle: 0.6, centre: [210.3, 140.7] },
    // Reaching over the photo's left and top edges, where the chip reads black.
    { size: 150, angle: -0.3, centre: [30.5, 20.25] },
  ];

  for (const geometry of geometries) {
    it(`should hold every pixel the chip reads (size ${geometry.size}, angle ${geometry.angle})`, () => {
      const region = chipRegion(geometry, image);
      const [cx, cy] = geometry.centre;
      const fromRegion = alignedChip(cropRgb(image, region), {
        ...geometry,
        centre: [cx - region.x, cy - region.y],
      });
      const fromWhole = alignedChip(image, geometry);
      let worst = 0;
      for (let index = 0; index < fromWhole.length; index++) {
        worst = Math.max(worst, Math.abs(fromRegion[index] - fromWhole[index]));
      }
      assert.ok(worst < 1e-6, `largest difference ${worst}`);
      assert.ok(region.width * region.height < image.width * image.height);
    });
  }
});
