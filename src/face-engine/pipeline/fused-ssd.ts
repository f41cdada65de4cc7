/**
 * face-api's SSD MobileNet v1 forward pass with each convolution, its batch normalisation and its
 * ReLU6 fused into one kernel. face-api runs them as separate ops (conv, then batch norm or add,
 * then clip), so every layer's output is written and read three times; on WebAssembly that was
 * about a fifth of the detector's time. The batch norm of the depthwise layers is folded into
 * their filters and a bias once, when the worker starts. Same architecture, same weights, same
 * anchors and box decoding (`ssdMobilenetv1/{mobileNetV1,predictionLayer,outputLayer}.ts`); the
 * outputs differ from face-api's only by float rounding.
 */
import type * as TensorFlow from '@tensorflow/tfjs';

type TF = typeof TensorFlow;
type Tensor1D = TensorFlow.Tensor1D;
type Tensor2D = TensorFlow.Tensor2D;
type Tensor3D = TensorFlow.Tensor3D;
type Tensor4D = TensorFlow.Tensor4D;

/** The parts of face-api's `SsdMobilenetv1.params` this reads (its `NetParams`). */
interface PointwiseParams {
  filters: Tensor4D;
  batch_norm_offset: Tensor1D;
}
interface DepthwiseParams {
  filters: Tensor4D;
  batch_norm_scale: Tensor1D;
  batch_norm_offset: Tensor1D;
  batch_norm_mean: Tensor1D;
  batch_norm_variance: Tensor1D;
}
interface ConvParams {
  filters: Tensor4D;
  bias: Tensor1D;
}
interface BoxPredictorParams {
  box_encoding_predictor: ConvParams;
  class_predictor: ConvParams;
}
export interface SsdParams {
  mobilenetv1: Record<'conv_0', PointwiseParams> &
    Record<string, { depthwise_conv: DepthwiseParams; pointwise_conv: PointwiseParams }>;
  prediction_layer: Record<string, PointwiseParams & BoxPredictorParams>;
  output_layer: { extra_dim: Tensor3D };
}

/** face-api's batch norm epsilon for the depthwise layers. */
const EPSILON = 0.0010000000474974513;
/** MobileNet v1 layers (1-based) whose depthwise convolution has stride 2. */
const STRIDE_TWO = new Set([2, 4, 6, 12]);

interface FusedConv {
  filters: Tensor4D;
  bias: Tensor1D;
}

export interface FusedSsd {
  /**
   * Boxes (`[ymin, xmin, ymax, xmax]`, relative to the padded square) and face scores for the
   * first image of `batch`: a `[n, 512, 512, 3]` float tensor already scaled to -1..1.
   */
  forward(batch: Tensor4D): { boxes: Tensor2D; scores: Tensor1D };
}

