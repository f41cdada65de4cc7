import type { Photo } from './decode.js';
import { RECOGNITION_CHIP_SIDE as CHIP_SIDE } from './fused-recognition.js';
import type { ReadyEngine } from './models.js';
import { withMirrors } from './nets.js';
import {
  alignedChip,
  dlibChipGeometry,
  meanOfNormalised,
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
 * The face's 128-d descriptor from the chip dlib's net was trained on, cut from `image` (in whose
 * pixels `landmarks` are), and the chip's mirror image: the mean of the two L2-normalised
 * descriptors, computed in one batch.
 */
export async function embed(
  { nets }: ReadyEngine,
  image: RgbImage,
  landmarks: Point[],
): Promise<Float32Array> {
  const geometry = dlibChipGeometry(landmarks, CHIP_SIDE, CHIP_PADDING);
  const chip = alignedChip(image, geometry, CHIP_SIDE);
  return meanOfNormalised(await nets.describe(withMirrors([chip], CHIP_SIDE)));
}

/** The pixels a face's chip is cut from, and its landmarks in their coordinates. */
export async function chipSource(
  photo: Photo,
  landmarks: Point[],
  decodeFull: () => Promise<RgbImage>,
): Promise<{ image: RgbImage; landmarks: Point[] }> {
  if (!photo.full) {
    const reduced = landmarks.map(([x, y]): Point => [x / photo.scale, y / photo.scale]);
    if (dlibChipGeometry(reduced, CHIP_SIDE, CHIP_PADDING).size >= MIN_CHIP_SOURCE_SIDE) {
      return { image: photo.detection, landmarks: reduced };
    }
    photo.full = await decodeFull();
  }
  return { image: photo.full, landmarks };
}
