/**
 * A reader of the parts of a TensorFlow Lite model file that a float32 convolutional net needs:
 * its first subgraph's tensors (shape, type, constant data), inputs, outputs and operators with
 * their options. A `.tflite` file is a FlatBuffer (schema: tensorflow/lite/schema/schema.fbs);
 * the fields are read by their index in that schema, so no generated code and no dependency.
 */

/** The builtin operators this reader names (`BuiltinOperator` in the schema). */
export const TFLITE_OPERATORS = {
  0: 'ADD',
  3: 'CONV_2D',
  4: 'DEPTHWISE_CONV_2D',
  18: 'MUL',
  19: 'RELU',
  21: 'RELU6',
  22: 'RESHAPE',
  41: 'SUB',
  101: 'ABS',
} as const;
export type TfliteOperatorName = (typeof TFLITE_OPERATORS)[keyof typeof TFLITE_OPERATORS];

/** `TensorType.FLOAT32`: the only tensor type this reader gives data for. */
const FLOAT32 = 0;

export interface TfliteTensor {
  name: string;
  shape: number[];
  /** The `TensorType` code: 0 is float32. */
  type: number;
  /** The constant's values, for a float32 tensor that has a buffer; undefined for activations. */
  data?: Float32Array;
}

export interface TfliteOperator {
  /** The builtin's name, or `BUILTIN_<code>` for one this reader does not name. */
  type: TfliteOperatorName | `BUILTIN_${number}`;
  /** Indexes into `tensors`; -1 for an optional input left out. */
  inputs: number[];
  outputs: number[];
  /** The builtin options table, read by field index with `option`. */
  options: TfliteOptions;
}

export interface TfliteModel {
  version: number;
  description: string;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
}

/** Reads fields of one FlatBuffer table. */
export class TfliteOptions {
  constructor(
    private readonly view: DataView | undefined,
    private readonly table: number,
  ) {}

  /** An int8 or uint8 field (enums such as padding and activation), `fallback` when absent. */
  byte(field: number, fallback = 0): number {
    if (!this.view) return fallback;
    const at = fieldOffset(this.view, this.table, field);
    return at ? this.view.getInt8(at) : fallback;
  }

  /** An int32 field (strides, dilations), `fallback` when absent. */
  int(field: number, fallback = 0): number {
    if (!this.view) return fallback;
    const at = fieldOffset(this.view, this.table, field);
    return at ? this.view.getInt32(at, true) : fallback;
  }
}

/** The position of `field` of the table at `table`, or 0 where the field is absent. */
function fieldOffset(view: DataView, table: number, field: number): number {
  const vtable = table - view.getInt32(table, true);
  const vtableLength = view.getUint16(vtable, true);
  const entry = 4 + 2 * field;
  if (entry >= vtableLength) return 0;
  const offset = view.getUint16(vtable + entry, true);
  return offset === 0 ? 0 : table + offset;
}

/** Parses `bytes` as a TFLite model; throws when they are not one. */
export function readTflite(bytes: Uint8Array): TfliteModel {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(4, 8)) !== 'TFL3') {
    throw new Error('Not a TensorFlow Lite model (no TFL3 identifier)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const deref = (at: number) => at + view.getUint32(at, true);
  const field = (table: number, index: number) => fieldOffset(view, table, index);
  const vector = (at: number): [start: number, length: number] => {
    if (!at) return [0, 0];
    const start = deref(at);
    return [start + 4, view.getUint32(start, true)];
  };
  const tables = (at: number) => {
    const [start, length] = vector(at);
    return Array.from({ length }, (_, index) => deref(start + 4 * index));
  };
  const ints = (at: number) => {
    const [start, length] = vector(at);
    return Array.from({ length }, (_, index) => view.getInt32(start + 4 * index, true));
  };
  const string = (at: number) => {
    const [start, length] = vector(at);
    return new TextDecoder().decode(bytes.subarray(start, start + length));
  };

  const model = deref(0);
  // Model: version 0, operator_codes 1, subgraphs 2, description 3, buffers 4.
  const version = view.getUint32(field(model, 0), true);
  const codes = tables(field(model, 1)).map((code) => {
    // OperatorCode: deprecated_builtin_code 0 (int8), builtin_code 3 (int32): the larger holds.
    const deprecated = field(code, 0) ? view.getInt8(field(code, 0)) : 0;
    const builtin = field(code, 3) ? view.getInt32(field(code, 3), true) : 0;
    return Math.max(deprecated, builtin);
  });
  const buffers = tables(field(model, 4)).map((buffer) => vector(field(buffer, 0)));
  const subgraphs = tables(field(model, 2));
  if (subgraphs.length === 0) throw new Error('The TFLite model has no subgraph');
  const graph = subgraphs[0];

  // Tensor: shape 0, type 1, buffer 2, name 3.
  const tensors = tables(field(graph, 0)).map((tensor): TfliteTensor => {
    const shape = ints(field(tensor, 0));
    const type = field(tensor, 1) ? view.getInt8(field(tensor, 1)) : FLOAT32;
    const bufferIndex = field(tensor, 2) ? view.getUint32(field(tensor, 2), true) : 0;
    const [start, length] = buffers[bufferIndex] ?? [0, 0];
    let data: Float32Array | undefined;
    if (length > 0 && type === FLOAT32) {
      // Copied: the file's bytes need not be 4-byte aligned for a Float32Array view (and a
      // Node Buffer's slice would share them).
      const copy = new Uint8Array(length);
      copy.set(bytes.subarray(start, start + length));
      data = new Float32Array(copy.buffer);
    }
    return { name: string(field(tensor, 3)), shape, type, data };
  });
  // Operator: opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4.
  const operators = tables(field(graph, 3)).map((operator): TfliteOperator => {
    const code = codes[field(operator, 0) ? view.getUint32(field(operator, 0), true) : 0];
    const name = TFLITE_OPERATORS[code as keyof typeof TFLITE_OPERATORS];
    const options = field(operator, 4);
    return {
      type: name ?? `BUILTIN_${code}`,
      inputs: ints(field(operator, 1)),
      outputs: ints(field(operator, 2)),
      options: options ? new TfliteOptions(view, deref(options)) : new TfliteOptions(undefined, 0),
    };
  });
  return {
    version,
    description: string(field(model, 3)),
    tensors,
    // SubGraph: tensors 0, inputs 1, outputs 2, operators 3.
    inputs: ints(field(graph, 1)),
    outputs: ints(field(graph, 2)),
    operators,
  };
}