export function fuseSsd(tf: TF, params: SsdParams): FusedSsd {
  const mobilenet = params.mobilenetv1;
  const prediction = params.prediction_layer;
  const pointwise = (layer: PointwiseParams): FusedConv => ({
    filters: layer.filters,
    bias: layer.batch_norm_offset,
  });
  const depthwise = (layer: DepthwiseParams): FusedConv =>
    tf.tidy(() => {
      const factor = tf.div(
        layer.batch_norm_scale,
        tf.sqrt(tf.add(layer.batch_norm_variance, EPSILON)),
      );
      const channels = factor.shape[0];
      return {
        filters: tf.mul<Tensor4D>(layer.filters, tf.reshape(factor, [1, 1, channels, 1])),
        bias: tf.sub<Tensor1D>(layer.batch_norm_offset, tf.mul(layer.batch_norm_mean, factor)),
      };
    });
  const pairs = Array.from({ length: 13 }, (_, index) => {
    const pair = mobilenet[`conv_${index + 1}`];
    return { depthwise: depthwise(pair.depthwise_conv), pointwise: pointwise(pair.pointwise_conv) };
  });
  const extraLayers = Array.from({ length: 8 }, (_, index) =>
    pointwise(prediction[`conv_${index}`]),
  );
  const predictors = Array.from({ length: 6 }, (_, index) => prediction[`box_predictor_${index}`]);
  const first = pointwise(mobilenet.conv_0);

  /** A fused convolution (`conv2d` or `depthwiseConv2d`) + bias + ReLU6, padding "same". */
  const relu6 =
    (op: 'conv2d' | 'depthwiseConv2d') =>
    (x: Tensor4D, conv: FusedConv, stride: number): Tensor4D =>
      tf.fused[op]({
        x,
        filter: conv.filters,
        strides: [stride, stride],
        pad: 'same',
        bias: conv.bias,
        activation: 'relu6',
      });
  const relu6Conv = relu6('conv2d');
  const relu6Depthwise = relu6('depthwiseConv2d');
  const linearConv = (x: Tensor4D, conv: ConvParams): Tensor4D =>
    tf.fused.conv2d({ x, filter: conv.filters, strides: 1, pad: 'same', bias: conv.bias });

  /** face-api's `outputLayer`: decode the box encodings against the anchors. */
  const decode = (encodings: Tensor2D, anchors: Tensor2D): Tensor2D => {
    const [a0, a1, a2, a3] = tf.unstack(tf.transpose(anchors, [1, 0]));
    const sizes = [tf.sub(a2, a0), tf.sub(a3, a1)];
    const centres = [tf.add(a0, tf.div(sizes[0], 2)), tf.add(a1, tf.div(sizes[1], 2))];
    const [e0, e1, e2, e3] = tf.unstack(tf.transpose(encodings, [1, 0]));
    const half0 = tf.div(tf.mul(tf.exp(tf.div(e2, 5)), sizes[0]), 2);
    const centre0 = tf.add(tf.mul(tf.div(e0, 10), sizes[0]), centres[0]);
    const half1 = tf.div(tf.mul(tf.exp(tf.div(e3, 5)), sizes[1]), 2);
    const centre1 = tf.add(tf.mul(tf.div(e1, 10), sizes[1]), centres[1]);
    return tf.transpose(
      tf.stack([
        tf.sub(centre0, half0),
        tf.sub(centre1, half1),
        tf.add(centre0, half0),
        tf.add(centre1, half1),
      ]),
      [1, 0],
    ) as Tensor2D;
  };

  return {
    forward: (batch) =>
      tf.tidy(() => {
        let out = relu6Conv(batch, first, 2);
        let conv11: Tensor4D | undefined;
        for (const [index, pair] of pairs.entries()) {
          const layer = index + 1;
          out = relu6Depthwise(out, pair.depthwise, STRIDE_TWO.has(layer) ? 2 : 1);
          out = relu6Conv(out, pair.pointwise, 1);
          if (layer === 11) conv11 = out;
        }
        if (!conv11) throw new Error('SSD: no output at MobileNet layer 11');
        const extra: Tensor4D[] = [];
        let previous = out;
        for (const [index, layer] of extraLayers.entries()) {
          previous = relu6Conv(previous, layer, index % 2 === 1 ? 2 : 1);
          extra.push(previous);
        }
        // Feature maps from fine to coarse, as face-api orders its box predictors.
        const maps = [conv11, out, extra[1], extra[3], extra[5], extra[7]];
        const batchSize = batch.shape[0];
        const encodings = tf.concat(
          maps.map((map, index) =>
            tf.reshape(linearConv(map, predictors[index].box_encoding_predictor), [
              batchSize,
              -1,
              1,
              4,
            ]),
          ),
          1,
        );
        const classes = tf.concat(
          maps.map((map, index) =>
            tf.reshape(linearConv(map, predictors[index].class_predictor), [batchSize, -1, 3]),
          ),
          1,
        );
        const anchors = tf.reshape<TensorFlow.Rank.R2>(params.output_layer.extra_dim, [-1, 4]);
        const firstEncodings = tf.reshape(
          tf.slice(encodings, [0, 0, 0, 0], [1, -1, -1, -1]),
          [-1, 4],
        );
        const boxes = decode(firstEncodings as Tensor2D, anchors);
        const scores = tf.reshape(tf.sigmoid(tf.slice(classes, [0, 0, 1], [1, -1, 1])), [-1]);
        return { boxes, scores: scores as Tensor1D };
      }),
  };
}
