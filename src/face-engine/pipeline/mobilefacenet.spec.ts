import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arcFaceGeometry, fivePoints, MOBILEFACENET_CHIP_SIDE } from './mobilefacenet.js';
import { alignedChip, type Point, type RgbImage } from './raster.js';

/** The ArcFace template, as indices of the 112 x 112 chip's pixels. */
const TEMPLATE: Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/** 68 landmarks whose five points are `points`: each eye's six at its centre. */
function landmarksWith([leftEye, rightEye, nose, mouthLeft, mouthRight]: Point[]): Point[] {
  const points: Point[] = new Array<Point>(68).fill([0, 0]);
  for (let index = 36; index < 42; index++) points[index] = leftEye;
  for (let index = 42; index < 48; index++) points[index] = rightEye;
  points[30] = nose;
  points[48] = mouthLeft;
  points[54] = mouthRight;
  return points;
}

/** The template's points in a photo: turned by `angle`, scaled by `scale`, moved by `shift`. */
function placed(angle: number, scale: number, [tx, ty]: Point): Point[] {
  return TEMPLATE.map(([x, y]) => [
    tx + scale * ((x + 0.5) * Math.cos(angle) - (y + 0.5) * Math.sin(angle)),
    ty + scale * ((x + 0.5) * Math.sin(angle) + (y + 0.5) * Math.cos(angle)),
  ]);
}

describe('fivePoints', () => {
  it('should take the eye centres, the nose tip and the mouth corners of the 68', () => {
    const found = fivePoints(landmarksWith(TEMPLATE));
    found.forEach(([x, y], index) => {
      assert.ok(Math.hypot(x - TEMPLATE[index][0], y - TEMPLATE[index][1]) < 1e-9, `${index}`);
    });
  });
});

describe('arcFaceGeometry', () => {
  it('should invert the similarity that placed the template in the photo', () => {
    const [angle, scale, shift] = [0.3, 2.2, [150, 40] as Point];
    const geometry = arcFaceGeometry(landmarksWith(placed(angle, scale, shift)));
    assert.ok(Math.abs(geometry.size - MOBILEFACENET_CHIP_SIDE * scale) < 1e-9);
    assert.ok(Math.abs(geometry.angle - angle) < 1e-9);
    const half = MOBILEFACENET_CHIP_SIDE / 2;
    const centre = [
      shift[0] + scale * (half * Math.cos(angle) - half * Math.sin(angle)),
      shift[1] + scale * (half * Math.sin(angle) + half * Math.cos(angle)),
    ];
    assert.ok(Math.hypot(geometry.centre[0] - centre[0], geometry.centre[1] - centre[1]) < 1e-9);
  });

  it("should cut a chip whose eyes, nose and mouth lie on the template's points", () => {
    // A photo with a bright square at each of the five points of a face turned by 0.2 rad.
    const [width, height] = [400, 300];
    const image: RgbImage = { data: new Uint8Array(width * height * 3), width, height };
    const points = placed(0.2, 1.7, [120, 20]);
    for (const [x, y] of points) {
      for (let dy = -3; dy <= 3; dy++) {
        for (let dx = -3; dx <= 3; dx++) {
          image.data.fill(
            255,
            ((Math.floor(y) + dy) * width + Math.floor(x) + dx) * 3,
            ((Math.floor(y) + dy) * width + Math.floor(x) + dx) * 3 + 3,
          );
        }
      }
    }
    const side = MOBILEFACENET_CHIP_SIDE;
    const chip = alignedChip(image, arcFaceGeometry(landmarksWith(points)), side);
    for (const [x, y] of TEMPLATE) {
      const value = chip[(Math.round(y) * side + Math.round(x)) * 3];
      assert.ok(value > 200, `(${x}, ${y}): ${value}`);
    }
    // And dark between them.
    assert.ok(chip[(20 * side + 56) * 3] < 1);
  });
});
