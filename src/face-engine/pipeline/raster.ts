/** An 8-bit RGB image, row-major, 3 bytes per pixel. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export type Point = [x: number, y: number];

/**
 * A copy of `image` with a black border of `fraction` x its longer side on every side. Tight crops
 * (ID photos, avatars, the ORL faces) fill the frame more than the scenes the SSD detector was
 * trained on; a border gives them the context it expects.
 */
export function padBlack(image: RgbImage, fraction: number): { image: RgbImage; offset: number } {
  const offset = Math.round(fraction * Math.max(image.width, image.height));
  const width = image.width + 2 * offset;
  const height = image.height + 2 * offset;
  const data = new Uint8Array(width * height * 3);
  const row = image.width * 3;
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * row, (y + 1) * row), ((y + offset) * width + offset) * 3);
  }
  return { image: { data, width, height }, offset };
}

/** Where a face sits, derived from its 68 landmarks the way dlib (and face-api) align faces. */
export interface FaceGeometry {
  /** Side of the square face chip, in source pixels. */
  size: number;
  /** Roll: the angle of the line through the eyes, in radians. */
  angle: number;
  /** Centre of the rotated chip. */
  centre: Point;
  /** The upright chip: left, top, side. */
  box: [left: number, top: number, side: number];
}

function mean(points: Point[], from: number, to: number): Point {
  let x = 0;
  let y = 0;
  for (let index = from; index < to; index++) {
    x += points[index][0];
    y += points[index][1];
  }
  return [x / (to - from), y / (to - from)];
}

/**
 * The chip geometry of face-api's `FaceLandmarks.alignDlib` (eyes 36-47, mouth 48-67), without
 * clipping to the image, plus the roll angle so the chip can be turned upright.
 */
export function faceGeometry(landmarks: Point[]): FaceGeometry {
  const leftEye = mean(landmarks, 36, 42);
  const rightEye = mean(landmarks, 42, 48);
  const mouth = mean(landmarks, 48, 68);
  const centre: Point = [
    (leftEye[0] + rightEye[0] + mouth[0]) / 3,
    (leftEye[1] + rightEye[1] + mouth[1]) / 3,
  ];
  const distance = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  const size = Math.floor((distance(mouth, leftEye) + distance(mouth, rightEye)) / 2 / 0.45);
  const angle = Math.atan2(rightEye[1] - leftEye[1], rightEye[0] - leftEye[0]);
  return {
    size,
    angle,
    box: [centre[0] - 0.5 * size, centre[1] - 0.43 * size, size],
    centre: [centre[0] - 0.07 * size * Math.sin(angle), centre[1] + 0.07 * size * Math.cos(angle)],
  };
}

/**
 * The face chip turned upright (roll removed) and resampled to `side` x `side` float RGB, with
 * box-filter supersampling so a large face is not aliased; black outside the image.
 */
export function alignedChip(image: RgbImage, geometry: FaceGeometry, side = 150): Float32Array {
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
      let r = 0;
      let g = 0;
      let b = 0;
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
          const sample = (channel: number) =>
            (pixel(x0, y0, channel) * (1 - fx) + pixel(x0 + 1, y0, channel) * fx) * (1 - fy) +
            (pixel(x0, y0 + 1, channel) * (1 - fx) + pixel(x0 + 1, y0 + 1, channel) * fx) * fy;
          r += sample(0);
          g += sample(1);
          b += sample(2);
        }
      }
      const offset = (v * side + u) * 3;
      const count = samples * samples;
      out[offset] = r / count;
      out[offset + 1] = g / count;
      out[offset + 2] = b / count;
    }
  }
  return out;
}

/** Mean of the L2-normalised vectors: each view of the face counts the same. */
export function meanOfNormalised(vectors: ArrayLike<number>[]): Float32Array {
  const length = vectors[0].length;
  const sum = new Float64Array(length);
  for (const vector of vectors) {
    let norm = 0;
    for (let index = 0; index < length; index++) norm += vector[index] * vector[index];
    norm = Math.sqrt(norm) || 1;
    for (let index = 0; index < length; index++) sum[index] += vector[index] / norm;
  }
  return Float32Array.from(sum, (value) => value / vectors.length);
}
