import { createHash } from 'node:crypto'
import { OkoError, type Frame, type RawImage, type Rect } from '@oko/core'
import { sampleBox } from '@oko/imaging'
import { decodeBoxes, nms, openSession, ort, type BoxLayout, type InferenceSession } from '@oko/onnx'
import { frameInput } from './input.js'
import { builtinOnnx, type BuiltinModel } from './models.js'
import { SEARCH_SIZES, type SearchPlan } from './search.js'

/** Which detector runs: a built-in one, or a user's YOLO-family ONNX model. */
export type DetectorModel =
  | { kind: BuiltinModel; cacheDir?: string; inputSize?: number }
  | { kind: 'onnx'; path: string; layout?: BoxLayout; inputWidth?: number; inputHeight?: number; normalization?: '0-1' | '0-255' }

export interface DetectorSettings {
  model: DetectorModel
  /** Class ids (of the model's own label list) to keep. */
  classIds: number[]
  scoreThreshold: number
  nmsIou: number
  /** Lines of the labels file: a user model whose output has another number of classes is refused. */
  labelCount?: number
}

/** CenterNet's output of decoded boxes (top 100: x0, y0, x1, y1, score, class), beside its heatmap and sizes. */
const CENTERNET_BOXES = 'tower_0/detections'

/** A box in image pixels with the model's class id. */
export interface RawDetection extends Rect { score: number; classId: number }

/** The input a detector model takes: NCHW or NHWC, its size, and how pixels are scaled. */
interface InputSpec { width: number; height: number; layout: 'nchw' | 'nhwc'; scale: 1 | 255 }

/**
 * Runs one detector model (one onnxruntime session, one thread): letterboxes the image (or a
 * region of it) into the model's input, decodes its outputs into boxes in image pixels and
 * removes duplicates (NMS per class). CenterNet also runs at the smaller square inputs of
 * SEARCH_SIZES (`sizes`; one session each, opened at its first run and kept): see `detectPlan`.
 */
export class ObjectDetector {
  /** The sessions by input size, each opened at its first run (CenterNet's; a user model's one is opened at once). */
  readonly #sessions = new Map<number, Promise<InferenceSession>>()
  /** detectPlan's input buffers by size, reused (one run's allocation less each time). */
  readonly #inputs = new Map<number, Float32Array>()

  private constructor(
    session: InferenceSession | undefined,
    private readonly settings: DetectorSettings,
    private readonly input: InputSpec,
    readonly modelId: string,
  ) {
    if (session) this.#sessions.set(input.width, Promise.resolve(session))
  }

  static async open(settings: DetectorSettings): Promise<ObjectDetector> {
    const m = settings.model
    if (m.kind === 'onnx') {
      const opened = await openSession(m.path, { role: 'objects detector' })
      const spec = userInput(opened.session, m)
      checkClassCount(opened.session, m, settings.labelCount)
      return new ObjectDetector(opened.session, settings, spec, opened.id)
    }
    const built = builtinOnnx(m.kind, m.cacheDir, m.inputSize)
    const spec: InputSpec = m.kind === 'nanodet'
      ? { width: built.inputShape[3]!, height: built.inputShape[2]!, layout: 'nchw', scale: 1 }
      : { width: built.inputShape[2]!, height: built.inputShape[1]!, layout: 'nhwc', scale: 255 }
    const id = `onnx:${createHash('sha256').update(built.bytes).digest('hex').slice(0, 16)}`
    // CenterNet runs at several sizes, most runs at the smaller ones: each session is opened when first needed
    if (m.kind === 'centernet') return new ObjectDetector(undefined, settings, spec, id)
    const opened = await openSession(built.bytes, { role: `objects ${m.kind} detector` })
    return new ObjectDetector(opened.session, settings, spec, opened.id)
  }

  get inputSize(): { width: number; height: number } {
    return { width: this.input.width, height: this.input.height }
  }

