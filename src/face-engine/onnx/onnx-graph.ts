/**
 * A small builder of ONNX graphs: just the operators face-api's three nets and MobileFaceNet
 * need, each a typed method that returns the name of its output. Tensors are NCHW inside the
 * graph, as ONNX's Conv wants; filters are taken in TensorFlow's layout and transposed here, once.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Opset 13: Clip, Pad and Slice take their bounds as inputs; ReduceMean still takes axes. */
const OPSET = 13;
/** The IR version that goes with opset 13. */
const IR_VERSION = 7;

/** A float32 tensor: values row-major, `shape` outermost first. */
export interface Weights {
  data: Float32Array;
  shape: number[];
}

type Attribute = number | number[] | string;

/** A dimension: a size, or a name for a size fixed only when the graph runs. */
export type Dimension = number | string;

export class OnnxGraph {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private count = 0;

  constructor(private readonly name: string) {}

  /** A float32 graph input. */
  input(name: string, shape: Dimension[]): string {
    this.inputs.push(valueInfo(name, shape));
    return name;
  }

  /** Marks `value` as a float32 graph output named `name`. */
  output(value: string, name: string, shape: Dimension[]): void {
    const out = this.op('Identity', [value], {}, name);
    this.outputs.push(valueInfo(out, shape));
  }

  constant(weights: Weights, hint = 'constant'): string {
    const name = this.fresh(hint);
    this.initializers.push(tensor(name, weights));
    return name;
  }

  /** An int64 constant (shapes, axes, pads). */
  ints(values: number[]): string {
    const name = this.fresh('ints');
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dataType: onnx.TensorProto.DataType.INT64,
        dims: [values.length],
        int64Data: values,
      }),
    );
    return name;
  }

  scalar(value: number): string {
    return this.constant({ data: Float32Array.of(value), shape: [] }, 'scalar');
  }

  /**
   * A convolution with TensorFlow's `[height, width, in, out]` filter (or `[height, width,
   * channels, 1]` for a depthwise one) and "same" padding as TensorFlow computes it (the odd pixel
   * after), or none ("valid").
   */
  conv(
    x: string,
    filter: Weights,
    bias: Float32Array | undefined,
    { stride = 1, padding = 'same', depthwise = false }: ConvOptions = {},
  ): string {
    const [height, width, inputs, outputs] = filter.shape;
    const channels = depthwise ? inputs : outputs;
    const kernel = depthwise
      ? transpose(filter, [2, 3, 0, 1]) // [in, 1, h, w]
      : transpose(filter, [3, 2, 0, 1]); // [out, in, h, w]
    const operands = [x, this.constant(kernel, 'filter')];
    if (bias) operands.push(this.constant({ data: bias, shape: [channels] }, 'bias'));
    return this.op('Conv', operands, {
      kernel_shape: [height, width],
      strides: [stride, stride],
      group: depthwise ? inputs : 1,
      auto_pad: padding === 'same' ? 'SAME_UPPER' : 'VALID',
    });
  }

  relu(x: string): string {
    return this.op('Relu', [x]);
  }

  clip(x: string, min: number, max: number): string {
    return this.op('Clip', [x, this.scalar(min), this.scalar(max)]);
  }

  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }

  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }

  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }

  div(a: string, b: string): string {
    return this.op('Div', [a, b]);
  }

  abs(x: string): string {
    return this.op('Abs', [x]);
  }

  exp(x: string): string {
    return this.op('Exp', [x]);
  }

  sigmoid(x: string): string {
    return this.op('Sigmoid', [x]);
  }

  matMul(a: string, b: string): string {
    return this.op('MatMul', [a, b]);
  }

  maxPool(x: string, kernel: number, stride: number): string {
    return this.op('MaxPool', [x], { kernel_shape: [kernel, kernel], strides: [stride, stride] });
  }

  averagePool(x: string, kernel: number, stride: number): string {
    return this.op('AveragePool', [x], {
      kernel_shape: [kernel, kernel],
      strides: [stride, stride],
    });
  }

  /** The mean over `axes`, which are dropped. */
  reduceMean(x: string, axes: number[]): string {
    return this.op('ReduceMean', [x], { axes, keepdims: 0 });
  }

  /** Zeros added before and after each axis: `[before..., after...]`, as ONNX orders them. */
  pad(x: string, pads: number[]): string {
    return this.op('Pad', [x, this.ints(pads)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.op('Transpose', [x], { perm });
  }

  reshape(x: string, shape: number[]): string {
    return this.op('Reshape', [x, this.ints(shape)]);
  }

  concat(values: string[], axis: number): string {
    return this.op('Concat', values, { axis });
  }

  /** Elements `start` up to `end` of `axis`. */
  slice(x: string, axis: number, start: number, end: number): string {
    return this.op('Slice', [x, this.ints([start]), this.ints([end]), this.ints([axis])]);
  }

  /** The serialised ModelProto. */
  encode(producer: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: producer,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private op(
    type: string,
    inputs: string[],
    attributes: Record<string, Attribute> = {},
    output = this.fresh(type),
  ): string {
    this.nodes.push(
      onnx.NodeProto.create({
        opType: type,
        name: output,
        input: inputs,
        output: [output],
        attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
      }),
    );
    return output;
  }

  private fresh(hint: string): string {
    return `${hint}_${this.count++}`;
  }
}

interface ConvOptions {
  stride?: number;
  padding?: 'same' | 'valid';
  depthwise?: boolean;
}

function attribute(name: string, value: Attribute): InstanceType<typeof onnx.AttributeProto> {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') {
    return onnx.AttributeProto.create({
      name,
      type: AttributeType.STRING,
      s: new TextEncoder().encode(value),
    });
  }
  if (typeof value === 'number') {
    return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value });
  }
  return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: value });
}

function tensor(name: string, { data, shape }: Weights): InstanceType<typeof onnx.TensorProto> {
  return onnx.TensorProto.create({
    name,
    dataType: onnx.TensorProto.DataType.FLOAT,
    dims: shape,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

function valueInfo(name: string, shape: Dimension[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: shape.map((size) =>
            typeof size === 'number' ? { dimValue: size } : { dimParam: size },
          ),
        },
      },
    },
  });
}

/** `weights` with its axes reordered: axis `i` of the result is axis `perm[i]` of the input. */
export function transpose({ data, shape }: Weights, perm: number[]): Weights {
  const outShape = perm.map((axis) => shape[axis]);
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let target = 0; target < out.length; target++) {
    let source = 0;
    for (let axis = 0; axis < perm.length; axis++) source += index[axis] * strides[perm[axis]];
    out[target] = data[source];
    for (let axis = perm.length - 1; axis >= 0; axis--) {
      if (++index[axis] < outShape[axis]) break;
      index[axis] = 0;
    }
  }
  return { data: out, shape: outShape };
}
