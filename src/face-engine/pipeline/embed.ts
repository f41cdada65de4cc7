import { asUint8, rawInput, type Photo } from './decode.js';
import { RECOGNITION_CHIP_SIDE as CHIP_SIDE } from './fused-recognition.js';
import type { ReadyEngine } from './models.js';
import { withMirrors } from './nets.js';
import {
  alignedChip,
  faceGeometry,
  meanOfNormalised,
  type FaceGeometry,
  type Point,
  type RgbImage,
} from './raster.js';

/**
 * A face's chips are cut from the reduced copy of a large JPEG (see `decode`) when the face spans
 * at least this many of its pixels (the chip is then still downsampled, never enlarged); smaller
 * faces are cut from a full decode.
 */
const MIN_CHIP_SOURCE_SIDE = 2 * CHIP_SIDE;

/** The upright dlib chip, cut from the full image and resized with Lanczos; black outside it. */
async function uprightChip(
  image: RgbImage,
  [left, top, side]: FaceGeometry['box'],
): Promise<Uint8Array> {
  const x = Math.round(left);
  const y = Math.round(top);
  const s = Math.max(1, Math.round(side));
  const scale = CHIP_SIDE / s;
  const l0 = Math.min(image.width - 1, Math.max(0, x));
  const t0 = Math.min(image.height - 1, Math.max(0, y));
  const r0 = Math.max(l0 + 1, Math.min(image.width, x + s));
  const b0 = Math.max(t0 + 1, Math.min(image.height, y + s));
  const padLeft = Math.min(CHIP_SIDE - 1, Math.round((l0 - x) * scale));
  const padTop = Math.min(CHIP_SIDE - 1, Math.round((t0 - y) * scale));
  const width = Math.min(CHIP_SIDE - padLeft, Math.max(1, Math.round((r0 - l0) * scale)));
  const height = Math.min(CHIP_SIDE - padTop, Math.max(1, Math.round((b0 - t0) * scale)));
  const chip = await rawInput(image)
    .extract({ left: l0, top: t0, width: r0 - l0, height: b0 - t0 })
    .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
    .extend({
      top: padTop,
      left: padLeft,
      bottom: CHIP_SIDE - padTop - height,
      right: CHIP_SIDE - padLeft - width,
      background: { r: 0, g: 0, b: 0 },
    })
    .raw()
    .toBuffer();
  return asUint8(chip);
}

/** The face's 128-d descriptor from the chips cut from `image`, in whose pixels `landmarks` are. */
export async function embed(
  { nets }: ReadyEngine,
  image: RgbImage,
  landmarks: Point[],
): Promise<Float32Array> {
  const geometry = faceGeometry(landmarks);
  const chips = [alignedChip(image, geometry, CHIP_SIDE), await uprightChip(image, geometry.box)];
  // Each chip and its mirror image, in the order the mean has always summed them, in one forward
  // pass, which gives the same descriptors as four single passes in less time.
  return meanOfNormalised(await nets.describe(withMirrors(chips, CHIP_SIDE)));
}

/** The pixels a face's chips are cut from, and its landmarks in their coordinates. */
export async function chipSource(
  photo: Photo,
  landmarks: Point[],
  decodeFull: () => Promise<RgbImage>,
): Promise<{ image: RgbImage; landmarks: Point[] }> {
  if (!photo.full) {
    const reduced = landmarks.map(([x, y]): Point => [x / photo.scale, y / photo.scale]);
    if (faceGeometry(reduced).size >= MIN_CHIP_SOURCE_SIDE) {
      return { image: photo.detection, landmarks: reduced };
    }
    photo.full = await decodeFull();
  }
  return { image: photo.full, landmarks };
}
