import type * as FaceApi from '@vladmandic/face-api';
import type { FaceBox } from '../../common/face-box.js';
import type { FaceAnalysis, WorkerOptions } from '../face-engine.types.js';
import type { Photo } from './decode.js';
import type { ReadyEngine } from './models.js';
import { nonMaxSuppression } from './non-max-suppression.js';
import { RESCUE_MIN_SCORE, rescuedSubject } from './selection.js';
import { faceQuality, type FaceQuality } from './quality.js';
import {
  cropRgb,
  detectorFrame,
  detectorInput,
  padBlack,
  turnRgb,
  type DetectorFrame,
  type Point,
  type QuarterTurns,
  type RgbImage,
} from './raster.js';

/**
 * The detector's output stride. It sees the part of its square the photo fills, rounded up to a
 * multiple of this, rather than the whole square: a 3:4 portrait costs three quarters of the
 * square, a 16:9 landscape under two thirds.
 */
const DETECTOR_STRIDE = 32;
/**
 * Above this fraction of the square, a face found in a frame is looked for again in the whole
 * square: faces this large are scored by the coarsest feature maps, which see the whole square,
 * so a frame moves their scores and boxes (docs/performance.md, "Where the engine's time goes").
 */
const LARGE_FACE_FRACTION = 0.5;

/** The input size the SSD detector was trained at, and its anchors shipped for. */
const TRAINED_DETECTOR_SIZE = 512;
/**
 * Below this fraction of the detector's square, a face found at a smaller FACE_DETECTOR_SIZE
 * sends the photo through the trained size as well: small faces (a group photo's) score lower
 * below the trained size, enough to fall under the confidence threshold.
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

/** A detection confirmed as a face: its 68 landmarks in full-resolution pixels, and its measures. */
export interface InspectedFace {
  landmarks: Point[];
  quality: FaceQuality;
}

/**
 * A face the detector found, its box in the photo's full-resolution pixels (clipped to the photo).
 * Its landmarks are located, and its features checked, only when `inspect` is first called:
 * undefined when the box clips to nothing or the patch has no features (it is then no face).
 */
export interface Detection {
  score: number;
  box: FaceBox;
  inspect(): Promise<InspectedFace | undefined>;
}

/**
 * Below these, what the detector calls a face has no features: a uniform colour or a smooth
 * gradient, which the padded passes' lower confidence let through. Every face of the labelled
 * sets measures many times more (docs/recognition.md, "Featureless images").
 */
export const MIN_FACE_CONTRAST = 5;
export const MIN_FACE_SHARPNESS = 5;

function hasFeatures({ contrast, sharpness }: FaceQuality): boolean {
  return contrast >= MIN_FACE_CONTRAST && sharpness >= MIN_FACE_SHARPNESS;
}

/**
 * One buffer per size for the detector's input, filled anew for each pass (tf copies it into
 * WebAssembly memory): a fresh array per pass keeps V8's garbage collector busy on threads that
 * FACE_WORKER_NICE does not reach.
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
  { faceapi, nets }: ReadyEngine,
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
  const { boxes: boxesData, scores: scoresData } = await nets.detect(pixels, frame);
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
}

/**
 * The 68 landmarks of a detected face, in the coordinates of `image`: face-api's
 * `extractFaceTensors` crop (the box clipped at the borders, floored) and landmark net;
 * undefined for a box that clips to nothing at the image border (face-api drops those too).
 */
async function locateLandmarks(
  { nets }: ReadyEngine,
  image: RgbImage,
  detection: FaceApi.FaceDetection,
): Promise<Point[] | undefined> {
  const box = detection
    .forSize(image.width, image.height)
    .box.clipAtImageBorders(image.width, image.height);
  if (box.width <= 0 || box.height <= 0) return undefined;
  const landmarks = await nets.landmarks(cropRgb(image, box));
  return landmarks.map(([x, y]): Point => [x + box.x, y + box.y]);
}

