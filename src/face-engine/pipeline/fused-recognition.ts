/**
 * face-api's face recognition net (dlib's ResNet, `faceRecognitionNet/*.ts`) with each
 * convolution, its bias and its scale layer folded into one fused kernel, and each layer's output
 * released as soon as the next layer has read it.
 *
 * face-api runs every convolution as four ops (conv, add bias, multiply and add the scale layer)
 * plus a ReLU, inside one tidy that holds every intermediate until the pass ends, and a worker's
 * WebAssembly memory, once grown to hold them, is never given back.
 * Here the scale is folded into the filters and bias once, when the worker starts:
 * `(conv(x, W) + b) * s + t = conv(x, W * s) + (b * s + t)`. Same architecture, same weights;
 * the descriptors differ from face-api's only by float rounding (checked in the spec beside this).
 * The net holds its own copies of every weight: face-api's can be disposed once it is built.
 */
import type * as TensorFlow from '@tensorflow/tfjs';
import type { Tensor1D, Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs';

/** The parts of face-api's `FaceRecognitionNet.params` this reads (its `NetParams`). */
interface ConvLayerParams {
  conv: { filters: Tensor4D; bias: Tensor1D };
  scale: { weights: Tensor1D; biases: Tensor1D };
}
interface ResidualLayerParams {
  conv1: ConvLayerParams;
  conv2: ConvLayerParams;
}
/** The residual blocks in order, and whether each halves the resolution. */
export const BLOCKS = [
  ['conv32_1', false],
  ['conv32_2', false],
  ['conv32_3', false],
  ['conv64_down', true],
  ['conv64_1', false],
  ['conv64_2', false],
  ['conv64_3', false],
  ['conv128_down', true],
  ['conv128_1', false],
  ['conv128_2', false],
  ['conv256_down', true],
  ['conv256_1', false],
  ['conv256_2', false],
  ['conv256_down_out', true],
] as const;
type BlockName = (typeof BLOCKS)[number][0];
export type RecognitionParams = Record<BlockName, ResidualLayerParams> & {
  conv32_down: ConvLayerParams;
  fc: Tensor2D;
};

/** The chip side the net takes, and the per-channel mean face-api subtracts before / 255. */
export const RECOGNITION_CHIP_SIDE = 150;
export const MEAN_RGB = [122.782, 117.001, 104.298];

interface FusedConv {
  filters: Tensor4D;
  bias: Tensor1D;
}

export interface FusedRecognitionNet {
  /**
   * The 128-d descriptor of each chip (`RECOGNITION_CHIP_SIDE` square, RGB 0..255, any dtype),
   * one row per chip, computed in one batch. The caller disposes the chips and the result.
   */
  describe(chips: Tensor3D[]): Tensor2D;
}

export function fuseRecognitionNet(
  tf: typeof TensorFlow,
  params: RecognitionParams,
): FusedRecognitionNet {
  const fold = (layer: ConvLayerParams): FusedConv =>
    tf.tidy(() => ({
      filters: tf.mul<Tensor4D>(layer.conv.filters, layer.scale.weights),
      bias: tf.add<Tensor1D>(tf.mul(layer.conv.bias, layer.scale.weights), layer.scale.biases),
    }));
  const stem = fold(params.conv32_down);
  const blocks = BLOCKS.map(([name, down]) => ({
    down,
    conv1: fold(params[name].conv1),
    conv2: fold(params[name].conv2),
  }));
  const mean = tf.tensor1d(MEAN_RGB, 'float32');
  // A copy that outlives face-api's own params, which the caller may dispose once this is built.
  const fc = tf.clone(params.fc);

  const conv = (
    x: Tensor4D,
    layer: FusedConv,
    down: boolean,
    activation: 'relu' | 'linear',
  ): Tensor4D =>
    tf.fused.conv2d({
      x,
      filter: layer.filters,
      strides: down ? 2 : 1,
      pad: down ? 'valid' : 'same',
      bias: layer.bias,
      activation,
    });

  /**
   * face-api's `residual` / `residualDown`: two convolutions, then the input added back (average
   * pooled and zero-padded to the output's shape where the block halves the resolution).
   */
  const residual = (x: Tensor4D, block: (typeof blocks)[number]): Tensor4D => {
    const first = conv(x, block.conv1, block.down, 'relu');
    const second = conv(first, block.conv2, false, 'linear');
    first.dispose();
    try {
      return tf.tidy(() => {
        if (!block.down) return tf.relu(tf.add(second, x));
        let shortcut = tf.avgPool(x, 2, 2, 'valid');
        let out = second;
        // face-api appends one row and one column of zeros when the shapes differ, and zero
        // channels to the pooled input.
        if (shortcut.shape[1] !== out.shape[1] || shortcut.shape[2] !== out.shape[2]) {
          out = tf.pad(out, [
            [0, 0],
            [0, 1],
            [0, 1],
            [0, 0],
          ]);
        }
        const missing = out.shape[3] - shortcut.shape[3];
        if (missing > 0) {
          shortcut = tf.pad(shortcut, [
            [0, 0],
            [0, 0],
            [0, 0],
            [0, missing],
          ]);
        }
        return tf.relu(tf.add(shortcut, out));
      });
    } finally {
      second.dispose();
    }
  };

  return {
    describe(chips) {
      let out = tf.tidy(() => {
        const batch = tf.stack(chips.map((chip) => tf.cast(chip, 'float32'))) as Tensor4D;
        const normalized = tf.div<Tensor4D>(tf.sub(batch, mean), 255);
        return tf.maxPool(conv(normalized, stem, true, 'relu'), 3, 2, 'valid');
      });
      for (const block of blocks) {
        const next = residual(out, block);
        out.dispose();
        out = next;
      }
      try {
        return tf.tidy(() => tf.matMul(tf.mean<Tensor2D>(out, [1, 2]), fc));
      } finally {
        out.dispose();
      }
    },
  };
}
