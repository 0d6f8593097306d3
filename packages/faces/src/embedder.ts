import type { Point } from '@oko/core'
import { OkoError, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkString, type RawImage, type RgbImage, checkRawImage, clampRect } from '@oko/core'
import { toRgb } from '@oko/imaging'
import type { AlignedFace } from './align.js'
import { ARCFACE_112, DLIB_CHIP, alignFace, fivePointsOf68, warpToTemplate } from './align.js'
import type { OnnxEmbedderSpec } from './onnx.js'
import { OnnxEmbedRunner } from './onnx.js'
import type { BackendChoice, FaceApiRecognitionNet, FaceRuntime, Tensor, TfBackend } from './runtime.js'
import { loadFaceRuntime, loadNet } from './runtime.js'

export type { OnnxEmbedderSpec } from './onnx.js'

export interface FaceEmbedderOptions {
  /** `face-api` (128-d ResNet-34, dlib port; default) or your ONNX embedder. */
  model?: 'face-api' | OnnxEmbedderSpec
  backend?: BackendChoice
  modelDir?: string
  /** Faces described per network call (batching is ~1.5× faster on wasm). Default 4. */
  batchSize?: number
}

export interface ResolvedEmbedderOptions {
  readonly model: 'face-api' | Required<OnnxEmbedderSpec>
  readonly backend: BackendChoice
  readonly modelDir: string | undefined
  readonly batchSize: number
}

export function resolveEmbedderOptions(value: unknown, path = 'options'): ResolvedEmbedderOptions {
  const o = checkObject(path, value, {})
  checkKnownKeys(path, o, ['model', 'backend', 'modelDir', 'batchSize'])
  let model: ResolvedEmbedderOptions['model'] = 'face-api'
  if (typeof o.model === 'object' && o.model !== null) {
    const m = checkObject(`${path}.model`, o.model)
    const p = `${path}.model`
    checkKnownKeys(p, m, ['onnx', 'inputSizePx', 'align', 'channels', 'layout', 'mean', 'std'])
    model = {
      onnx: checkString(`${p}.onnx`, m.onnx),
      inputSizePx: m.inputSizePx === undefined ? 112 : checkNumber(`${p}.inputSizePx`, m.inputSizePx, { min: 16, max: 1024, integer: true }),
      align: checkOneOf(`${p}.align`, m.align, ['arcface', 'dlib'] as const, 'arcface'),
      channels: checkOneOf(`${p}.channels`, m.channels, ['rgb', 'bgr'] as const, 'rgb'),
      layout: checkOneOf(`${p}.layout`, m.layout, ['nchw', 'nhwc'] as const, 'nchw'),
      mean: m.mean === undefined ? 127.5 : checkNumber(`${p}.mean`, m.mean),
      std: m.std === undefined ? 127.5 : checkNumber(`${p}.std`, m.std, { min: 0, exclusiveMin: true }),
    }
  } else if (o.model !== undefined) {
    checkOneOf(`${path}.model`, o.model, ['face-api'] as const)
  }
  return {
    model,
    backend: checkOneOf(`${path}.backend`, o.backend, ['auto', 'wasm', 'cpu', 'tensorflow'] as const, 'auto'),
    modelDir: o.modelDir === undefined ? undefined : checkString(`${path}.modelDir`, o.modelDir),
    batchSize: o.batchSize === undefined ? 4 : checkNumber(`${path}.batchSize`, o.batchSize, { min: 1, max: 64, integer: true }),
  }
}

/** face-api's 128-d descriptor model, with its version: descriptors from other models never mix. */
export const FACE_API_MODEL_ID = 'face-api/face_recognition@1.7.15+dlib-align'

/**
 * Turns aligned faces into descriptors (unit-free vectors compared by Euclidean distance).
 * Faces are aligned from their landmarks (similarity transform onto the model's template) first.
 */
export class FaceEmbedder implements AsyncDisposable {
  #closed = false

  private constructor(
    readonly options: ResolvedEmbedderOptions,
    private readonly runtime: FaceRuntime | undefined,
    private readonly net: FaceApiRecognitionNet | undefined,
    private readonly onnx: OnnxEmbedRunner | undefined,
  ) {}