  /** The square inputs it runs at, smallest first (the largest is `inputSize`); undefined: its one input is not square. */
  get sizes(): readonly number[] | undefined {
    const { width, height } = this.input
    if (this.settings.model.kind !== 'centernet') return width === height ? [width] : undefined
    return [...SEARCH_SIZES.filter((s) => s < width), width]
  }

  async release(): Promise<void> {
    const sessions = await Promise.allSettled(this.#sessions.values())
    this.#sessions.clear()
    await Promise.all(sessions.flatMap((s) => (s.status === 'fulfilled' ? [s.value.release()] : [])))
  }

  /** Boxes in the square `plan` of `frame`, in frame pixels: its input sampled from the frame's planes (see frameInput), at `plan.size`. */
  async detectPlan(frame: Frame, plan: SearchPlan): Promise<RawDetection[]> {
    const { size } = plan
    if (!this.sizes?.includes(size)) throw new OkoError('ERR_INVALID_INPUT', `the ${this.settings.model.kind} detector runs at ${this.sizes?.map((s) => `${s}²`).join(', ') ?? 'a non-square input'}, not ${size}²`)
    const session = await this.#sessionAt(size)
    // the input buffer of this size is reused run after run (taken while a run uses it)
    const spare = this.#inputs.get(size)
    this.#inputs.delete(size)
    const data = frameInput(frame, plan, { layout: this.input.layout, range: this.input.scale }, spare)
    const dims = this.input.layout === 'nchw' ? [1, 3, size, size] : [1, size, size, 3]
    // CenterNet's boxes are an output of their own: its heatmap (80 classes: 0.5 MB a run at 160², 5 MB at 512²) is not copied out
    const boxesOnly = this.settings.model.kind === 'centernet' ? session.outputNames.filter((n) => n === CENTERNET_BOXES) : []
    const fetches = boxesOnly.length === 1 ? boxesOnly : session.outputNames
    const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', data, dims) }, fetches)
    this.#inputs.set(size, data)
    const outputs = fetches.map((n) => ({ data: result[n]!.data as Float32Array, dims: result[n]!.dims as number[] }))
    const k = plan.side / size
    const a = plan.area
    const boxes = nms(this.decode(outputs, size), this.settings.nmsIou).map((b) => ({
      x: plan.x + b.x * k, y: plan.y + b.y * k, width: b.width * k, height: b.height * k, score: b.score, classId: b.classId,
    }))
    // a box centred outside the pixels read is the edge repeated
    return boxes.filter((b) => b.x + b.width / 2 >= a.x && b.x + b.width / 2 < a.x + a.width && b.y + b.height / 2 >= a.y && b.y + b.height / 2 < a.y + a.height)
  }

  /** Boxes in the squares `plans` of `frame` (see detectPlan), one model run each; a box found in two overlapping squares is kept once (NMS per class). */
  async detectPlans(frame: Frame, plans: readonly SearchPlan[]): Promise<RawDetection[]> {
    if (plans.length === 1) return this.detectPlan(frame, plans[0]!)
    const found: RawDetection[] = []
    for (const plan of plans) found.push(...(await this.detectPlan(frame, plan)))
    return nms(found, this.settings.nmsIou)
  }

  #sessionAt(size: number): Promise<InferenceSession> {
    let session = this.#sessions.get(size)
    if (!session) {
      const m = this.settings.model as Extract<DetectorModel, { kind: BuiltinModel }>
      session = Promise.resolve().then(() => openSession(builtinOnnx(m.kind, m.cacheDir, size).bytes, { role: `objects ${m.kind} detector at ${size}²` })).then((o) => o.session)
      this.#sessions.set(size, session)
    }
    return session
  }

