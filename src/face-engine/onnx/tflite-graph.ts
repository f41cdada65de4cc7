/**
 * An ONNX graph from a float32 TFLite net, operator by operator, for the few operators a
 * MobileNet-style embedding net is made of (see `TFLITE_OPERATORS`); anything else is refused by
 * name rather than guessed at. TFLite computes in NHWC; the graph computes in NCHW, as ONNX's Conv
 * wants: the input is transposed once, per-channel constants are laid along axis 1, and a reshape
 * is accepted only where NHWC and NCHW hold the same order (a 1 x 1 map).
 */
import { OnnxGraph, transpose, type Weights } from './onnx-graph.js';
import type { TfliteModel, TfliteOperator, TfliteTensor } from './tflite.js';

/** `ActivationFunctionType` in the TFLite schema. */
const ACTIVATION = { NONE: 0, RELU: 1, RELU6: 3 } as const;
/** `Padding` in the TFLite schema. */
const PADDING_VALID = 1;

export interface TfliteGraphOptions {
  /** The ONNX graph's name. */
  name: string;
  /** The graph input's name; its batch is left free (`[name, ...rest of the TFLite shape]`). */
  input: string;
  /** The graph output's name. */
  output: string;
  /**
   * What the graph does to its input before the TFLite net's first operator, per value:
   * `(x - mean) / scale` (the net's own normalisation), so callers give 0..255 pixels.
   */
  normalise?: { mean: number; scale: number };
}

/** A value of the ONNX graph: its name, and whether it is a 4-d map laid out NCHW. */
interface Value {
  name: string;
  nchw: boolean;
}

export function tfliteGraph(model: TfliteModel, options: TfliteGraphOptions): OnnxGraph {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error('Only a TFLite net with one input and one output can be converted');
  }
  const graph = new OnnxGraph(options.name);
  const values = new Map<number, Value>();
  const inputTensor = model.tensors[model.inputs[0]];
  if (inputTensor.shape.length !== 4) throw new Error('The TFLite input is not an NHWC image');
  let input = graph.input(options.input, [options.input, ...inputTensor.shape.slice(1)]);
  if (options.normalise) {
    const { mean, scale } = options.normalise;
    input = graph.div(graph.sub(input, graph.scalar(mean)), graph.scalar(scale));
  }
  values.set(model.inputs[0], { name: graph.transpose(input, [0, 3, 1, 2]), nchw: true });

  const tensor = (index: number): TfliteTensor => model.tensors[index];
  /** An operand: an activation computed before, or a constant from the file. */
  const operand = (index: number, other?: TfliteTensor): Value => {
    const known = values.get(index);
    if (known) return known;
    const { data, shape, name } = tensor(index);
    if (!data) throw new Error(`TFLite tensor ${name} is read before it is computed`);
    if (shape.length <= 1 && other?.shape.length === 4) {
      // A per-channel constant meets an NCHW map: its channels go along axis 1.
      const channels = shape[0] ?? 1;
      return {
        name: graph.constant({ data, shape: shape.length === 0 ? [] : [channels, 1, 1] }, 'c'),
        nchw: false,
      };
    }
    if (shape.length === 4) {
      return { name: graph.constant(transpose({ data, shape }, [0, 3, 1, 2]), 'c'), nchw: true };
    }
    return { name: graph.constant({ data, shape }, 'c'), nchw: false };
  };
  const activate = (x: string, code: number, operator: TfliteOperator): string => {
    if (code === ACTIVATION.NONE) return x;
    if (code === ACTIVATION.RELU) return graph.relu(x);
    if (code === ACTIVATION.RELU6) return graph.clip(x, 0, 6);
    throw new Error(`${operator.type}: fused activation ${code} is not supported`);
  };
  const constantOf = (index: number): Weights => {
    const { data, shape, name } = tensor(index);
    if (!data) throw new Error(`TFLite tensor ${name} is not a constant`);
    return { data, shape };
  };

  for (const operator of model.operators) {
    const { type, inputs, outputs, options: fields } = operator;
    const [first, second] = inputs;
    let out: Value;
    switch (type) {
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D': {
        const depthwise = type === 'DEPTHWISE_CONV_2D';
        // Conv2DOptions: padding 0, stride_w 1, stride_h 2, activation 3, dilation_w 4, dilation_h 5;
        // DepthwiseConv2DOptions the same with depth_multiplier at 3, so the rest one later.
        const shift = depthwise ? 1 : 0;
        const [strideW, strideH] = [fields.int(1, 1), fields.int(2, 1)];
        const dilations = [fields.int(4 + shift, 1), fields.int(5 + shift, 1)];
        if (strideW !== strideH || dilations.some((value) => value !== 1)) {
          throw new Error(`${type}: only equal strides and no dilation are supported`);
        }
        if (depthwise && fields.int(3, 1) !== 1) {
          throw new Error(`${type}: only a depth multiplier of 1 is supported`);
        }
        // TFLite's filters are [out, h, w, in] (depthwise [1, h, w, channels]); the builder
        // takes TensorFlow's [h, w, in, out] ([h, w, channels, 1]): the same move for both.
        const filter = transpose(constantOf(second), [1, 2, 3, 0]);
        const bias =
          inputs[2] !== undefined && inputs[2] >= 0 ? constantOf(inputs[2]).data : undefined;
        const conv = graph.conv(operand(first).name, filter, bias, {
          stride: strideW,
          padding: fields.byte(0) === PADDING_VALID ? 'valid' : 'same',
          depthwise,
        });
        out = { name: activate(conv, fields.byte(3 + shift), operator), nchw: true };
        break;
      }
      case 'ADD':
      case 'SUB':
      case 'MUL': {
        const a = operand(first, tensor(second));
        const b = operand(second, tensor(first));
        const combine = { ADD: 'add', SUB: 'sub', MUL: 'mul' } as const;
        const result = graph[combine[type]](a.name, b.name);
        // AddOptions, SubOptions, MulOptions: fused_activation_function 0.
        out = {
          name: activate(result, fields.byte(0), operator),
          nchw: a.nchw || b.nchw,
        };
        break;
      }
      case 'RELU':
        out = { ...operand(first), name: graph.relu(operand(first).name) };
        break;
      case 'RELU6':
        out = { ...operand(first), name: graph.clip(operand(first).name, 0, 6) };
        break;
      case 'ABS':
        out = { ...operand(first), name: graph.abs(operand(first).name) };
        break;
      case 'RESHAPE': {
        const from = tensor(first).shape;
        const to = tensor(outputs[0]).shape;
        const x = operand(first);
        if (x.nchw && !(from.length === 4 && from[1] === 1 && from[2] === 1)) {
          throw new Error('RESHAPE: only a 1 x 1 map can be reshaped');
        }
        // The batch stays free: the first dimension is whatever the input's is.
        out = { name: graph.reshape(x.name, [-1, ...to.slice(1)]), nchw: false };
        break;
      }
      default:
        throw new Error(`TFLite operator ${type} is not supported`);
    }
    values.set(outputs[0], out);
  }
  const result = values.get(model.outputs[0]);
  const outputShape = tensor(model.outputs[0]).shape;
  if (!result || result.nchw) throw new Error('The TFLite output is not a flat vector per input');
  graph.output(result.name, options.output, [options.input, ...outputShape.slice(1)]);
  return graph;
}
