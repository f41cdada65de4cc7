import type { FaceModelSetting } from '../../config/environment.js';
import { fuseEmbeddings } from '../face-models.js';
import type { Photo, PixelRegion } from './decode.js';
import { RECOGNITION_CHIP_SIDE as CHIP_SIDE } from './fused-recognition.js';
import { arcFaceGeometry, MOBILEFACENET_CHIP_SIDE } from './mobilefacenet.js';
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
 * at least this many times its side in the copy's pixels (it is then still downsampled, never
 * enlarged); a smaller face is cut from a full-resolution decode of the region around it.
 */
const MIN_CHIP_SOURCE_SCALE = 2;

/** Where a net's chip lies in a photo, from the face's landmarks in that photo's pixels. */
interface ChipShape {
  side: number;
  geometry: (landmarks: Point[]) => FaceGeometry;
}

/** dlib's chip: `get_face_chip(image, shape, 150, 0.25)`. */
const DLIB_CHIP: ChipShape = {
  side: CHIP_SIDE,
  geometry: (landmarks) => dlibChipGeometry(landmarks, CHIP_SIDE, CHIP_PADDING),
};

/** MobileFaceNet's: five points on the ArcFace template. */
const MOBILEFACENET_CHIP: ChipShape = {
  side: MOBILEFACENET_CHIP_SIDE,
  geometry: arcFaceGeometry,
};

/**
 * The embedding FACE_MODEL names of a face found in `photo` with `landmarks` (full-resolution
 * pixels): dlib's descriptor, MobileFaceNet's, or both fused (`fuseEmbeddings`). Each net sees its
 * own aligned chip and the chip's mirror image in one batch, and gives the mean of the two
 * L2-normalised outputs (MobileFaceNet's normalised again; dlib's as it always was stored).
 */
export async function embedFace(
  engine: ReadyEngine,
  model: FaceModelSetting,
  photo: Photo,
  landmarks: Point[],
  decodeRegion: (region: PixelRegion) => Promise<RgbImage>,
): Promise<Float32Array> {
  const dlib = async () => {
    const source = await chipSource(photo, landmarks, decodeRegion);
    return embed(engine, source.image, source.geometry);
  };
  const mobileFaceNet = async () => {
    const { nets } = engine;
    if (!nets.mobileFaceNet)
      throw new Error(`FACE_MODEL=${model} but the worker has no MobileFaceNet`);
    const side = MOBILEFACENET_CHIP_SIDE;
    const { image, geometry } = await chipSource(
      photo,
      landmarks,
      decodeRegion,
      MOBILEFACENET_CHIP,
    );
    return unit(
      meanOfNormalised(
        await nets.mobileFaceNet(withMirrors([alignedChip(image, geometry, side)], side)),
      ),
    );
  };
  if (model === 'dlib') return dlib();
  if (model === 'mobilefacenet') return mobileFaceNet();
  return fuseEmbeddings(await dlib(), await mobileFaceNet());
}

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

/** `vector` scaled to length 1. */
function unit(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

/**
 * The pixels a face's chip (dlib's by default) is cut from, and where the chip lies in them, from
 * the face's landmarks in full-resolution pixels: the photo's own pixels where it was decoded
 * whole or its reduced copy is enough, else `decodeRegion` of the chip's surroundings.
 */
export async function chipSource(
  photo: Photo,
  landmarks: Point[],
  decodeRegion: (region: PixelRegion) => Promise<RgbImage>,
  chip: ChipShape = DLIB_CHIP,
): Promise<{ image: RgbImage; geometry: FaceGeometry }> {
  const geometry = chip.geometry(landmarks);
  if (photo.full) return { image: photo.full, geometry };
  const reduced = landmarks.map(([x, y]): Point => [x / photo.scale, y / photo.scale]);
  const reducedGeometry = chip.geometry(reduced);
  if (reducedGeometry.size >= MIN_CHIP_SOURCE_SCALE * chip.side) {
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
