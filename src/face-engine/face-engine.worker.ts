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
import type * as FaceApi from '@vladmandic/face-api';
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
  cropRgb,
  detectorFrame,
  detectorInput,
  faceGeometry,
  type DetectorFrame,
  meanOfNormalised,
  padBlack,
  type FaceGeometry,
  type Point,
  type RgbImage,
} from './pipeline/raster.js';
import type { FusedSsd } from './pipeline/fused-ssd.js';
import { RECOGNITION_CHIP_SIDE as CHIP_SIDE } from './pipeline/fused-recognition.js';
import { nonMaxSuppression } from './pipeline/non-max-suppression.js';
import { backendHeapBytes, startBackend, type LoadedEngine } from './pipeline/backend.js';
import { loadModels, type ReadyEngine } from './pipeline/models.js';
import { asUint8, decode, decodeFull, rawInput, type Photo } from './pipeline/decode.js';

type Tensor3D = import('@tensorflow/tfjs').Tensor3D;

/**
 * A face's chips are cut from the reduced copy of such a JPEG when the face spans at least this
 * many of its pixels (the chip is then still downsampled, never enlarged); smaller faces are cut
 * from a full decode.
 */
const MIN_CHIP_SOURCE_SIDE = 2 * CHIP_SIDE;

/**
 * The detector's output stride. It sees the part of its square the photo fills, rounded up to a
 * multiple of this, rather than the whole square: a 3:4 portrait costs three quarters of the
 * square, a 16:9 landscape under two thirds.
 */
const DETECTOR_STRIDE = 32;
/**
 * Above this fraction of the square, a face found in a frame is looked for again in the whole
 * square. Faces this large are scored by the coarsest feature maps, which see the whole square:
 * cut to a frame, 149 of the 400 ORL photos scored or placed their face differently (by more
 * than 0.01), some as two faces, all of them faces over 0.55 of the square; the faces of the
 * other labelled photos, up to half the square, were found the same either way.
 */
const LARGE_FACE_FRACTION = 0.5;

/** The input size the SSD detector was trained at, and its anchors shipped for. */
const TRAINED_DETECTOR_SIZE = 512;
/**
 * Below this fraction of the detector's square, a face found at a smaller FACE_DETECTOR_SIZE
 * sends the photo through the trained size as well: at 448 the faces of a group photo (about a
 * tenth of the square) score lower, and one of six fell under the confidence threshold.
 */
const SMALL_FACE_FRACTION = 0.15;

interface DetectionPass {
  pad: number;
  minConfidence: number;
  size: number;
}

/**
 * Detection passes, in order; later ones run only when the earlier found no face: the photo, then
 * black-padded copies for tight crops, and last the photo at the trained size for a face too small
 * for a smaller detector size.
 */
function detectionCascade({ minConfidence, detectorSize: size }: WorkerOptions): DetectionPass[] {
  const passes = [
    { pad: 0, minConfidence, size },
    { pad: 0.5, minConfidence: Math.min(0.3, minConfidence), size },
    { pad: 1, minConfidence, size },
  ];
  if (size < TRAINED_DETECTOR_SIZE) {
    passes.push({ pad: 0, minConfidence, size: TRAINED_DETECTOR_SIZE });
  }
  return passes;
}

interface Detection {
  score: number;
  box: { x: number; y: number; width: number; height: number };
  landmarks: Point[];
}

/** Milliseconds per stage, summed over every pass the photo needed. */
type StageTimings = FaceAnalysis['timings'];

/**
 * One buffer per size for the detector's input, filled anew for each pass: tf copies it into
 * WebAssembly memory, and a fresh 2.4 MB array per pass kept the garbage collector's threads busy
 * for about a tenth of a core per analysis.
 */
const inputBuffers = new Map<number, Float32Array<ArrayBuffer>>();
function reusable(length: number): Float32Array<ArrayBuffer> {
  let buffer = inputBuffers.get(length);
  if (!buffer) {
    buffer = new Float32Array(length);
    inputBuffers.set(length, buffer);
  }
  return buffer;
}

/**
 * SSD MobileNet v1 on `image`: face-api's `locateFaces` step for step (the net sees the image
 * padded to a square and resized to `frame.size`), except that it sees only `frame` of that
 * square, with the input made outside WebAssembly memory, the fused forward pass, and a
 * non-maximum suppression that does not copy the box tensor for every overlap test.
 */
