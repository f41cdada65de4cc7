/**
 * The three nets a worker runs, behind one small interface, so that the pipeline's stages do not
 * depend on the runtime under them: TensorFlow.js (the fused detector and recognition net, and
 * face-api's landmark net) or onnxruntime (`../onnx/onnx-nets.ts`, the same weights).
 */
import type * as FaceApi from '@vladmandic/face-api';
import type { TensorFlow } from './backend.js';
import type { FusedRecognitionNet } from './fused-recognition.js';
import type { FusedSsd } from './fused-ssd.js';
import type { DetectorFrame, Point, RgbImage } from './raster.js';

export interface FaceNets {
  /**
   * SSD boxes (`[ymin, xmin, ymax, xmax]` per anchor, fractions of the detector's square) and
   * face scores, before non-maximum suppression, for a frame that `detectorInput` filled.
   */
  detect(
    input: Float32Array,
    frame: DetectorFrame,
  ): Promise<{ boxes: Float32Array; scores: Float32Array }>;
  /** The 68 landmarks of a face cropped from a photo, in the crop's pixels. */
  landmarks(crop: RgbImage): Promise<Point[]>;
  /** The 128-d descriptor of each square RGB 0..255 chip, computed in one batch. */
  describe(chips: ArrayLike<number>[]): Promise<Float32Array[]>;
  /**
   * MobileFaceNet's 192-d embedding of each 112 x 112 RGB 0..255 chip aligned to the ArcFace
   * template, in one batch: only where FACE_MODEL needs it (on onnxruntime).
   */
  mobileFaceNet?(chips: ArrayLike<number>[]): Promise<Float32Array[]>;
}

/** Each chip (`side` x `side` RGB), then its mirror image, as `tf.reverse(chip, 1)` makes it. */
export function withMirrors(chips: ArrayLike<number>[], side: number): Float32Array[] {
  return chips.flatMap((chip) => {
    const mirror = new Float32Array(chip.length);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const from = (y * side + x) * 3;
        const to = (y * side + side - 1 - x) * 3;
        mirror[to] = chip[from];
        mirror[to + 1] = chip[from + 1];
        mirror[to + 2] = chip[from + 2];
      }
    }
    return [Float32Array.from(chip), mirror];
  });
}

/** The nets on TensorFlow.js: what the pipeline ran before the interface, call for call. */
export function tfjsNets(
  faceapi: typeof FaceApi,
  tf: TensorFlow,
  ssd: FusedSsd,
  recognition: FusedRecognitionNet,
): FaceNets {
  return {
    async detect(input, { width, height }) {
      const batch = tf.tensor4d(input, [1, height, width, 3]);
      let output: ReturnType<FusedSsd['forward']>;
      try {
        output = ssd.forward(batch);
      } finally {
        batch.dispose();
      }
      try {
        const [boxes, scores] = await Promise.all([output.boxes.data(), output.scores.data()]);
        return { boxes: boxes as Float32Array, scores: scores as Float32Array };
      } finally {
        tf.dispose([output.boxes, output.scores]);
      }
    },
    async landmarks(crop) {
      const tensor = tf.tensor3d(crop.data, [crop.height, crop.width, 3], 'int32');
      try {
        const landmarks = (await faceapi.nets.faceLandmark68Net.detectLandmarks(
          tensor,
        )) as FaceApi.FaceLandmarks68;
        return landmarks.positions.map((point): Point => [point.x, point.y]);
      } finally {
        tensor.dispose();
      }
    },
    async describe(chips) {
      const tensors = chips.map((chip) => {
        const side = Math.sqrt(chip.length / 3);
        return tf.tensor3d(Float32Array.from(chip), [side, side, 3], 'float32');
      });
      try {
        const descriptors = recognition.describe(tensors);
        try {
          const rows = (await descriptors.data()) as Float32Array;
          const length = rows.length / chips.length;
          return chips.map((_, index) => rows.slice(index * length, (index + 1) * length));
        } finally {
          descriptors.dispose();
        }
      } finally {
        tf.dispose(tensors);
      }
    },
  };
}
