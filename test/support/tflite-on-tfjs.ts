// A reference for the ONNX graph built from a TFLite net: the same net run operator by operator on
// TensorFlow.js in TFLite's own NHWC layout, with TensorFlow's kernels and padding rules, so that
// none of the graph builder's layout work (NCHW, per-channel constants, transposed filters) is in
// it. Slow, and only for the operators the builder accepts.
import type * as TensorFlowModule from '@tensorflow/tfjs';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import type { TfliteModel } from '../../src/face-engine/onnx/tflite.js';

type TensorFlow = typeof TensorFlowModule;

/** The net's output for `input` (its TFLite input shape, already normalised as the net expects). */
export function runTfliteOnTfjs(
  tf: TensorFlow,
  model: TfliteModel,
  input: Float32Array,
): Float32Array {
  return tf.tidy(() => {
    const values = new Map<number, Tensor>();
    const inputTensor = model.tensors[model.inputs[0]];
    values.set(model.inputs[0], tf.tensor(input, inputTensor.shape));
    const value = (index: number): Tensor => {
      const known = values.get(index);
      if (known) return known;
      const { data, shape, name } = model.tensors[index];
      if (!data) throw new Error(`${name} read before it is computed`);
      return tf.tensor(data, shape);
    };
    const activation = (x: Tensor, code: number): Tensor => {
      if (code === 0) return x;
      if (code === 1) return tf.relu(x);
      if (code === 3) return tf.relu6(x);
      throw new Error(`activation ${code}`);
    };
    for (const { type, inputs, outputs, options } of model.operators) {
      let out: Tensor;
      switch (type) {
        case 'CONV_2D':
        case 'DEPTHWISE_CONV_2D': {
          const depthwise = type === 'DEPTHWISE_CONV_2D';
          const stride = options.int(1, 1);
          const pad = options.byte(0) === 1 ? 'valid' : 'same';
          // [out, h, w, in] to TensorFlow's [h, w, in, out]; depthwise [1, h, w, c] to [h, w, c, 1].
          const filter = tf.transpose(value(inputs[1]), [1, 2, 3, 0]) as Tensor4D;
          const x = value(inputs[0]) as Tensor4D;
          const conv = depthwise
            ? tf.depthwiseConv2d(x, filter, stride, pad)
            : tf.conv2d(x, filter, stride, pad);
          const biased = inputs[2] >= 0 ? tf.add(conv, value(inputs[2])) : conv;
          out = activation(biased, options.byte(depthwise ? 4 : 3));
          break;
        }
        case 'ADD':
          out = activation(tf.add(value(inputs[0]), value(inputs[1])), options.byte(0));
          break;
        case 'SUB':
          out = activation(tf.sub(value(inputs[0]), value(inputs[1])), options.byte(0));
          break;
        case 'MUL':
          out = activation(tf.mul(value(inputs[0]), value(inputs[1])), options.byte(0));
          break;
        case 'RELU':
          out = tf.relu(value(inputs[0]));
          break;
        case 'RELU6':
          out = tf.relu6(value(inputs[0]));
          break;
        case 'ABS':
          out = tf.abs(value(inputs[0]));
          break;
        case 'RESHAPE':
          out = tf.reshape(value(inputs[0]), model.tensors[outputs[0]].shape);
          break;
        default:
          throw new Error(`${type} has no reference`);
      }
      values.set(outputs[0], out);
    }
    return value(model.outputs[0]).dataSync() as Float32Array;
  });
}
