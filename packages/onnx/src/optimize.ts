import { FLOAT, OnnxGraph, floatAttr, floatAttribute, type OnnxNode } from './graph.js'

/** Bumped whenever `optimizeModel`'s output changes: cached rewrites (OpenSessionOptions.rewriteCache) keyed with it are redone. */
export const OPTIMIZE_VERSION = 2

/** What `optimizeModel` changed. */
export interface OptimizeReport {
  /** Scalar Mul/Add nodes after a Conv folded into its weights and bias. */
  foldedAffine: number
  /** `x * clip(x + 3, 0, 6) / 6` and `(x * c) * clip(x + 3, 0, 6)` chains (4 nodes) replaced by `x * HardSigmoid(x)` (2 nodes). */
  hardSwish: number
  /** Output classes kept by the final MatMul → Add → Softmax, when it was pruned. */
  keptClasses?: number
}

/**
 * Graph rewrites that onnxruntime does not make on Paddle2ONNX exports (PaddleOCR v4's detector
 * and recogniser) and TF.js MobileNetV3 graphs (CenterNet): each Conv's learnable affine (a scalar
 * Mul and Add) is folded into its weights, hard-swish becomes two nodes instead of four,
 * `x · HardSigmoid(x)`, which onnxruntime fuses into the Conv before it (CenterNet at 160²: 5.0
 * → 4.5 ms a run, bench/centernet-rewrite.bench.ts), and with `keepClasses` the recogniser's last layer computes only those
 * classes (its softmax is then over them alone: the restricted renormalisation the CTC decoder
 * does anyway). Outputs equal the original's up to float rounding. Patterns that do not match are
 * left alone, so any model may be passed; bytes that are not a model throw.
 */
