/**
 * ONNX graphs of face-api's three nets, built from the weights face-api loaded: the same layers as
 * the fused tfjs passes (`fused-ssd.ts`, `fused-recognition.ts`) and face-api's landmark net,
 * with every batch norm and scale layer folded into its convolution. Each graph takes what the
 * tfjs path feeds its net (NHWC, as face-api's tensors are) and gives what it reads back.
 */
import type { Tensor } from '@tensorflow/tfjs';
import {
  BLOCKS as RECOGNITION_BLOCKS,
  MEAN_RGB as FACE_API_MEAN_RGB,
  type RecognitionParams,
} from '../pipeline/fused-recognition.js';
import type { SsdParams } from '../pipeline/fused-ssd.js';
import { OnnxGraph, type Weights } from './onnx-graph.js';

/** face-api's per-channel mean, subtracted before / 255 by the landmark and recognition nets. */
const MEAN_RGB = Float32Array.from(FACE_API_MEAN_RGB);
/** face-api's batch norm epsilon for the SSD's depthwise layers. */
const EPSILON = Math.fround(0.0010000000474974513);
/** MobileNet v1 layers (1-based) whose depthwise convolution has stride 2. */
const STRIDE_TWO = new Set([2, 4, 6, 12]);

/** The side of the square the landmark net sees. */
export const LANDMARK_INPUT_SIDE = 112;

function weights(tensor: Tensor): Weights {
  return { data: Float32Array.from(tensor.dataSync()), shape: tensor.shape };
}

/** `filter` ([h, w, in, out]) times `factor` per output channel. */
function scaleFilter(filter: Weights, factor: Float32Array): Weights {
  const channels = factor.length;
  return {
    data: filter.data.map((value, index) => value * factor[index % channels]),
    shape: filter.shape,
  };
}

/** `x - mean` per channel, then / 255, then NCHW: face-api's normalisation of 0..255 RGB. */
function normalised(graph: OnnxGraph, x: string): string {
  const centred = graph.sub(x, graph.constant({ data: MEAN_RGB, shape: [3] }, 'mean'));
  return graph.transpose(graph.div(centred, graph.scalar(255)), [0, 3, 1, 2]);
}

/**
 * SSD MobileNet v1. Input `frame`: `[1, height, width, 3]`, -1..1 (see `detectorInput`), sides
 * multiples of 32; input `anchors`: `[n, 4]` for the frame's grids (`ssdAnchors`, or for the 512 x
 * 512 square those shipped with the weights, `ssdShippedAnchors`). Outputs `boxes` (`[n, 4]`,
 * `[ymin, xmin, ymax, xmax]` fractions of the square) and `scores` (`[n]`), before non-maximum
 * suppression.
 */
