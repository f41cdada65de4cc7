import type { Photo, PixelRegion } from './decode.js';
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
 * A face's chip is cut from the reduced copy of a large photo (see `decode`) when the chip spans
 * at least this many of its pixels (it is then still downsampled, never enlarged); a smaller face
 * is cut from a full-resolution decode of the region around it.
 */
const MIN_CHIP_SOURCE_SIDE = 2 * CHIP_SIDE;

/**
 * Pixels beyond the chip's own square that its sampling reads: the bilinear neighbour, and
 * rounding.
 */
const CHIP_REGION_MARGIN = 2;

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
 * landmarks in full-resolution pixels: the photo's own pixels where it was decoded whole or its
 * reduced copy is enough, else `decodeRegion` of the chip's surroundings.
 */
export async function chipSource(
  photo: Photo,
  landmarks: Point[],
  decodeRegion: (region: PixelRegion) => Promise<RgbImage>,
): Promise<{ image: RgbImage; geometry: FaceGeometry }> {
  const geometry = dlibChipGeometry(landmarks, CHIP_SIDE, CHIP_PADDING);
  if (photo.full) return { image: photo.full, geometry };
  const reduced = landmarks.map(([x, y]): Point => [x / photo.scale, y / photo.scale]);
  const reducedGeometry = dlibChipGeometry(reduced, CHIP_SIDE, CHIP_PADDING);
  if (reducedGeometry.size >= MIN_CHIP_SOURCE_SIDE) {
    return { image: photo.detection, geometry: reducedGeometry };
  }
  const region = chipRegion(geometry, photo);
  const [cx, cy] = geometry.centre;
  return {
    image: await decodeRegion(region),
    geometry: { ...geometry, centre: [cx - region.x, cy - region.y] },
  };
}

/**
 * The pixels `alignedChip` reads for `geometry`: the turned chip square's bounding box and a
 * margin, within the photo (samples outside it read black either way).
 */
export function chipRegion(
  { size, angle, centre: [cx, cy] }: FaceGeometry,
  photo: { width: number; height: number },
): PixelRegion {
  const half = (size / 2) * (Math.abs(Math.cos(angle)) + Math.abs(Math.sin(angle)));
  const reach = half + CHIP_REGION_MARGIN;
  const x = Math.max(0, Math.floor(cx - reach));
  const y = Math.max(0, Math.floor(cy - reach));
  const right = Math.min(photo.width, Math.ceil(cx + reach));
  const bottom = Math.min(photo.height, Math.ceil(cy + reach));
  return { x, y, width: Math.max(1, right - x), height: Math.max(1, bottom - y) };
}