export function optimizeModel(bytes: Uint8Array, keepClasses?: readonly number[]): { bytes: Uint8Array; report: OptimizeReport } {
  const g = OnnxGraph.decode(bytes)
  const report: OptimizeReport = { foldedAffine: 0, hardSwish: 0 }
  const removed = new Set<OnnxNode>()
  const outputs = new Set(g.outputs)
  let readers = readersOf(g.nodes, removed)
  /** The one node reading `name`, when exactly one does and it is not a graph output. */
  const soleReader = (name: string): OnnxNode | undefined => {
    const list = readers.get(name)
    return list?.length === 1 && !outputs.has(name) ? list[0] : undefined
  }
  const scalarBeside = (n: OnnxNode, input: string): number | undefined => {
    const other = n.input.length === 2 ? n.input[n.input[0] === input ? 1 : 0] : undefined
    const t = other === undefined ? undefined : g.weights.get(other)
    if (t?.dataType !== FLOAT || t.dims.some((d) => d !== 1)) return undefined
    const v = t.floats()
    return v.length === 1 ? v[0] : undefined
  }

  // conv(x) * a + b → conv'(x): W' = a W, B' = a B + b.
  for (const conv of g.nodes) {
    const w = conv.opType === 'Conv' ? g.weights.get(conv.input[1]!) : undefined
    if (w?.dataType !== FLOAT) continue
    let scale = 1
    let shift = 0
    let folded = 0
    for (let next = soleReader(conv.output[0]!); next?.opType === 'Mul' || next?.opType === 'Add'; next = soleReader(conv.output[0]!)) {
      const v = scalarBeside(next, conv.output[0]!)
      if (v === undefined) break
      if (next.opType === 'Mul') { scale *= v; shift *= v } else shift += v
      conv.output[0] = next.output[0]!
      removed.add(next)
      folded++
    }
    if (folded === 0) continue
    affineConv(g, conv, scale, shift)
    report.foldedAffine += folded
  }
  readers = readersOf(g.nodes, removed)

  /** `clip(x + 3, 0, 6)` computed from `add` (read by one Clip), and the one node that reads it. */
  const relu6Of = (add: OnnxNode): { x: string; clip: OnnxNode; next: OnnxNode } | undefined => {
    if (add.opType !== 'Add' || removed.has(add)) return undefined
    const x = g.weights.has(add.input[0]!) ? add.input[1]! : add.input[0]!
    if (scalarBeside(add, x) !== 3) return undefined
    const clip = soleReader(add.output[0]!)
    if (clip?.opType !== 'Clip' || !clipsTo(g, clip, 0, 6)) return undefined
    const next = soleReader(clip.output[0]!)
    return next ? { x, clip, next } : undefined
  }

  // x * clip(x + 3, 0, 6) / 6 → x * HardSigmoid(x; 1/6, 0.5).
  for (const add of g.nodes) {
    const r6 = relu6Of(add)
    if (!r6) continue
    const { x, clip, next: mul } = r6
    if (mul.opType !== 'Mul' || !mul.input.includes(x)) continue
    const div = soleReader(mul.output[0]!)
    if (div?.opType !== 'Div' || div.input[0] !== mul.output[0] || scalarBeside(div, mul.output[0]!) !== 6) continue
    add.opType = 'HardSigmoid'
    add.input = [x]
    add.attributes = [floatAttribute('alpha', 1 / 6), floatAttribute('beta', 0.5)]
    mul.input = [x, add.output[0]!]
    mul.output = [div.output[0]!]
    removed.add(clip)
    removed.add(div)
    report.hardSwish++
  }
  readers = readersOf(g.nodes, removed)

  // TF exports (MobileNetV3; c is 1/6 rounded to float16): (x * c) * clip(x + 3, 0, 6) = 6c · x HardSigmoid(x; 1/6, 1/2),
  // which onnxruntime fuses into the Conv before it (only with the exact sixth). The factor 6c goes
  // into the weights of the Convs that read the result (through Transposes, ReduceMean and Mul,
  // each linear in it); where another node reads it, the chain is left alone.
  for (const add of g.nodes) {
    const r6 = relu6Of(add)
    if (!r6) continue
    const { x, clip, next: mul } = r6
    const scaledName = mul.opType === 'Mul' ? mul.input.find((i) => i !== clip.output[0]) : undefined
    const scaled = scaledName === undefined ? undefined : g.nodes.find((n) => !removed.has(n) && n.opType === 'Mul' && n.output[0] === scaledName)
    const c = scaled && soleReader(scaled.output[0]!) === mul ? scalarBeside(scaled, x) : undefined
    if (!scaled || c === undefined || Math.abs(c - 1 / 6) > 1e-3) continue
    const convs = convsReading(g, mul.output[0]!, readers, outputs)
    if (!convs) continue
    for (const conv of convs) scaleWeights(g, conv, 6 * c)
    add.opType = 'HardSigmoid'
    add.input = [x]
    add.attributes = [floatAttribute('alpha', 1 / 6), floatAttribute('beta', 0.5)]
    mul.input = [x, add.output[0]!]
    removed.add(clip)
    removed.add(scaled)
    report.hardSwish++
  }
  readers = readersOf(g.nodes, removed)

  // MatMul(x, W[k×n]) → Add(b[n]) → Softmax → first output: keep only the listed columns.
  if (keepClasses) {
    const producer = (name: string | undefined) => g.nodes.find((n) => !removed.has(n) && n.output[0] === name)
    const softmax = producer(g.outputs[0])
    const add = softmax?.opType === 'Softmax' ? producer(softmax.input[0]) : undefined
    const matmul = add?.opType === 'Add' ? add.input.map(producer).find((n) => n?.opType === 'MatMul') : undefined
    const w = matmul && g.weights.get(matmul.input[1]!)
    const biasName = matmul && add?.input.find((i) => i !== matmul.output[0])
    const b = biasName === undefined ? undefined : g.weights.get(biasName)
    const [k, n] = w?.dims ?? []
    if (matmul && add && w && b && k !== undefined && n !== undefined && w.dims.length === 2 && w.dataType === FLOAT && b.dataType === FLOAT
      && keepClasses.every((c) => Number.isInteger(c) && c >= 0 && c < n)) {
      const wAll = w.floats()
      const bAll = b.floats()
      const kept = keepClasses.length
      const wKept = new Float32Array(k * kept)
      keepClasses.forEach((c, j) => { for (let r = 0; r < k; r++) wKept[r * kept + j] = wAll[r * n + c]! })
      matmul.input[1] = g.addWeights(matmul.input[1]!, wKept, [k, kept])
      add.input = [matmul.output[0]!, g.addWeights(biasName!, Float32Array.from(keepClasses, (c) => bAll[c]!), [kept])]
      g.setOutputLastDim(kept)
      report.keptClasses = kept
    }
  }
  // Drop constants nothing reads any more.
  readers = readersOf(g.nodes, removed)
  return { bytes: g.encode((n) => !removed.has(n) && (n.opType !== 'Constant' || readers.has(n.output[0]!) || outputs.has(n.output[0]!))), report }
}

