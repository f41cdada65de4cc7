import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  alignedChip,
  angleBeforeTurn,
  boxBeforeTurn,
  turnRgb,
  dlibChipGeometry,
  faceGeometry,
  meanOfNormalised,
  padBlack,
  type FaceGeometry,
  type QuarterTurns,
  type Point,
  type RgbImage,
} from './raster.js';

function solid(width: number, height: number, value: number): RgbImage {
  return { data: new Uint8Array(width * height * 3).fill(value), width, height };
}

/** 68 landmarks with the eyes and mouth where a frontal face has them, turned by `angle`. */
function landmarks(angle: number, centre: Point = [100, 100], scale = 40): Point[] {
  const points: Point[] = new Array<Point>(68).fill([0, 0]);
  const place = (x: number, y: number): Point => [
    centre[0] + scale * (x * Math.cos(angle) - y * Math.sin(angle)),
    centre[1] + scale * (x * Math.sin(angle) + y * Math.cos(angle)),
  ];
  for (let index = 36; index < 42; index++) points[index] = place(-1, -1);
  for (let index = 42; index < 48; index++) points[index] = place(1, -1);
  for (let index = 48; index < 68; index++) points[index] = place(0, 1.2);
  return points;
}

describe('padBlack', () => {
  it('should add a black border of the given share of the longer side and keep the pixels', () => {
    const { image, offset } = padBlack(solid(10, 4, 200), 0.5);
    assert.equal(offset, 5);
    assert.equal(image.width, 20);
    assert.equal(image.height, 14);
    assert.equal(image.data[0], 0);
    assert.equal(image.data[(5 * 20 + 5) * 3], 200);
    assert.equal(image.data[(8 * 20 + 14) * 3 + 2], 200);
    assert.equal(image.data[(9 * 20 + 14) * 3], 0);
  });
});

describe('faceGeometry', () => {
  it('should measure the roll from the eyes', () => {
    assert.ok(Math.abs(faceGeometry(landmarks(0)).angle) < 1e-9);
    assert.ok(Math.abs(faceGeometry(landmarks(0.3)).angle - 0.3) < 1e-9);
  });

  it('should give the same chip size whatever the roll', () => {
    assert.ok(Math.abs(faceGeometry(landmarks(0)).size - faceGeometry(landmarks(0.5)).size) <= 1);
  });
});

describe('dlibChipGeometry', () => {
  // An irregular 68-point face (any shape will do: the fit is least squares).
  let seed = 11;
  const random = () => ((seed = (seed * 75 + 74) % 65537) / 65537) * 40;
  const face: Point[] = Array.from({ length: 68 }, (_, index) => [
    60 + (index % 9) * 10 + random(),
    50 + Math.floor(index / 9) * 12 + random(),
  ]);
  const turn = (points: Point[], angle: number, scale: number, [tx, ty]: Point): Point[] =>
    points.map(([x, y]) => [
      tx + scale * (x * Math.cos(angle) - y * Math.sin(angle)),
      ty + scale * (x * Math.sin(angle) + y * Math.cos(angle)),
    ]);

  it('should move, turn and scale the chip with the face', () => {
    const before = dlibChipGeometry(face);
    const [angle, scale, shift] = [0.4, 2.5, [300, -20] as Point];
    const after = dlibChipGeometry(turn(face, angle, scale, shift));
    assert.ok(Math.abs(after.size - before.size * scale) < 1e-6);
    assert.ok(Math.abs(after.angle - before.angle - angle) < 1e-9);
    const [centre] = turn([before.centre], angle, scale, shift);
    assert.ok(Math.hypot(after.centre[0] - centre[0], after.centre[1] - centre[1]) < 1e-6);
  });

  it('should widen the chip with the padding and ignore the eyebrows and the lower lip', () => {
    const tight = dlibChipGeometry(face, 150, 0);
    const padded = dlibChipGeometry(face, 150, 0.25);
    assert.ok(Math.abs(padded.size / tight.size - 1.5) < 1e-9);
    const moved = face.map((point, index): Point =>
      (index >= 17 && index <= 26) || (index >= 55 && index <= 59) || index >= 65
        ? [point[0] + 50, point[1] - 30]
        : point,
    );
    assert.deepEqual(dlibChipGeometry(moved), padded);
    const noseMoved = face.map((point, index): Point => (index === 30 ? [0, 0] : point));
    assert.notDeepEqual(dlibChipGeometry(noseMoved), padded);
  });
});