/** `box`, in pixels of a photo `scale` times `image`'s size, clipped to that photo. */
function clippedBox(
  { x, y, width, height }: FaceBox,
  offset: number,
  scale: number,
  photo: { width: number; height: number },
): FaceBox {
  const left = Math.max(0, Math.round((x - offset) * scale));
  const top = Math.max(0, Math.round((y - offset) * scale));
  return {
    x: left,
    y: top,
    width: Math.max(1, Math.min(photo.width, Math.round((x - offset + width) * scale)) - left),
    height: Math.max(1, Math.min(photo.height, Math.round((y - offset + height) * scale)) - top),
  };
}

/** What a pass makes of detection `pass` over `photo`: see `detect`. */
async function runPass(
  engine: ReadyEngine,
  photo: Photo,
  pass: DetectionPass,
  first: boolean,
  timings: Pick<FaceAnalysis['timings'], 'detect' | 'landmarks'>,
): Promise<Detection[]> {
  const { detection: small, scale } = photo;
  const locate = async (pass: DetectionPass, image: RgbImage) => {
    const started = performance.now();
    const { minConfidence, size } = pass;
    // Weak detections too, for rescuedSubject (the confident ones are the same either way), but
    // not on a padded copy: there what weak detections find is the border's edges, the outline
    // of a uniform square or of noise.
    const floor = pass.pad > 0 ? minConfidence : Math.min(RESCUE_MIN_SCORE, minConfidence);
    const frame = detectorFrame(image, size, DETECTOR_STRIDE);
    let found = await locateFaces(engine, image, floor, frame);
    const cut = frame.width < size || frame.height < size;
    const large = LARGE_FACE_FRACTION * Math.max(image.width, image.height);
    const isLarge = ({ score, box }: FaceApi.FaceDetection) =>
      score >= minConfidence && Math.max(box.width, box.height) > large;
    if (cut && found.some(isLarge)) {
      found = await locateFaces(engine, image, floor, { size, width: size, height: size });
    }
    timings.detect += performance.now() - started;
    return found;
  };
  const { image: input, offset } =
    pass.pad > 0 ? padBlack(small, pass.pad) : { image: small, offset: 0 };
  const isConfident = ({ score }: { score: number }) => score >= pass.minConfidence;
  let found = await locate(pass, input);
  const confidentBoxes = found.filter(isConfident).map(({ box }) => box);
  if (first && pass.size < TRAINED_DETECTOR_SIZE && confidentBoxes.length > 0) {
    const side = Math.max(input.width, input.height);
    const smallest = Math.min(...confidentBoxes.map((box) => box.width));
    if (smallest < SMALL_FACE_FRACTION * side) {
      const again = await locate({ ...pass, size: TRAINED_DETECTOR_SIZE }, input);
      if (again.some(isConfident)) found = again;
    }
  }
  const toFull = ([x, y]: Point): Point => [(x - offset) * scale, (y - offset) * scale];
  const faces = found.map((detection): Detection => {
    let inspected: Promise<InspectedFace | undefined> | undefined;
    const inspect = async () => {
      const located = performance.now();
      const points = await locateLandmarks(engine, input, detection);
      timings.landmarks += performance.now() - located;
      if (!points) return undefined;
      const quality = faceQuality(input, points, scale);
      return hasFeatures(quality) ? { landmarks: points.map(toFull), quality } : undefined;
    };
    return {
      score: detection.score,
      box: clippedBox(detection.box, offset, scale, photo),
      inspect: () => (inspected ??= inspect()),
    };
  });
  const confident = faces.filter(isConfident);
  const rescued = rescuedSubject(
    confident,
    faces.filter((face) => !isConfident(face)),
    photo,
  );
  return (rescued ? [...confident, rescued] : confident).sort((a, b) => b.score - a.score);
}