export function ssdGraph(params: SsdParams): OnnxGraph {
  const graph = new OnnxGraph('ssd_mobilenetv1');
  const mobilenet = params.mobilenetv1;
  const prediction = params.prediction_layer;
  const relu6 = (x: string) => graph.clip(x, 0, 6);
  const pointwise = (
    x: string,
    layer: { filters: Tensor; batch_norm_offset: Tensor },
    stride: number,
  ) =>
    relu6(graph.conv(x, weights(layer.filters), weights(layer.batch_norm_offset).data, { stride }));

  const frame = graph.input('frame', [1, 'height', 'width', 3]);
  let out = pointwise(graph.transpose(frame, [0, 3, 1, 2]), mobilenet.conv_0, 2);
  const maps: string[] = [];
  for (let layer = 1; layer <= 13; layer++) {
    const { depthwise_conv: depthwise, pointwise_conv } = mobilenet[`conv_${layer}`];
    const scale = weights(depthwise.batch_norm_scale).data;
    const variance = weights(depthwise.batch_norm_variance).data;
    const mean = weights(depthwise.batch_norm_mean).data;
    const offset = weights(depthwise.batch_norm_offset).data;
    const factor = scale.map((value, channel) =>
      Math.fround(value / Math.fround(Math.sqrt(Math.fround(variance[channel] + EPSILON)))),
    );
    const bias = offset.map((value, channel) => value - mean[channel] * factor[channel]);
    const stride = STRIDE_TWO.has(layer) ? 2 : 1;
    out = relu6(
      graph.conv(out, scaleFilter(weights(depthwise.filters), factor), bias, {
        stride,
        depthwise: true,
      }),
    );
    out = pointwise(out, pointwise_conv, 1);
    if (layer === 11 || layer === 13) maps.push(out);
  }
  for (let index = 0; index < 8; index++) {
    out = pointwise(out, prediction[`conv_${index}`], index % 2 === 1 ? 2 : 1);
    if (index % 2 === 1) maps.push(out);
  }

  // Per map, NCHW to NHWC and then one row per anchor, as face-api reshapes its NHWC outputs.
  const head = (predictor: 'box_encoding_predictor' | 'class_predictor', columns: number) =>
    graph.concat(
      maps.map((map, index) => {
        const { filters, bias } = prediction[`box_predictor_${index}`][predictor];
        const conv = graph.conv(map, weights(filters), weights(bias).data);
        return graph.reshape(graph.transpose(conv, [0, 2, 3, 1]), [-1, columns]);
      }),
      0,
    );
  const encodings = head('box_encoding_predictor', 4);
  const classes = head('class_predictor', 3);
  graph.output(graph.reshape(graph.sigmoid(graph.slice(classes, 1, 1, 2)), [-1]), 'scores', [
    'anchors',
  ]);

  // face-api's outputLayer: the encodings decoded against the anchors, in its order of ops.
  const anchors = graph.input('anchors', ['anchors', 4]);
  const [a0, a1, a2, a3] = [0, 1, 2, 3].map((column) =>
    graph.slice(anchors, 1, column, column + 1),
  );
  const [e0, e1, e2, e3] = [0, 1, 2, 3].map((column) =>
    graph.slice(encodings, 1, column, column + 1),
  );
  const [two, five, ten] = [2, 5, 10].map((value) => graph.scalar(value));
  const sizes = [graph.sub(a2, a0), graph.sub(a3, a1)];
  const centres = [
    graph.add(a0, graph.div(sizes[0], two)),
    graph.add(a1, graph.div(sizes[1], two)),
  ];
  const half0 = graph.div(graph.mul(graph.exp(graph.div(e2, five)), sizes[0]), two);
  const centre0 = graph.add(graph.mul(graph.div(e0, ten), sizes[0]), centres[0]);
  const half1 = graph.div(graph.mul(graph.exp(graph.div(e3, five)), sizes[1]), two);
  const centre1 = graph.add(graph.mul(graph.div(e1, ten), sizes[1]), centres[1]);
  const boxes = graph.concat(
    [
      graph.sub(centre0, half0),
      graph.sub(centre1, half1),
      graph.add(centre0, half0),
      graph.add(centre1, half1),
    ],
    1,
  );
  graph.output(boxes, 'boxes', ['anchors', 4]);
  return graph;
}

/** The anchors shipped with the SSD's weights, for the 512 x 512 square it was trained at. */
export function ssdShippedAnchors(params: SsdParams): Float32Array {
  return weights(params.output_layer.extra_dim).data;
}

interface SeparableConvParams {
  depthwise_filter: Tensor;
  pointwise_filter: Tensor;
  bias: Tensor;
}
interface DenseBlockParams {
  conv0: SeparableConvParams | { filters: Tensor; bias: Tensor };
  conv1: SeparableConvParams;
  conv2: SeparableConvParams;
  conv3: SeparableConvParams;
}
/** face-api's `FaceFeatureExtractorParams` and the landmark net's own fully connected layer. */
export interface LandmarkParams {
  extractor: Record<'dense0' | 'dense1' | 'dense2' | 'dense3', DenseBlockParams>;
  fc: { weights: Tensor; bias: Tensor };
}

/**
 * face-api's 68-point landmark net. Input `faces`: `[n, 112, 112, 3]`, RGB 0..255, each face
 * padded to a centred square and resized as face-api's `toBatchTensor(112, true)` does. Output
 * `landmarks`: `[n, 136]`, x and y of each point as fractions of that square.
 */
