/**
 * face-api's three nets on onnxruntime-node's CPU kernels, from the graphs `onnx-models.ts`
 * builds: each takes and gives what the tfjs path's net does, as plain arrays.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type * as OnnxRuntime from 'onnxruntime-node';
import { ssdAnchors } from '../pipeline/fused-ssd.js';
import type { FaceNets } from '../pipeline/nets.js';
import type { DetectorFrame, Point, RgbImage } from '../pipeline/raster.js';
import { detectorInput } from '../pipeline/raster.js';
import { MOBILEFACENET_CHIP_SIDE } from '../pipeline/mobilefacenet.js';
import { LANDMARK_INPUT_SIDE } from './face-api-graphs.js';
import type { OnnxModelFiles } from './onnx-models.js';

type Runtime = typeof OnnxRuntime;

const require = createRequire(import.meta.url);

/** onnxruntime-node, or why it cannot be loaded here (an optional dependency). */
export function loadOnnxRuntime(): Runtime {
  return require('onnxruntime-node') as Runtime;
}

/** The nets on onnxruntime's CPU kernels; `release` frees the sessions. */
export interface OnnxNets extends FaceNets {
  release(): Promise<void>;
}

/** `threads` intra-op threads (1 by default: the worker pool, one worker per core, is the parallelism). */
export function sessionOptions(threads = 1): OnnxRuntime.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}

export async function loadOnnxNets(
  runtime: Runtime,
  files: OnnxModelFiles,
  threads = 1,
): Promise<OnnxNets> {
  const { InferenceSession, Tensor } = runtime;
  const session = (path: string) => InferenceSession.create(path, sessionOptions(threads));
  const [ssd, landmark, recognition, mobileFaceNet] = await Promise.all([
    session(files.ssd),
    session(files.landmarks),
    session(files.recognition),
    files.mobileFaceNet === undefined ? undefined : session(files.mobileFaceNet),
  ]);
  const anchorBytes = await readFile(files.ssdAnchors);
  const shipped = new Float32Array(
    anchorBytes.buffer,
    anchorBytes.byteOffset,
    anchorBytes.byteLength / 4,
  );
  const float = (name: string, result: OnnxRuntime.InferenceSession.OnnxValueMapType) =>
    result[name].data as Float32Array;
  return {
    async detect(input, frame) {
      const anchors = frameAnchors(frame) ?? shipped;
      const result = await ssd.run({
        frame: new Tensor('float32', input, [1, frame.height, frame.width, 3]),
        anchors: new Tensor('float32', anchors, [anchors.length / 4, 4]),
      });
      return { boxes: float('boxes', result), scores: float('scores', result) };
    },
    async landmarks(crop) {
      const side = LANDMARK_INPUT_SIDE;
      const result = await landmark.run({
        faces: new Tensor('float32', landmarkInput(crop), [1, side, side, 3]),
      });
      return landmarkPoints(float('landmarks', result), crop);
    },
    async describe(chips) {
      const side = Math.sqrt(chips[0].length / 3);
      const result = await recognition.run({
        chips: new Tensor('float32', batchOf(chips), [chips.length, side, side, 3]),
      });
      return rowsOf(float('descriptors', result), chips.length);
    },
    ...(mobileFaceNet && {
      async mobileFaceNet(chips: ArrayLike<number>[]) {
        const side = MOBILEFACENET_CHIP_SIDE;
        const result = await mobileFaceNet.run({
          faces: new Tensor('float32', batchOf(chips), [chips.length, side, side, 3]),
        });
        return rowsOf(float('embeddings', result), chips.length);
      },
    }),
    async release() {
      await Promise.all([
        ssd.release(),
        landmark.release(),
        recognition.release(),
        mobileFaceNet?.release(),
      ]);
    },
  };
}

/** The chips laid end to end: one batch. */
function batchOf(chips: ArrayLike<number>[]): Float32Array {
  const length = chips[0].length;
  const batch = new Float32Array(chips.length * length);
  chips.forEach((chip, index) => batch.set(chip, index * length));
  return batch;
}

/** A batch's output split into its `count` rows. */
function rowsOf(rows: Float32Array, count: number): Float32Array[] {
  const size = rows.length / count;
  return Array.from({ length: count }, (_, index) => rows.slice(index * size, (index + 1) * size));
}

/** The stride-2 layers from the input to each of the SSD's six feature maps. */
const HALVINGS = [4, 5, 6, 7, 8, 9];
/** The square the SSD was trained at, whose anchors ship with its weights. */
const TRAINED_SIZE = 512;

/**
 * The anchors of a detector frame, as `FusedSsd.forward` picks them: none (the graph's shipped
 * ones) for the whole 512 x 512 square, else generated for the frame's grids.
 */
export function frameAnchors({ size, width, height }: DetectorFrame): Float32Array | undefined {
  if (size === TRAINED_SIZE && width === size && height === size) return undefined;
  // Each stride-2 "same" convolution rounds up.
  const grid = (extent: number, halvings: number) => {
    let cells = extent;
    for (let step = 0; step < halvings; step++) cells = Math.ceil(cells / 2);
    return cells;
  };
  const side = Math.max(width, height);
  return ssdAnchors(
    HALVINGS.map((halvings): [number, number] => [grid(height, halvings), grid(width, halvings)]),
    [height / side, width / side],
  );
}

/**
 * What face-api's `toBatchTensor(112, true)` makes of a face crop: padded with black to a
 * square, the image centred (the odd pixel before it), resized as `tf.image.resizeBilinear` does.
 */
export function landmarkInput(crop: RgbImage): Float32Array {
  const side = Math.max(crop.width, crop.height);
  const [before] = centring(crop);
  const square = new Uint8Array(side * side * 3);
  const row = crop.width * 3;
  const [left, top] = crop.width < side ? [before, 0] : [0, before];
  for (let y = 0; y < crop.height; y++) {
    square.set(crop.data.subarray(y * row, (y + 1) * row), ((y + top) * side + left) * 3);
  }
  const size = LANDMARK_INPUT_SIDE;
  const input = detectorInput(
    { data: square, width: side, height: side },
    { size, width: size, height: size },
  );
  // detectorInput scales to the detector's -1..1; the landmark net takes 0..255.
  for (let index = 0; index < input.length; index++) input[index] = (input[index] + 1) * 127.5;
  return input;
}

/**
 * The padding face-api's `padToSquare(.., true)` puts before and after the shorter side: half the
 * difference, rounded, after; the rest before.
 */
function centring({ width, height }: { width: number; height: number }): [number, number] {
  const difference = Math.abs(width - height);
  const after = Math.round(difference * 0.5);
  return [difference - after, after];
}

/**
 * face-api's `FaceLandmark68NetBase.postProcess`: the net's fractions of the padded square, in
 * the crop's pixels.
 */
export function landmarkPoints(output: Float32Array, crop: RgbImage): Point[] {
  const size = LANDMARK_INPUT_SIDE;
  const scale = size / Math.max(crop.width, crop.height);
  const width = crop.width * scale;
  const height = crop.height * scale;
  const padX = width < height ? Math.abs(width - height) / 2 : 0;
  const padY = height < width ? Math.abs(width - height) / 2 : 0;
  return Array.from({ length: 68 }, (_, index): Point => {
    const x = (Math.fround(output[2 * index] * size) - padX) / width;
    const y = (Math.fround(output[2 * index + 1] * size) - padY) / height;
    return [x * crop.width, y * crop.height];
  });
}