function readersOf(nodes: readonly OnnxNode[], removed: ReadonlySet<OnnxNode>): Map<string, OnnxNode[]> {
  const map = new Map<string, OnnxNode[]>()
  for (const n of nodes) {
    if (removed.has(n)) continue
    for (const input of n.input) {
      const list = map.get(input) ?? []
      list.push(n)
      map.set(input, list)
    }
  }
  return map
}

/** Clip's bounds are attributes up to opset 10 and inputs from 11. */
function clipsTo(g: OnnxGraph, n: OnnxNode, lo: number, hi: number): boolean {
  const bound = (name: string, index: number): number | undefined => {
    const attr = floatAttr(n, name)
    if (attr !== undefined) return attr
    const t = n.input[index] ? g.weights.get(n.input[index]) : undefined
    return t?.dataType === FLOAT ? t.floats()[0] : undefined
  }
  return bound('min', 1) === lo && bound('max', 2) === hi
}


/**
 * The Convs that read `name` as their data, directly or through nodes linear in it (Transpose,
 * ReduceMean, Mul by another tensor), each once; undefined when anything else reads it (scaling
 * `name` is then not absorbed by Conv weights alone).
 */
function convsReading(g: OnnxGraph, name: string, readers: ReadonlyMap<string, OnnxNode[]>, outputs: ReadonlySet<string>): Set<OnnxNode> | undefined {
  const convs = new Set<OnnxNode>()
  const walk = (at: string, depth: number): boolean => {
    if (outputs.has(at) || depth > 4) return false
    for (const r of readers.get(at) ?? []) {
      if (r.opType === 'Conv' && r.input[0] === at && !r.input.slice(1).includes(at) && g.weights.get(r.input[1]!)?.dataType === FLOAT) {
        if (convs.has(r)) return false
        convs.add(r)
      } else if (r.opType === 'Transpose' || r.opType === 'ReduceMean' || (r.opType === 'Mul' && r.input.length === 2 && r.input.filter((i) => i === at).length === 1)) {
        if (!walk(r.output[0]!, depth + 1)) return false
      } else return false
    }
    return true
  }
  return walk(name, 0) && convs.size > 0 ? convs : undefined
}

/** Multiplies a Conv's weights (not its bias) by `k`: it reads an input k times smaller to the same output. */
function scaleWeights(g: OnnxGraph, conv: OnnxNode, k: number): void {
  const w = g.weights.get(conv.input[1]!)!
  conv.input[1] = g.addWeights(conv.input[1]!, w.floats().map((v) => v * k), w.dims)
}

/** A Conv computing `scale * conv(x) + shift` instead: its weights and bias rewritten. */
function affineConv(g: OnnxGraph, conv: OnnxNode, scale: number, shift: number): void {
  const w = g.weights.get(conv.input[1]!)!
  const channels = w.dims[0]!
  const bias = conv.input[2] ? g.weights.get(conv.input[2])?.floats() : new Float32Array(channels)
  if (bias?.length !== channels) throw new Error(`Conv bias ${conv.input[2]} is not a float vector of ${channels}`)
  conv.input[1] = g.addWeights(conv.input[1]!, w.floats().map((v) => v * scale), w.dims)
  conv.input[2] = g.addWeights(conv.input[2] ?? `${conv.output[0]}.bias`, bias.map((v) => v * scale + shift), [channels])
}
