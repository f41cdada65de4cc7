import { alignedChip, faceGeometry, mean, type Point, type RgbImage } from './raster.js';

/** Side of the grey chip the measures are taken on: the aligned chip's scale, halved. */
const QUALITY_CHIP_SIDE = 64;
/** The inner part of the chip measured: the eyes, nose and mouth, without hair or background. */
const INNER_FROM = 0.2;
const INNER_TO = 0.8;

/** What a face's pixels and landmarks say about how well it can be recognised. */
export interface FaceQuality {
  /** Distance between the eye centres, in pixels of the full-resolution photo. */
  interOcular: number;
  /** Variance of the Laplacian of the inner face, grey, at a fixed scale: 0 for a featureless patch. */
  sharpness: number;
  /** Standard deviation of the inner face's grey levels (0-255). */
  contrast: number;
  /** The nose tip's offset from the eyes' midpoint, in inter-ocular distances: 0 when frontal. */
  yaw: number;
  /** Angle of the line through the eyes, in degrees. */
  roll: number;
}

/**
 * Measures a face from `image` and its 68 landmarks there; `scale` is full-resolution pixels per
 * pixel of `image`.
 */
export function faceQuality(image: RgbImage, landmarks: Point[], scale: number): FaceQuality {
  const geometry = faceGeometry(landmarks);
  const side = QUALITY_CHIP_SIDE;
  const chip = alignedChip(image, geometry, side);
  const grey = new Float64Array(side * side);
  for (let index = 0; index < grey.length; index++) {
    grey[index] =
      0.299 * chip[index * 3] + 0.587 * chip[index * 3 + 1] + 0.114 * chip[index * 3 + 2];
  }
  const from = Math.round(side * INNER_FROM);
  const to = Math.round(side * INNER_TO);
  let sum = 0;
  let sumSquares = 0;
  let laplacianSum = 0;
  let laplacianSquares = 0;
  let count = 0;
  for (let y = from; y < to; y++) {
    for (let x = from; x < to; x++) {
      const at = y * side + x;
      const value = grey[at];
      const laplacian = grey[at - 1] + grey[at + 1] + grey[at - side] + grey[at + side] - 4 * value;
      sum += value;
      sumSquares += value * value;
      laplacianSum += laplacian;
      laplacianSquares += laplacian * laplacian;
      count++;
    }
  }
  const variance = (total: number, squares: number) =>
    Math.max(0, squares / count - (total / count) ** 2);

  const leftEye = mean(landmarks, 36, 42);
  const rightEye = mean(landmarks, 42, 48);
  const interOcular = Math.hypot(rightEye[0] - leftEye[0], rightEye[1] - leftEye[1]);
  const cos = Math.cos(-geometry.angle);
  const sin = Math.sin(-geometry.angle);
  const nose = landmarks[30];
  const dx = nose[0] - (leftEye[0] + rightEye[0]) / 2;
  const dy = nose[1] - (leftEye[1] + rightEye[1]) / 2;
  return {
    interOcular: interOcular * scale,
    sharpness: variance(laplacianSum, laplacianSquares),
    contrast: Math.sqrt(variance(sum, sumSquares)),
    yaw: interOcular > 0 ? (dx * cos - dy * sin) / interOcular : 0,
    roll: (geometry.angle * 180) / Math.PI,
  };
}
