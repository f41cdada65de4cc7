import type { Photo } from './decode.js';
import { RECOGNITION_CHIP_SIDE as CHIP_SIDE } from './fused-recognition.js';
import type { ReadyEngine } from './models.js';
import { withMirrors } from './nets.js';
import {
  alignedChip,
  dlibChipGeometry,
  meanOfNormalised,
  type FaceGeometry,
  type Point,
  type RgbImage,
} from './raster.js';

/**
 * The margin around the mean face that dlib's recognition net was trained with
 * (`get_face_chip(image, shape, 150, 0.25)`): a quarter of the face on every side.
 */
const CHIP_PADDING = 0.25;

/**
 * A face's chip is cut from the reduced copy of a large JPEG (see `decode`) when the chip spans
 * at least this many of its pixels (it is then still downsampled, never enlarged); smaller faces
 * are cut from a full decode.
 */
const MIN_CHIP_SOURCE_SIDE = 2 * CHIP_SIDE;

/**
 * The face's 128-d descriptor from the chip dlib's net was trained on, cut from `image` where
 * `geometry` (from `chipSource`) places it, and the chip's mirror image: the mean of the two
 * L2-normalised descriptors, computed in one batch.
 */
export async function embed(
  { nets }: ReadyEngine,
  image: RgbImage,
  geometry: FaceGeometry,
): Promise<Float32Array> {
  const chip = alignedChip(image, geometry, CHIP_SIDE);
  return meanOfNormalised(await nets.describe(withMirrors([chip], CHIP_SIDE)));
}

/**
 * The pixels a face's chip is cut from, and where the chip lies in them, from the face's
 * landmarks in full-resolution pixels.
 */
export async function chipSource(
  photo: Photo,
  landmarks: Point[],
  decodeFull: () => Promise<RgbImage>,
): Promise<{ image: RgbImage; geometry: FaceGeometry }> {
  if (!photo.full) {
    const reduced = landmarks.map(([x, y]): Point => [x / photo.scale, y / photo.scale]);
    const geometry = dlibChipGeometry(reduced, CHIP_SIDE, CHIP_PADDING);
    if (geometry.size >= MIN_CHIP_SOURCE_SIDE) return { image: photo.detection, geometry };
    photo.full = await decodeFull();
  }
  return { image: photo.full, geometry: dlibChipGeometry(landmarks, CHIP_SIDE, CHIP_PADDING) };
}