  /** The model's input tensor for `region` of `image`, and the letterbox scale (input px per image px). */
  tensor(image: RawImage, region: Rect): { data: Float32Array; dims: number[]; scale: number } {
    const { width: w, height: h, layout, scale: range } = this.input
    const scale = Math.min(w / region.width, h / region.height)
    const box = { cx: region.x + w / scale / 2, cy: region.y + h / scale / 2, width: w / scale, height: h / scale, angle: 0 }
    const s = range === 255 ? 1 / 255 : 1
    const chw = sampleBox(image, box, w, h, { mean: [0, 0, 0], std: [s, s, s], order: 'rgb' })
    if (layout === 'nchw') return { data: chw, dims: [1, 3, h, w], scale }
    const hwc = new Float32Array(chw.length)
    const plane = w * h
    for (let i = 0; i < plane; i++) { hwc[3 * i] = chw[i]!; hwc[3 * i + 1] = chw[plane + i]!; hwc[3 * i + 2] = chw[2 * plane + i]! }
    return { data: hwc, dims: [1, h, w, 3], scale }
  }

  /** Boxes in `region` (default: the whole image), in image pixels. */
  async detect(image: RawImage, region: Rect = { x: 0, y: 0, width: image.width, height: image.height }): Promise<RawDetection[]> {
    const { data, dims, scale } = this.tensor(image, region)
    const session = await this.#sessionAt(this.input.width)
    const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', data, dims) })
    const outputs = session.outputNames.map((n) => ({ data: result[n]!.data as Float32Array, dims: result[n]!.dims as number[] }))
    const boxes = this.decode(outputs).filter((b) => b.x < region.width * scale && b.y < region.height * scale)
    return nms(boxes, this.settings.nmsIou).map((b) => ({
      x: region.x + b.x / scale, y: region.y + b.y / scale, width: b.width / scale, height: b.height / scale, score: b.score, classId: b.classId,
    }))
  }

  /** Boxes in input pixels (`size`: the square input they came from, default the model's). */
  decode(outputs: { data: Float32Array; dims: number[] }[], size = this.input.width): RawDetection[] {
    const m = this.settings.model
    const { classIds, scoreThreshold } = this.settings
    if (m.kind === 'nanodet') return decodeNanodet(outputs, size, classIds, scoreThreshold)
    if (m.kind === 'centernet') return decodeEnd2End(outputs.find((o) => o.dims.at(-1) === 6)!, classIds, scoreThreshold)
    const out = outputs[0]!
    if (m.kind !== 'onnx') throw new OkoError('ERR_MODEL', `no decoder for ${m.kind}`)
    return decodeBoxes(out.data, out.dims, { layout: m.layout ?? 'auto', scoreThreshold, classes: classIds, inputWidth: this.input.width, inputHeight: this.input.height })
  }
}

/** A user model's input: rank 4 NCHW with 3 channels; size from the model or the options. */
function userInput(session: InferenceSession, m: Extract<DetectorModel, { kind: 'onnx' }>): InputSpec {
  const meta = (session as InferenceSession & { inputMetadata?: readonly { shape?: readonly (number | string)[] }[] }).inputMetadata?.[0]
  const shape = meta?.shape
  if (shape && shape.length !== 4) {
    throw new OkoError('ERR_INVALID_OPTION', `objects.model: ${m.path} takes a rank-${shape.length} input [${shape.join(', ')}]; a detector takes a rank-4 image tensor [1, 3, height, width]`)
  }
  const dim = (i: number) => (typeof shape?.[i] === 'number' && (shape[i] as number) > 0 ? (shape[i] as number) : undefined)
  if (shape && dim(1) !== undefined && dim(1) !== 3) {
    throw new OkoError('ERR_INVALID_OPTION', `objects.model: ${m.path} takes [${shape.join(', ')}]; a detector takes [1, 3, height, width] (NCHW, 3 channels)`)
  }
  const width = m.inputWidth ?? dim(3)
  const height = m.inputHeight ?? dim(2)
  if (!width || !height) throw new OkoError('ERR_INVALID_OPTION', `objects.model: ${m.path} has a dynamic input size; set objects.inputWidth and objects.inputHeight`)
  // YOLOX exports take 0..255 pixels; Ultralytics YOLOv5/v8/v11 take 0..1.
  const scale = m.normalization === '0-255' || (m.normalization === undefined && m.layout === 'yolox') ? 255 : 1
  return { width, height, layout: 'nchw', scale }
}

