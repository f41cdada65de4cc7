/**
 * face-api's SSD MobileNet v1 forward pass with each convolution, its batch normalisation and its
 * ReLU6 fused into one kernel. face-api runs them as separate ops (conv, then batch norm or add,
 * then clip), so every layer's output is written and read three times. The batch norm of the
 * depthwise layers is folded into their filters and a bias once, when the worker starts. Same
 * architecture, same weights, same anchors and box decoding
 * (`ssdMobilenetv1/{mobileNetV1,predictionLayer,outputLayer}.ts`); the outputs differ from
 * face-api's only by float rounding.
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
   * first image of `batch`: a `[n, height, width, 3]` float tensor already scaled to -1..1, the
   * square or a frame cut from it (see `detectorFrame`), whose longer side is the square's. The
   * net was trained at 512 x 512; at another size the anchors follow the feature maps' grids.
   */
  forward(batch: Tensor4D): { boxes: Tensor2D; scores: Tensor1D };
}

/**
 * The SSD anchors (`[ymin, xmin, ymax, xmax]` per anchor) for feature maps of `grids[i]` (rows by
 * columns) cells, fine to coarse: the TensorFlow Object Detection API's `create_ssd_anchors` with
 * this model's settings (6 layers, scales 0.2 to 0.95, aspect ratios 1, 2, 1/2, 3, 1/3 plus an
 * interpolated scale, three boxes in the lowest layer), the way that API derives anchors from
 * whatever grid the input size gives. Coordinates are fractions of the detector's square, of
 * which the input covers `extent` (height, width): a frame cut from the square keeps the anchors
 * of the square, centred on its own cells. For the 512 x 512 grids (32, 16, 8, 4, 2, 1) this
 * reproduces the 5,118 anchors shipped with the weights to 5e-5.
 */
export function ssdAnchors(
  grids: [rows: number, columns: number][],
  [extentY, extentX]: [height: number, width: number] = [1, 1],
): Float32Array {
  const minScale = 0.2;
  const maxScale = 0.95;
  const scales = grids.map(
    (_, layer) => minScale + ((maxScale - minScale) * layer) / (grids.length - 1),
  );
  scales.push(1);
  const anchors: number[] = [];
  for (const [layer, [rows, columns]] of grids.entries()) {
    const scale = scales[layer];
    const boxes: [scale: number, aspectRatio: number][] =
      layer === 0
        ? [
            [0.1, 1],
            [scale, 2],
            [scale, 0.5],
          ]
        : [
            [scale, 1],
            [Math.sqrt(scale * scales[layer + 1]), 1],
            [scale, 2],
            [scale, 0.5],
            [scale, 3],
            [scale, 1 / 3],
          ];
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        const centreY = ((y + 0.5) / rows) * extentY;
        const centreX = ((x + 0.5) / columns) * extentX;
        for (const [boxScale, aspectRatio] of boxes) {
          const height = boxScale / Math.sqrt(aspectRatio);
          const width = boxScale * Math.sqrt(aspectRatio);
          anchors.push(
            centreY - height / 2,
            centreX - width / 2,
            centreY + height / 2,
            centreX + width / 2,
          );
        }
      }
    }
  }
  return Float32Array.from(anchors);
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

  /**
   * Runs `layers` in order, disposing each output once the next layer has read it, except the
   * outputs listed in `keep`: a single tidy around the whole pass would hold every layer's output
   * (about 160 MB at 512 x 512) until the end, and WebAssembly memory never shrinks once grown.
   */
  const chain = (
    input: Tensor4D,
    layers: ((x: Tensor4D) => Tensor4D)[],
    keep: (index: number) => boolean,
    kept: Tensor4D[],
  ): Tensor4D => {
    let out = input;
    for (const [index, layer] of layers.entries()) {
      const next = layer(out);
      if (out !== input && !kept.includes(out)) out.dispose();
      out = next;
      if (keep(index)) kept.push(out);
    }
    return out;
  };

  const mobilenetLayers = pairs.flatMap((pair, index) => [
    (x: Tensor4D) => relu6Depthwise(x, pair.depthwise, STRIDE_TWO.has(index + 1) ? 2 : 1),
    (x: Tensor4D) => relu6Conv(x, pair.pointwise, 1),
  ]);
  const extraConvs = extraLayers.map(
    (layer, index) => (x: Tensor4D) => relu6Conv(x, layer, index % 2 === 1 ? 2 : 1),
  );

  const shipped = tf.reshape<TensorFlow.Rank.R2>(params.output_layer.extra_dim, [-1, 4]);
  const generated = new Map<string, Tensor2D>();
  /**
   * The shipped anchors for the trained 512 x 512 square; generated ones, kept per input shape,
   * for any other square or frame.
   */
  const anchorsFor = (maps: Tensor4D[], extent: [number, number]): Tensor2D => {
    const grids = maps.map((map): [number, number] => [map.shape[1], map.shape[2]]);
    const key = `${grids.map((grid) => grid.join('x')).join(',')} of ${extent.join('x')}`;
    if (key === '32x32,16x16,8x8,4x4,2x2,1x1 of 1x1') return shipped;
    let anchors = generated.get(key);
    if (!anchors) {
      const values = ssdAnchors(grids, extent);
      anchors = tf.keep(tf.tensor2d(values, [values.length / 4, 4]));
      generated.set(key, anchors);
    }
    return anchors;
  };

  return {
    forward: (batch) => {
      // Feature maps from fine to coarse, as face-api orders its box predictors: MobileNet layers
      // 11 and 13, then every second extra layer.
      const maps: Tensor4D[] = [];
      try {
        const stem = relu6Conv(batch, first, 2);
        // Layer n's pointwise output is the (2n - 1)th of the chain (0-based).
        const top = chain(stem, mobilenetLayers, (index) => index === 2 * 11 - 1, maps);
        stem.dispose();
        maps.push(top);
        const last = chain(top, extraConvs, (index) => index % 2 === 1, maps);
        if (!maps.includes(last)) last.dispose();
        return tf.tidy(() => heads(batch.shape, maps));
      } finally {
        tf.dispose(maps);
      }
    },
  };

  function heads(
    [batchSize, height, width]: Tensor4D['shape'],
    maps: Tensor4D[],
  ): { boxes: Tensor2D; scores: Tensor1D } {
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
    const side = Math.max(height, width);
    const anchors = anchorsFor(maps, [height / side, width / side]);
    const firstEncodings = tf.reshape(tf.slice(encodings, [0, 0, 0, 0], [1, -1, -1, -1]), [-1, 4]);
    const boxes = decode(firstEncodings as Tensor2D, anchors);
    const scores = tf.reshape(tf.sigmoid(tf.slice(classes, [0, 0, 1], [1, -1, 1])), [-1]);
    return { boxes, scores: scores as Tensor1D };
  }
}