  static async create(options: FaceEmbedderOptions = {}): Promise<FaceEmbedder> {
    const opts = resolveEmbedderOptions(options)
    if (opts.model === 'face-api') {
      const runtime = await loadFaceRuntime(opts.backend, opts.modelDir)
      const net = await loadNet(new runtime.faceapi.FaceRecognitionNet(), runtime.modelDir, 'face recognition')
      return new FaceEmbedder(opts, runtime, net, undefined)
    }
    return new FaceEmbedder(opts, undefined, undefined, await OnnxEmbedRunner.open(opts.model))
  }

  /** Identifies the descriptor space: a watchlist only accepts descriptors with its own model id. */
  get modelId(): string {
    return this.onnx ? this.onnx.modelId : FACE_API_MODEL_ID
  }

  get backend(): TfBackend | 'onnxruntime' {
    return this.runtime ? this.runtime.backend : 'onnxruntime'
  }

  /** True when chips from `alignFace` with the dlib 150 px geometry are what this model takes. */
  get usesDlibChip(): boolean {
    return this.options.model === 'face-api'
  }

  /** Aligns each face (from its landmarks, in `image` pixels) and describes it. `image` is read during the call only. */
  async embed(image: RawImage, faces: readonly { readonly landmarks: readonly Point[] }[]): Promise<Float32Array[]> {
    const img = checkRawImage('image', image)
    const chips = faces.map((f, i) => {
      if (f.landmarks.length !== 68 && f.landmarks.length !== 5) {
        throw new OkoError('ERR_INVALID_INPUT', `faces[${i}].landmarks: expected 68 or 5 points, received ${f.landmarks.length}`)
      }
      return this.align(img, f.landmarks)
    })
    return this.embedChips(chips)
  }

  /** Crops around the landmarks only (no whole-frame conversion), then warps onto the template. */
  private align(image: RawImage, landmarks: readonly Point[]): AlignedFace {
    const xs = landmarks.map((p) => p.x), ys = landmarks.map((p) => p.y)
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys)
    const side = Math.max(x1 - x0, y1 - y0, 4)
    const r = clampRect({ x: x0 - side, y: y0 - side, width: x1 - x0 + 2 * side, height: y1 - y0 + 2 * side }, image.width, image.height)
    if (!r) throw new OkoError('ERR_INVALID_INPUT', 'face landmarks lie outside the image')
    const crop = toRgb(image, r)
    const local = landmarks.map((p) => ({ x: p.x - r.x, y: p.y - r.y }))
    return this.alignRgb(crop, local)
  }

  /** Internal: the chip this model takes, from an rgb image and landmarks in its pixels. */
  alignRgb(rgb: RgbImage, landmarks: readonly Point[]): AlignedFace {
    const m = this.options.model
    if (m === 'face-api' || m.align === 'dlib') return alignFace(rgb, landmarks, m === 'face-api' ? DLIB_CHIP : { sizePx: m.inputSizePx, padding: 0.25 })
    const five = landmarks.length === 68 ? fivePointsOf68(landmarks) : landmarks
    const s = m.inputSizePx / 112
    return warpToTemplate(rgb, five, ARCFACE_112.map((p) => ({ x: p.x * s, y: p.y * s })), m.inputSizePx)
  }

  /** Internal: descriptors of ready-made chips, batched. */
  async embedChips(chips: readonly AlignedFace[]): Promise<Float32Array[]> {
    if (this.#closed) throw new OkoError('ERR_CLOSED', 'FaceEmbedder is closed')
    if (this.onnx) {
      const out: Float32Array[] = []
      for (const c of chips) out.push(await this.onnx.embed(c.data))
      return out
    }
    const { tf } = this.runtime!
    const out: Float32Array[] = []
    for (let i = 0; i < chips.length; i += this.options.batchSize) {
      const batch = chips.slice(i, i + this.options.batchSize)
      const tensors: Tensor[] = batch.map((c) => tf.tensor3d(c.data, [c.sizePx, c.sizePx, 3], 'float32'))
      try {
        const res = await this.net!.computeFaceDescriptor(tensors.length === 1 ? tensors[0]! : tensors)
        for (const d of Array.isArray(res) ? res : [res]) out.push(Float32Array.from(d))
      } catch (cause) {
        throw new OkoError('ERR_MODEL', `face descriptor failed: ${(cause as Error).message}`, { cause })
      } finally {
        for (const t of tensors) t.dispose()
      }
    }
    return out
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.net?.dispose()
    await this.onnx?.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
