import type * as FaceApi from '@vladmandic/face-api';
import type { FaceAnalysis, WorkerOptions } from '../face-engine.types.js';
import type { Photo } from './decode.js';
import type { ReadyEngine } from './models.js';
import { nonMaxSuppression } from './non-max-suppression.js';
import { faceQuality, type FaceQuality } from './quality.js';
import {
  cropRgb,
  detectorFrame,
  detectorInput,
  padBlack,
  type DetectorFrame,
  type Point,
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

/** A face found in a photo, in the photo's full-resolution pixels. */
export interface Detection {
  score: number;
  box: { x: number; y: number; width: number; height: number };
  landmarks: Point[];
  quality: FaceQuality;
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
 * The 68 landmarks of each detected face, in the coordinates of `image`: face-api's
 * `extractFaceTensors` crop (the box clipped at the borders, floored) and landmark net;
 * undefined for a box that clips to nothing at the image border (face-api drops those too).
 */
async function locateLandmarks(
  { nets }: ReadyEngine,
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
    const landmarks = await nets.landmarks(cropRgb(image, box));
    found.push(landmarks.map(([x, y]): Point => [x + box.x, y + box.y]));
  }
  return found;
}

/**
 * The faces in `photo`, best first, with boxes and landmarks in its full-resolution pixels; adds
 * the milliseconds spent to `timings`.
 */
export async function detect(
  engine: ReadyEngine,
  { detection: small, scale }: Photo,
  options: WorkerOptions,
  timings: Pick<FaceAnalysis['timings'], 'detect' | 'landmarks'>,
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
    const faces = detections
      .flatMap((detection, faceIndex) => {
        const points = landmarks[faceIndex];
        if (!points) return [];
        const quality = faceQuality(input, points, scale);
        if (!hasFeatures(quality)) return [];
        const [x, y] = toFull([detection.box.x, detection.box.y]);
        const { width, height } = detection.box;
        return [
          {
            score: detection.score,
            box: { x, y, width: width * scale, height: height * scale },
            landmarks: points.map(toFull),
            quality,
          },
        ];
      })
      .sort((a, b) => b.score - a.score);
    // Only featureless patches: the next pass may still find the face.
    if (faces.length > 0) return faces;
  }
  return [];
}