describe('alignedChip', () => {
  it('should sample inside the image and paint black outside it', () => {
    const image = solid(200, 200, 120);
    const inside = alignedChip(image, faceGeometry(landmarks(0.2)), 150);
    assert.equal(inside.length, 150 * 150 * 3);
    assert.ok(Math.abs(inside[(75 * 150 + 75) * 3] - 120) < 1e-3);
    const nearEdge = alignedChip(image, faceGeometry(landmarks(0, [5, 5])), 150);
    assert.equal(nearEdge[0], 0);
  });

  it('should give exactly what the plain per-sample formulation gives, borders included', () => {
    let seed = 7;
    const data = Uint8Array.from(
      { length: 300 * 240 * 3 },
      () => (seed = (seed * 75 + 74) % 65537) & 255,
    );
    const image: RgbImage = { data, width: 300, height: 240 };
    for (const [angle, centre, scale] of [
      [0.3, [150, 120], 60],
      [-0.5, [20, 200], 40],
      [0, [150, 120], 5],
    ] as [number, Point, number][]) {
      const geometry = faceGeometry(landmarks(angle, centre, scale));
      assert.deepEqual(alignedChip(image, geometry, 150), plainAlignedChip(image, geometry, 150));
    }
  });
});

/** The straightforward reference the optimised `alignedChip` must match value for value. */
function plainAlignedChip(image: RgbImage, geometry: FaceGeometry, side: number): Float32Array {
  const { data, width, height } = image;
  const out = new Float32Array(side * side * 3);
  const samples = Math.min(8, Math.max(1, Math.ceil(geometry.size / side)));
  const cos = Math.cos(geometry.angle);
  const sin = Math.sin(geometry.angle);
  const [cx, cy] = geometry.centre;
  const pixel = (x: number, y: number, channel: number) =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : data[(y * width + x) * 3 + channel];
  for (let v = 0; v < side; v++) {
    for (let u = 0; u < side; u++) {
      const sum = [0, 0, 0];
      for (let j = 0; j < samples; j++) {
        for (let i = 0; i < samples; i++) {
          const a = ((u + (i + 0.5) / samples) / side - 0.5) * geometry.size;
          const c = ((v + (j + 0.5) / samples) / side - 0.5) * geometry.size;
          const x = cx + a * cos - c * sin - 0.5;
          const y = cy + a * sin + c * cos - 0.5;
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          const fx = x - x0;
          const fy = y - y0;
          for (let channel = 0; channel < 3; channel++) {
            sum[channel] +=
              (pixel(x0, y0, channel) * (1 - fx) + pixel(x0 + 1, y0, channel) * fx) * (1 - fy) +
              (pixel(x0, y0 + 1, channel) * (1 - fx) + pixel(x0 + 1, y0 + 1, channel) * fx) * fy;
          }
        }
      }
      for (let channel = 0; channel < 3; channel++) {
        out[(v * side + u) * 3 + channel] = sum[channel] / (samples * samples);
      }
    }
  }
  return out;
}

describe('meanOfNormalised', () => {
  it('should weigh every vector the same whatever its length', () => {
    assert.deepEqual(
      Array.from(
        meanOfNormalised([
          [2, 0],
          [0, 10],
        ]),
      ),
      [0.5, 0.5],
    );
  });
});

describe('quarter turns', () => {
  // 3 x 2, each pixel's red value its index: 0 1 2 / 3 4 5.
  const image: RgbImage = {
    data: Uint8Array.from({ length: 18 }, (_, index) => (index % 3 === 0 ? index / 3 : 0)),
    width: 3,
    height: 2,
  };
  const reds = ({ data }: RgbImage) => Array.from(data).filter((_, index) => index % 3 === 0);

  it('should turn the pixels clockwise', () => {
    assert.deepEqual(reds(turnRgb(image, 1)), [3, 0, 4, 1, 5, 2]);
    assert.deepEqual(reds(turnRgb(image, 2)), [5, 4, 3, 2, 1, 0]);
    assert.deepEqual(reds(turnRgb(image, 3)), [2, 5, 1, 4, 0, 3]);
    assert.deepEqual([turnRgb(image, 1).width, turnRgb(image, 1).height], [2, 3]);
  });

  it('should carry a box found in a turned copy back to the pixels before the turn', () => {
    // The one-pixel box around each pixel, found in each turn, lands on that pixel.
    for (const turns of [0, 1, 2, 3] as QuarterTurns[]) {
      const turned = turnRgb(image, turns);
      for (let index = 0; index < 6; index++) {
        const at = reds(turned).indexOf(index);
        const box = { x: at % turned.width, y: Math.floor(at / turned.width), width: 1, height: 1 };
        assert.deepEqual(
          boxBeforeTurn(box, turns, image),
          { x: index % 3, y: Math.floor(index / 3), width: 1, height: 1 },
          `pixel ${index}, ${turns} turns`,
        );
      }
    }
    assert.deepEqual(boxBeforeTurn({ x: 0, y: 0, width: 2, height: 1 }, 1, image), {
      x: 0,
      y: 0,
      width: 1,
      height: 2,
    });
  });

  it('should take the turn out of an angle, within (-180, 180]', () => {
    assert.equal(angleBeforeTurn(2, 0), 2);
    assert.equal(angleBeforeTurn(2, 1), -88);
    assert.equal(angleBeforeTurn(2, 2), -178);
    assert.equal(angleBeforeTurn(-2, 2), 178);
    assert.equal(angleBeforeTurn(0, 2), 180);
    assert.equal(angleBeforeTurn(2, 3), 92);
  });
});