/** The number of classes a YOLO-family output holds, where its shape says so: it must be the labels file's line count. */
function checkClassCount(session: InferenceSession, m: Extract<DetectorModel, { kind: 'onnx' }>, labels: number | undefined): void {
  if (labels === undefined) return
  const meta = (session as InferenceSession & { outputMetadata?: readonly { shape?: readonly (number | string)[] }[] }).outputMetadata?.[0]
  const shape = (meta?.shape ?? []).filter((d, i, all) => !(i === 0 && d === 1 && all.length === 3))
  if (shape.length !== 2 || !shape.every((d) => typeof d === 'number' && d > 0)) return
  const [a, b] = shape as number[]
  const layout = m.layout ?? 'auto'
  if (layout === 'end2end' || (layout === 'auto' && (b === 6 || b === 7))) return
  const classes = layout === 'yolov8' || (layout === 'auto' && a! < b!) ? a! - 4 : b! - 5
  if (classes > 0 && classes !== labels) {
    throw new OkoError('ERR_INVALID_OPTION', `objects.labels: ${m.path} scores ${classes} classes (output [${(meta?.shape ?? []).join(', ')}]) and the labels file has ${labels} lines; give one line per class, in the model's order`)
  }
}

/**
 * NanoDet-g (GFL head): per stride 8/16/32 a [cells, 80] score map (sigmoid applied in the graph)
 * and a [cells, 4 × 11] distance distribution: softmax over the 11 bins, its expectation × stride
 * is the distance from the cell centre to the left, top, right and bottom edges.
 */
function decodeNanodet(outputs: { data: Float32Array; dims: number[] }[], size: number, classIds: number[], threshold: number): RawDetection[] {
  const out: RawDetection[] = []
  for (const stride of [8, 16, 32]) {
    const cells = (size / stride) ** 2
    const scores = outputs.find((o) => o.dims[1] === cells && o.dims[2] === 80)
    const dist = outputs.find((o) => o.dims[1] === cells && o.dims[2] === 44)
    if (!scores || !dist) throw new OkoError('ERR_MODEL', `nanodet: no outputs for stride ${stride}`)
    const side = size / stride
    for (let i = 0; i < cells; i++) {
      let best = 0, cls = -1
      for (const c of classIds) { const s = scores.data[i * 80 + c]!; if (s > best) { best = s; cls = c } }
      if (best < threshold) continue
      const d = [0, 0, 0, 0].map((_, k) => expectation(dist.data, i * 44 + k * 11, 11) * stride)
      const cx = ((i % side) + 0.5) * stride, cy = (Math.floor(i / side) + 0.5) * stride
      out.push({ x: cx - d[0]!, y: cy - d[1]!, width: d[0]! + d[2]!, height: d[1]! + d[3]!, score: best, classId: cls })
    }
  }
  return out
}

function expectation(v: Float32Array, at: number, n: number): number {
  let max = -Infinity
  for (let i = 0; i < n; i++) max = Math.max(max, v[at + i]!)
  let sum = 0, acc = 0
  for (let i = 0; i < n; i++) { const e = Math.exp(v[at + i]! - max); sum += e; acc += e * i }
  return acc / sum
}

/** [1, N, 6] rows x1, y1, x2, y2, score, class (CenterNet's in-graph decode and top-k). */
function decodeEnd2End(o: { data: Float32Array; dims: number[] }, classIds: number[], threshold: number): RawDetection[] {
  const out: RawDetection[] = []
  const n = o.dims[1]!
  for (let i = 0; i < n; i++) {
    const r = o.data.subarray(i * 6, i * 6 + 6)
    const cls = Math.round(r[5]!)
    if (r[4]! >= threshold && classIds.includes(cls)) out.push({ x: r[0]!, y: r[1]!, width: r[2]! - r[0]!, height: r[3]! - r[1]!, score: r[4]!, classId: cls })
  }
  return out
}