async function locateFaces(
  { faceapi, tf, ssd }: ReadyEngine,
  image: RgbImage,
  minConfidence: number,
  frame: DetectorFrame,
): Promise<FaceApi.FaceDetection[]> {
  const { size: detectorSize } = frame;
  const values = frame.width * frame.height * 3;
  const pixels = detectorInput(
    image,
    frame,
    reusable(detectorSize * detectorSize * 3).subarray(0, values),
  );
  const input = tf.tensor4d(pixels, [1, frame.height, frame.width, 3]);
  let output: ReturnType<FusedSsd['forward']>;
  try {
    output = ssd.forward(input);
  } finally {
    input.dispose();
  }
  const { boxes, scores } = output;
  try {
    const [boxesData, scoresData] = await Promise.all([boxes.data(), scores.data()]);
    const options = new faceapi.SsdMobilenetv1Options({ minConfidence });
    const indices = nonMaxSuppression(
      boxesData,
      scoresData,
      options.maxResults,
      0.5,
      options.minConfidence,
    );
    // The part of the square the image fills, as face-api's computeReshapedDimensions rounds it.
    const fit = detectorSize / Math.max(image.width, image.height);
    const padX = detectorSize / Math.round(image.width * fit);
    const padY = detectorSize / Math.round(image.height * fit);
    const imageDims = { width: image.width, height: image.height };
    return indices.map((index) => {
      const top = Math.max(0, boxesData[4 * index]) * padY;
      const bottom = Math.min(1, boxesData[4 * index + 2]) * padY;
      const left = Math.max(0, boxesData[4 * index + 1]) * padX;
      const right = Math.min(1, boxesData[4 * index + 3]) * padX;
      return new faceapi.FaceDetection(
        scoresData[index],
        new faceapi.Rect(left, top, right - left, bottom - top),
        imageDims,
      );
    });
  } finally {
    tf.dispose([boxes, scores]);
  }
}

/**
 * The 68 landmarks of each detected face, in the coordinates of `image`: face-api's
 * `extractFaceTensors` crop (the box clipped at the borders, floored) and landmark net;
 * undefined for a box that clips to nothing at the image border (face-api drops those too).
 */
async function locateLandmarks(
  { faceapi, tf }: LoadedEngine,
  image: RgbImage,
  detections: FaceApi.FaceDetection[],
): Promise<(Point[] | undefined)[]> {
  const found: (Point[] | undefined)[] = [];
  for (const detection of detections) {
    const box = detection
      .forSize(image.width, image.height)
      .box.clipAtImageBorders(image.width, image.height);
    if (box.width <= 0 || box.height <= 0) {
      found.push(undefined);
      continue;
    }
    const crop = cropRgb(image, box);
    const tensor = tf.tensor3d(crop.data, [crop.height, crop.width, 3], 'int32');
    try {
      const landmarks = (await faceapi.nets.faceLandmark68Net.detectLandmarks(
        tensor,
      )) as FaceApi.FaceLandmarks68;
      found.push(landmarks.positions.map((point): Point => [point.x + box.x, point.y + box.y]));
    } finally {
      tensor.dispose();
    }
  }
  return found;
}

async function detect(
  engine: ReadyEngine,
  { detection: small, scale }: Photo,
  options: WorkerOptions,
  timings: StageTimings,
): Promise<Detection[]> {
  const locate = async (pass: DetectionPass, image: RgbImage) => {
    const started = performance.now();
    const { minConfidence, size } = pass;
    const frame = detectorFrame(image, size, DETECTOR_STRIDE);
    let found = await locateFaces(engine, image, minConfidence, frame);
    const cut = frame.width < size || frame.height < size;
    const large = LARGE_FACE_FRACTION * Math.max(image.width, image.height);
    if (cut && found.some(({ box }) => Math.max(box.width, box.height) > large)) {
      found = await locateFaces(engine, image, minConfidence, { size, width: size, height: size });
    }
    timings.detect += performance.now() - started;
    return found;
  };
  for (const [index, pass] of detectionCascade(options).entries()) {
    const { image: input, offset } =
      pass.pad > 0 ? padBlack(small, pass.pad) : { image: small, offset: 0 };
    let detections = await locate(pass, input);
    if (detections.length === 0) continue;
    if (index === 0 && pass.size < TRAINED_DETECTOR_SIZE) {
      const side = Math.max(input.width, input.height);
      const smallest = Math.min(...detections.map((found) => found.box.width));
      if (smallest < SMALL_FACE_FRACTION * side) {
        const again = await locate({ ...pass, size: TRAINED_DETECTOR_SIZE }, input);
        if (again.length > 0) detections = again;
      }
    }
    const located = performance.now();
    const landmarks = await locateLandmarks(engine, input, detections);
    timings.landmarks += performance.now() - located;
    const toFull = ([x, y]: Point): Point => [(x - offset) * scale, (y - offset) * scale];
    return detections
      .flatMap((detection, faceIndex) => {
        const points = landmarks[faceIndex];
        if (!points) return [];
        const [x, y] = toFull([detection.box.x, detection.box.y]);
        const { width, height } = detection.box;
        return [
          {
            score: detection.score,
            box: { x, y, width: width * scale, height: height * scale },
            landmarks: points.map(toFull),
          },
        ];
      })
      .sort((a, b) => b.score - a.score);
  }
  return [];
}

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
  const timings: StageTimings = {
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
