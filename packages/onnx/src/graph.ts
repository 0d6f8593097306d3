import {
  asFloat, asFloats, asInts, asString, bytesField, decodeMessage, encodeMessage, floatField, stringField, varintField, type Field,
} from './protobuf.js'

// An ONNX model opened for editing its graph's nodes, weights and output shape. Field numbers
// are those of onnx.proto (ModelProto.graph 7; GraphProto node 1, initializer 5, output 12; …).

export interface OnnxNode {
  opType: string
  input: string[]
  output: string[]
  /** Each attribute as its fields (AttributeProto). */
  attributes: Field[][]
  /** name, domain, doc_string: passed through. */
  other: Field[]
}

/** A weight tensor (TensorProto); only float data is read. */
export interface OnnxTensor {
  dims: number[]
  dataType: number
  floats(): Float32Array
}

export const FLOAT = 1

export class OnnxGraph {
  readonly nodes: OnnxNode[]
  /** Weights by name: initializers and Constant nodes' values. */
  readonly weights = new Map<string, OnnxTensor>()
  readonly outputs: string[]
  private readonly added: Field[] = []
  private outputLastDim: number | undefined

  private constructor(private readonly model: Field[], private readonly graph: Field[]) {
    this.nodes = graph.filter((f) => f.no === 1).map((f) => decodeNode(f.value as Uint8Array))
    for (const f of graph) if (f.no === 5) { const t = decodeMessage(f.value as Uint8Array); this.weights.set(stringOf(t, 8), tensorOf(t)) }
    for (const n of this.nodes) {
      const value = n.opType === 'Constant' ? n.attributes.find((a) => attrName(a) === 'value')?.find((f) => f.no === 5) : undefined
      if (value) this.weights.set(n.output[0]!, tensorOf(decodeMessage(value.value as Uint8Array)))
    }
    this.outputs = graph.filter((f) => f.no === 12).map((f) => stringOf(decodeMessage(f.value as Uint8Array), 1))
  }

  /** Throws when `bytes` is not a protobuf message with a graph. */
  static decode(bytes: Uint8Array): OnnxGraph {
    const model = decodeMessage(bytes)
    const graph = model.find((f) => f.no === 7 && f.wire === 2)
    if (!graph) throw new Error('no graph in the model')
    return new OnnxGraph(model, decodeMessage(graph.value as Uint8Array))
  }

  /** Adds a float initializer named after `base`; returns its name. */
  addWeights(base: string, data: Float32Array, dims: number[]): string {
    const name = `${base}.oko${this.added.length}`
    const tensor = [...dims.map((d) => varintField(1, d)), varintField(2, FLOAT), stringField(8, name), bytesField(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))]
    this.added.push(bytesField(5, encodeMessage(tensor)))
    this.weights.set(name, { dims, dataType: FLOAT, floats: () => data })
    return name
  }

  /** Sets the last dimension of the first graph output (e.g. a pruned class count). */
  setOutputLastDim(size: number): void {
    this.outputLastDim = size
  }

  /** The model with the nodes `keep` accepts; initializers none of them reads are left out (unless a node has a subgraph). */
  encode(keep: (node: OnnxNode) => boolean): Uint8Array {
    const graph: Field[] = []
    const kept = this.nodes.filter(keep)
    const read = kept.some((n) => n.attributes.some((a) => a.some((x) => x.no === 6 || x.no === 11))) ? undefined : new Set([...kept.flatMap((n) => n.input), ...this.outputs])
    const isRead = (f: Field) => read === undefined || read.has(stringOf(decodeMessage(f.value as Uint8Array), 8))
    let nodesDone = false
    let firstOutput = true
    for (const f of this.graph) {
      if (f.no === 5 && !isRead(f)) continue
      if (f.no === 1) {
        if (!nodesDone) graph.push(...kept.map((n) => bytesField(1, encodeNode(n))))
        nodesDone = true
      } else if (f.no === 12 && firstOutput && this.outputLastDim !== undefined) {
        graph.push(bytesField(12, withLastDim(f.value as Uint8Array, this.outputLastDim)))
        firstOutput = false
      } else {
        if (f.no === 12) firstOutput = false
        graph.push(f)
      }
    }
    graph.push(...this.added.filter(isRead))
    return encodeMessage(this.model.map((f) => (f.no === 7 && f.wire === 2 ? bytesField(7, encodeMessage(graph)) : f)))
  }
}

function attrName(a: Field[]): string | undefined {
  const f = a.find((x) => x.no === 1)
  return f ? asString(f) : undefined
}

/** A float attribute (`f`), or undefined. */
export function floatAttr(n: OnnxNode, name: string): number | undefined {
  const f = n.attributes.find((a) => attrName(a) === name)?.find((x) => x.no === 2)
  return f ? asFloat(f) : undefined
}

/** A float attribute's fields (AttributeProto: name 1, f 2, type 20 = FLOAT). */
export function floatAttribute(name: string, f: number): Field[] {
  return [stringField(1, name), floatField(2, f), varintField(20, 1)]
}

function decodeNode(bytes: Uint8Array): OnnxNode {
  const node: OnnxNode = { opType: '', input: [], output: [], attributes: [], other: [] }
  for (const f of decodeMessage(bytes)) {
    if (f.no === 1) node.input.push(asString(f))
    else if (f.no === 2) node.output.push(asString(f))
    else if (f.no === 4) node.opType = asString(f)
    else if (f.no === 5) node.attributes.push(decodeMessage(f.value as Uint8Array))
    else node.other.push(f)
  }
  return node
}

function encodeNode(n: OnnxNode): Uint8Array {
  return encodeMessage([
    ...n.input.map((s) => stringField(1, s)),
    ...n.output.map((s) => stringField(2, s)),
    ...n.other,
    stringField(4, n.opType),
    ...n.attributes.map((a) => bytesField(5, encodeMessage(a))),
  ])
}

function stringOf(fields: Field[], no: number): string {
  const f = fields.find((x) => x.no === no && x.wire === 2)
  return f ? asString(f) : ''
}

/** TensorProto: dims 1, data_type 2, float_data 4, name 8, raw_data 9. */
function tensorOf(t: Field[]): OnnxTensor {
  const dims = asInts(t.filter((f) => f.no === 1))
  const type = t.find((f) => f.no === 2)
  const raw = t.find((f) => f.no === 9)
  return {
    dims,
    dataType: type ? Number(type.value) : 0,
    floats: () => raw ? new Float32Array(Uint8Array.from(raw.value as Uint8Array).buffer) : Float32Array.from(asFloats(t.filter((f) => f.no === 4))),
  }
}

/** ValueInfoProto.type(2) → TypeProto.tensor_type(1) → shape(2) → last dim(1) = { dim_value(1) }. */
function withLastDim(valueInfo: Uint8Array, size: number): Uint8Array {
  const edit = (bytes: Uint8Array, path: number[]): Uint8Array => {
    const fields = decodeMessage(bytes)
    if (path.length === 0) {
      const last = fields.map((f) => f.no).lastIndexOf(1)
      if (last >= 0) fields[last] = bytesField(1, encodeMessage([varintField(1, size)]))
      return encodeMessage(fields)
    }
    return encodeMessage(fields.map((f) => (f.no === path[0] && f.wire === 2 ? bytesField(f.no, edit(f.value as Uint8Array, path.slice(1))) : f)))
  }
  return edit(valueInfo, [2, 1, 2])
}
