/**
 * What MobileFaceNet (`MobileFaceNet.tflite`, see docs/models.md) is fed: a 112 x 112 face aligned
 * by five points to the reference positions ArcFace-style models are trained with, in RGB,
 * normalised as (x - 127.5) / 128 (inside the graph built from the file).
 */
import { fitSimilarity, mean, type FaceGeometry, type Point } from './raster.js';

export const MOBILEFACENET_CHIP_SIDE = 112;

/** The net's own input normalisation, applied by its graph to 0..255 pixels. */
export const MOBILEFACENET_NORMALISATION = { mean: 127.5, scale: 128 };

/**
 * The standard five reference points of a 112 x 112 ArcFace chip (insightface's `arcface_dst`):
 * the eye on the left of the image, the other eye, the nose tip, the mouth corners left and right.
 * In pixel indices, as OpenCV's warp reads them: a pixel's centre is at its index.
 */
const ARCFACE_TEMPLATE: Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/**
 * The five points from the 68 landmarks: the centres of the eyes (36-41 and 42-47: the one on the
 * left of the image first), the nose tip (30), the mouth corners (48, 54).
 */
export function fivePoints(landmarks: Point[]): Point[] {
  return [
    mean(landmarks, 36, 42),
    mean(landmarks, 42, 48),
    landmarks[30],
    landmarks[48],
    landmarks[54],
  ];
}

/**
 * Where the 112 x 112 chip lies in the photo: the least-squares similarity transform that carries
 * the face's five points onto the template (fitted in the chip's space, as the reference
 * alignment does), inverted.
 */
export function arcFaceGeometry(landmarks: Point[]): FaceGeometry {
  const side = MOBILEFACENET_CHIP_SIDE;
  // The template's indices to the chip's continuous coordinates (a pixel's centre at + 0.5), in
  // which `alignedChip` places its samples.
  const template = ARCFACE_TEMPLATE.map(([x, y]): Point => [x + 0.5, y + 0.5]);
  const { a, b, fromCentroid, toCentroid } = fitSimilarity(fivePoints(landmarks), template);
  const scale = a * a + b * b;
  // The chip's centre back in the photo: the inverse [[a, b], [-b, a]] / (a^2 + b^2).
  const dx = side / 2 - toCentroid[0];
  const dy = side / 2 - toCentroid[1];
  return {
    size: side / Math.sqrt(scale),
    // The chip's x axis in the photo: the inverse applied to (1, 0).
    angle: Math.atan2(-b, a),
    centre: [
      fromCentroid[0] + (a * dx + b * dy) / scale,
      fromCentroid[1] + (-b * dx + a * dy) / scale,
    ],
  };
}