export function landmarkGraph(params: LandmarkParams): OnnxGraph {
  const graph = new OnnxGraph('face_landmark_68');
  const side = LANDMARK_INPUT_SIDE;
  const separable = (x: string, conv: SeparableConvParams, stride: number) =>
    graph.conv(
      graph.conv(x, weights(conv.depthwise_filter), undefined, { stride, depthwise: true }),
      weights(conv.pointwise_filter),
      weights(conv.bias).data,
    );
  /** face-api's `denseBlock4`: each separable convolution reads the sum of those before it. */
  const denseBlock = (x: string, block: DenseBlockParams) => {
    const out1 = graph.relu(
      'filters' in block.conv0
        ? graph.conv(x, weights(block.conv0.filters), weights(block.conv0.bias).data, {
            stride: 2,
          })
        : separable(x, block.conv0, 2),
    );
    const out2 = separable(out1, block.conv1, 1);
    const in3 = graph.relu(graph.add(out1, out2));
    const out3 = separable(in3, block.conv2, 1);
    const in4 = graph.relu(graph.add(out1, graph.add(out2, out3)));
    const out4 = separable(in4, block.conv3, 1);
    return graph.relu(graph.add(out1, graph.add(out2, graph.add(out3, out4))));
  };

  let out = normalised(graph, graph.input('faces', ['faces', side, side, 3]));
  for (const name of ['dense0', 'dense1', 'dense2', 'dense3'] as const) {
    out = denseBlock(out, params.extractor[name]);
  }
  const pooled = graph.reshape(graph.averagePool(out, 7, 2), [0, -1]);
  const fc = weights(params.fc.weights);
  const landmarks = graph.add(
    graph.matMul(pooled, graph.constant(fc, 'fc')),
    graph.constant(weights(params.fc.bias), 'fc_bias'),
  );
  graph.output(landmarks, 'landmarks', ['faces', 136]);
  return graph;
}

/**
 * face-api's recognition net (dlib's ResNet). Input `chips`: `[n, 150, 150, 3]`, RGB 0..255.
 * Output `descriptors`: `[n, 128]`.
 */
export function recognitionGraph(params: RecognitionParams, chipSide: number): OnnxGraph {
  const graph = new OnnxGraph('face_recognition');
  type Layer = RecognitionParams['conv32_down'];
  /** conv, bias, then the scale layer: `(conv(x, W) + b) * s + t = conv(x, W * s) + b * s + t`. */
  const conv = (x: string, layer: Layer, down: boolean) => {
    const scale = weights(layer.scale.weights).data;
    const shift = weights(layer.scale.biases).data;
    const bias = weights(layer.conv.bias).data.map(
      (value, channel) => value * scale[channel] + shift[channel],
    );
    return graph.conv(x, scaleFilter(weights(layer.conv.filters), scale), bias, {
      stride: down ? 2 : 1,
      padding: down ? 'valid' : 'same',
    });
  };
  const outputSide = (inputSide: number, kernel: number, stride: number) =>
    Math.floor((inputSide - kernel) / stride) + 1;

  let out = normalised(graph, graph.input('chips', ['chips', chipSide, chipSide, 3]));
  out = graph.maxPool(graph.relu(conv(out, params.conv32_down, true)), 3, 2);
  let side = outputSide(outputSide(chipSide, 7, 2), 3, 2);
  let channels = params.conv32_down.conv.filters.shape[3];
  for (const [name, down] of RECOGNITION_BLOCKS) {
    const block = params[name];
    const first = graph.relu(conv(out, block.conv1, down));
    const second = conv(first, block.conv2, false);
    if (!down) {
      out = graph.relu(graph.add(second, out));
      continue;
    }
    // face-api's residualDown: the input average pooled, both zero-padded to the same shape.
    const convSide = outputSide(side, 3, 2);
    const pooledSide = outputSide(side, 2, 2);
    const convChannels = block.conv2.conv.filters.shape[3];
    let shortcut = graph.averagePool(out, 2, 2);
    const padded = convSide === pooledSide ? second : graph.pad(second, [0, 0, 0, 0, 0, 0, 1, 1]);
    if (convChannels > channels) {
      shortcut = graph.pad(shortcut, [0, 0, 0, 0, 0, convChannels - channels, 0, 0]);
    }
    out = graph.relu(graph.add(shortcut, padded));
    side = pooledSide;
    channels = convChannels;
  }
  const descriptors = graph.matMul(
    graph.reduceMean(out, [2, 3]),
    graph.constant(weights(params.fc), 'fc'),
  );
  graph.output(descriptors, 'descriptors', ['chips', 128]);
  return graph;
}
