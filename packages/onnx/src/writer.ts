import { bytesField, encodeMessage, floatField, stringField, varintField, type Field } from './protobuf.js'

// Writes a new ONNX model (ModelProto) from nodes and weights: what a converter emits. Field
// numbers are onnx.proto's (ModelProto ir_version 1, opset_import 8, graph 7; GraphProto node 1,
// name 2, initializer 5, input 11, output 12; NodeProto input 1, output 2, name 3, op_type 4,
// attribute 5; TensorProto dims 1, data_type 2, name 8, raw_data 9).

/** TensorProto data types oko writes. */
export const DataType = { float: 1, int32: 6, int64: 7, bool: 9 } as const

/** An attribute value: a number is an int unless it is written as `{ f }`. */
export type AttrValue = number | { f: number } | string | number[] | { floats: number[] }

export class OnnxWriter {
  private readonly nodes: Field[] = []
  private readonly initializers: Field[] = []
  private readonly inputs: Field[] = []
  private readonly outputs: Field[] = []
  private count = 0

  constructor(private readonly opset = 13) {}

  /** Adds a node; returns its first output's name. */
  node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttrValue> = {}): string {
    this.nodes.push(bytesField(1, encodeMessage([
      ...inputs.map((s) => stringField(1, s)),
      ...outputs.map((s) => stringField(2, s)),
      stringField(3, `${opType}_${this.count++}`),
      stringField(4, opType),
      ...Object.entries(attributes).map(([name, v]) => bytesField(5, encodeMessage(attribute(name, v)))),
    ])))
    return outputs[0]!
  }

  /** A fresh value name built from `base`. */
  name(base: string): string {
    return `${base}__${this.count++}`
  }

  /** Adds a weight tensor. */
  tensor(name: string, dataType: number, dims: readonly number[], data: ArrayBufferView): string {
    this.initializers.push(bytesField(5, encodeMessage([
      ...dims.map((d) => varintField(1, d)),
      varintField(2, dataType),
      stringField(8, name),
      bytesField(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
    ])))
    return name
  }

  input(name: string, dataType: number, dims: readonly number[]): void {
    this.inputs.push(bytesField(11, valueInfo(name, dataType, dims)))
  }

  output(name: string, dataType: number, dims?: readonly number[]): void {
    this.outputs.push(bytesField(12, valueInfo(name, dataType, dims)))
  }

  encode(graphName = 'oko'): Uint8Array {
    const graph = encodeMessage([...this.nodes, stringField(2, graphName), ...this.initializers, ...this.inputs, ...this.outputs])
    return encodeMessage([
      varintField(1, 8),
      stringField(2, 'oko'),
      bytesField(7, graph),
      bytesField(8, encodeMessage([stringField(1, ''), varintField(2, this.opset)])),
    ])
  }
}

/** AttributeProto: name 1, f 2, i 3, s 4, floats 7, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7). */
function attribute(name: string, v: AttrValue): Field[] {
  if (typeof v === 'number') return [stringField(1, name), varintField(3, v), varintField(20, 2)]
  if (typeof v === 'string') return [stringField(1, name), stringField(4, v), varintField(20, 3)]
  if (Array.isArray(v)) return [stringField(1, name), ...v.map((i) => varintField(8, i)), varintField(20, 7)]
  if ('floats' in v) return [stringField(1, name), ...v.floats.map((f) => floatField(7, f)), varintField(20, 6)]
  return [stringField(1, name), floatField(2, v.f), varintField(20, 1)]
}

/** ValueInfoProto: name 1, type 2 → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1 → dim_value 1 (or dim_param 2). */
function valueInfo(name: string, dataType: number, dims?: readonly number[]): Uint8Array {
  const shape = dims ? [bytesField(2, encodeMessage(dims.map((d) => bytesField(1, encodeMessage(d >= 0 ? [varintField(1, d)] : [stringField(2, 'n')])))))] : []
  return encodeMessage([stringField(1, name), bytesField(2, encodeMessage([bytesField(1, encodeMessage([varintField(1, dataType), ...shape]))]))])
}
