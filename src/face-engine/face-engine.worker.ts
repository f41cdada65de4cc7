/**
 * Runs in a Piscina worker thread: loads TensorFlow.js and the face-api models once, then decodes,
 * detects and embeds images sent by `FaceEngine`. The HTTP thread never touches a tensor.
 *
 * The pipeline, each step measured on the labelled pairs (see the README's "Recognition quality"
 * and, for the time each step takes, "Where the time goes"):
 * 1. Decode once with sharp: EXIF orientation applied, any colour space or bit depth to 8-bit sRGB,
 *    transparency flattened onto white. A JPEG over twice DETECT_MAX_SIDE is decoded straight to
 *    the detection size (shrink-on-load); it is decoded in full only if a face is too small there.
 * 2. Detect (SSD MobileNet v1, its layers fused) on a copy no larger than DETECT_MAX_SIDE, which
 *    the detector sees as a FACE_DETECTOR_SIZE square (448 by default; it was trained at 512,
 *    which a photo with a face under SMALL_FACE_FRACTION of the square goes through as well),
 *    cut to the frame the photo fills unless a face spans over LARGE_FACE_FRACTION of it.
 *    Then the 68 landmarks of each face, from that copy.
 * 3. When nothing is found, try again on black-padded copies: tight crops (ID photos, avatars)
 *    fill the frame more than the scenes the detector was trained on; last, at the trained size.
 * 4. Embed each face: the mean of four L2-normalised descriptors (the roll-aligned chip, the
 *    upright dlib chip, and the mirror image of each), computed in one batch, from the
 *    full-resolution image or from a reduced one where the face still spans 2 x the chip size.
 */
import { workerData } from 'piscina';
import type {
  DetectedFace,
  FaceAnalysis,
  UndecodableImage,
  WorkerInfo,
  WorkerOptions,
  WorkerTask,
} from './face-engine.types.js';
import {
  alignedChip,
  faceGeometry,
  meanOfNormalised,
  type FaceGeometry,
  type Point,
  type RgbImage,
} from './pipeline/raster.js';
import { RECOGNITION_CHIP_SIDE as CHIP_SIDE } from './pipeline/fused-recognition.js';
import { backendHeapBytes, startBackend } from './pipeline/backend.js';
import { loadModels, type ReadyEngine } from './pipeline/models.js';
import { detect, type Detection } from './pipeline/detect.js';
import { asUint8, decode, decodeFull, rawInput, type Photo } from './pipeline/decode.js';

type Tensor3D = import('@tensorflow/tfjs').Tensor3D;

/**
 * A face's chips are cut from the reduced copy of such a JPEG when the face spans at least this
 * many of its pixels (the chip is then still downsampled, never enlarged); smaller faces are cut
 * from a full decode.
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

async function embed(
  { tf, recognition }: ReadyEngine,
  image: RgbImage,
  landmarks: Point[],
): Promise<Float32Array> {
  const geometry = faceGeometry(landmarks);
  const chips: Tensor3D[] = [
    tf.tensor3d(alignedChip(image, geometry, CHIP_SIDE), [CHIP_SIDE, CHIP_SIDE, 3], 'float32'),
    tf.tensor3d(await uprightChip(image, geometry.box), [CHIP_SIDE, CHIP_SIDE, 3], 'int32'),
  ];
  // Each chip and its mirror image, in the order the mean has always summed them, in one forward
  // pass: the same descriptors as four single passes, at about 80% of the time.
  const views = chips.flatMap((chip) => [chip, tf.reverse(chip, 1)]);
  let rows: Float32Array;
  try {
    const descriptors = recognition.describe(views);
    try {
      rows = (await descriptors.data()) as Float32Array;
    } finally {
      descriptors.dispose();
    }
  } finally {
    for (const view of views) view.dispose();
  }
  const length = rows.length / views.length;
  return meanOfNormalised(
    views.map((_, index) => rows.subarray(index * length, (index + 1) * length)),
  );
}

function clampBox(
  box: Detection['box'],
  image: { width: number; height: number },
): DetectedFace['box'] {
  const x = Math.max(0, Math.round(box.x));
  const y = Math.max(0, Math.round(box.y));
  return {
    x,
    y,
    width: Math.max(1, Math.min(image.width, Math.round(box.x + box.width)) - x),
    height: Math.max(1, Math.min(image.height, Math.round(box.y + box.height)) - y),
  };
}

/** The pixels a face's chips are cut from, and its landmarks in their coordinates. */
async function chipSource(
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

async function analyze(
  engine: ReadyEngine,
  options: WorkerOptions,
  bytes: Uint8Array,
): Promise<FaceAnalysis | UndecodableImage> {
  const started = performance.now();
  let photo: Photo;
  try {
    photo = await decode(bytes, options.maxImagePixels);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { undecodable: message, tooManyPixels: /pixel limit/i.test(message) };
  }
  const timings: FaceAnalysis['timings'] = {
    decode: performance.now() - started,
    detect: 0,
    landmarks: 0,
    embed: 0,
    total: 0,
  };
  const detections = await detect(engine, photo, options, timings);
  // A full decode that a small face in a large JPEG needs counts as decoding, not embedding.
  let fullDecodeMs = 0;
  const timedFullDecode = async () => {
    const decoding = performance.now();
    const full = await decodeFull(bytes, options.maxImagePixels);
    fullDecodeMs = performance.now() - decoding;
    return full;
  };
  const embedding = performance.now();
  const faces: DetectedFace[] = [];
  for (const detection of detections) {
    const source = await chipSource(photo, detection.landmarks, timedFullDecode);
    faces.push({
      box: clampBox(detection.box, photo),
      score: detection.score,
      embedding: await embed(engine, source.image, source.landmarks),
    });
  }
  const done = performance.now();
  timings.decode += fullDecodeMs;
  timings.embed = done - embedding - fullDecodeMs;
  timings.total = done - started;
  return {
    width: photo.width,
    height: photo.height,
    faces,
    timings,
    backendHeapBytes: backendHeapBytes(engine),
  };
}

async function initialise(): Promise<
  (task: WorkerTask) => Promise<FaceAnalysis | UndecodableImage | WorkerInfo>
> {
  const options = workerData as WorkerOptions;
  const engine = await loadModels(await startBackend(options), options.modelsDir);
  return async (task) => {
    if (task.kind === 'info') {
      return { backend: engine.backend, tfjsVersion: engine.tf.version_core };
    }
    return analyze(engine, options, task.image);
  };
}

// Piscina awaits an exported promise for the handler, so models load once per thread, up front.
export default initialise();