/**
 * The faces in `photo`, best first, with boxes in its full-resolution pixels, from the first pass
 * of the cascade that finds one with features; each face's landmarks are located when first
 * inspected, and the milliseconds spent are added to `timings`.
 */
export async function detect(
  engine: ReadyEngine,
  photo: Photo,
  options: WorkerOptions,
  timings: Pick<FaceAnalysis['timings'], 'detect' | 'landmarks'>,
): Promise<Detection[]> {
  for (const [index, pass] of detectionCascade(options).entries()) {
    const candidates = await runPass(engine, photo, pass, index === 0, timings);
    // A pass that found only featureless patches gives way to the next, which may find the face.
    for (const candidate of candidates) {
      if (await candidate.inspect()) return candidates;
    }
  }
  return [];
}

/**
 * The score a face found in a quarter turn needs for the turn to be taken: high enough that the
 * sideways "face" a turn shows in an upright photo with a weak face is never taken for it
 * (docs/recognition.md, "Faces on their side").
 */
export const TURNED_MIN_SCORE = 0.8;

/** The photo turned, and the faces found in it (boxes and landmarks in the turned pixels). */
export interface TurnedDetections {
  turns: QuarterTurns;
  photo: Photo;
  detections: Detection[];
}

/**
 * A face box at least this much wider than tall is a face on its side: the detector draws upright
 * faces taller than wide (the measured ranges are in docs/recognition.md, "Faces on their side").
 */
export const SIDEWAYS_ASPECT = 1.2;

/** Whether the detector drew `box` around a face lying on its side. */
export function liesOnItsSide(box: FaceBox): boolean {
  return box.width > SIDEWAYS_ASPECT * box.height;
}

/**
 * The faces of a photo whose face lies on its side or upside down (a wrong EXIF tag), for when
 * `detect` found none, took a weak one, or found its best face lying on its side: the quarter
 * turns `tried` of the detection copy, one pass each at the detection size, and the turn with the
 * best face that stands upright (its box no wider than tall, features present) and scores at least
 * TURNED_MIN_SCORE and above `beat` (the best score found before the turn by a face that stands
 * upright, so that a turn never wins over a confident upright face in the photo as it stands). A
 * face on its side is often found too, and at times scored higher than upright, but its box is
 * wider than tall. Undefined when no turn finds such a face. The turned photo carries its
 * full-resolution pixels turned when it had them.
 */
export async function detectTurned(
  engine: ReadyEngine,
  photo: Photo,
  options: WorkerOptions,
  beat: number,
  timings: Pick<FaceAnalysis['timings'], 'detect' | 'landmarks'>,
  tried: readonly Exclude<QuarterTurns, 0>[] = [1, 2, 3],
): Promise<TurnedDetections | undefined> {
  const pass = { pad: 0, minConfidence: options.minConfidence, size: options.detectorSize };
  const minScore = Math.max(TURNED_MIN_SCORE, options.minConfidence);
  let best: (TurnedDetections & { score: number }) | undefined;
  for (const turns of tried) {
    const detection = turnRgb(photo.detection, turns);
    const sideways = turns % 2 === 1;
    const turned: Photo = {
      width: sideways ? photo.height : photo.width,
      height: sideways ? photo.width : photo.height,
      detection,
      scale: photo.scale,
      full: photo.full === photo.detection ? detection : undefined,
    };
    const detections = await runPass(engine, turned, pass, true, timings);
    for (const face of detections) {
      if (face.score < minScore || face.box.width > face.box.height) continue;
      if (face.score <= (best?.score ?? beat)) break;
      if (await face.inspect()) {
        best = { turns, photo: turned, detections, score: face.score };
        break;
      }
    }
  }
  if (!best) return undefined;
  const { turns, photo: turned, detections } = best;
  if (photo.full && !turned.full) turned.full = turnRgb(photo.full, turns);
  return { turns, photo: turned, detections };
}
