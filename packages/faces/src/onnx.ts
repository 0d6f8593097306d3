import type { Point } from '@oko/core'
import { OkoError, type RgbImage } from '@oko/core'

type Onnx = typeof import('@oko/onnx')
type Ort = Onnx['ort']
type OrtSession = import('@oko/onnx').InferenceSession

/**
 * Opens a bring-your-own ONNX model with oko's one session loader (@oko/onnx), loaded lazily:
 * only users of their own ONNX models pay for onnxruntime.
 */
export async function openOnnx(path: string, what: string): Promise<{ ort: Ort; session: OrtSession; id: string }> {
  const onnx: Onnx = await import('@oko/onnx')
  const { session, id } = await onnx.openSession(path, { role: what })
  return { ort: onnx.ort, session, id }
}

export interface RawDetection {
  box: { x: number; y: number; width: number; height: number }
  score: number
  /** Five points in image order (eyes, nose, mouth corners), when the model gives them. */
  five?: Point[]
}

/**
 * YuNet (OpenCV Zoo, libfacedetection) output decoding: per stride 8/16/32, `cls`, `obj`, `bbox`
 * (cx, cy offsets in cells, log w/h) and `kps` (5 points, offsets in cells). Input BGR 0–255, NCHW.
 */
export class YuNetRunner {
  private constructor(
    private readonly ort: Ort,
    private readonly session: OrtSession,
    readonly modelId: string,
    private readonly fixedSize: readonly [number, number] | undefined,
    private readonly maxSidePx: number,
  ) {}

  static async open(path: string, maxSidePx: number): Promise<YuNetRunner> {
    const { ort, session, id } = await openOnnx(path, 'detector')
    for (const n of ['cls_8', 'obj_8', 'bbox_8', 'kps_8']) {
      if (!session.outputNames.includes(n)) {
        await session.release()
        throw new OkoError('ERR_MODEL', `detector: ${path} has no output "${n}"; kind "yunet" expects cls/obj/bbox/kps per stride 8, 16, 32`)
      }
    }
    const meta = (session as unknown as { inputMetadata?: { shape?: unknown[] }[] }).inputMetadata?.[0]?.shape
    const h = meta?.[2], w = meta?.[3]
    const fixed = typeof h === 'number' && typeof w === 'number' ? ([w, h] as const) : undefined
    return new YuNetRunner(ort, session, id, fixed, maxSidePx)
  }

  async detect(image: RgbImage, minScore: number): Promise<RawDetection[]> {
    // Scale to fit (fixed input) or to maxSidePx rounded up to 32 (dynamic input); pad right/bottom.
    const target = this.fixedSize
    const scale = target
      ? Math.min(target[0] / image.width, target[1] / image.height)
      : Math.min(1, this.maxSidePx / Math.max(image.width, image.height))
    const sw = Math.max(1, Math.round(image.width * scale)), sh = Math.max(1, Math.round(image.height * scale))
    const W = target ? target[0] : Math.ceil(sw / 32) * 32
    const H = target ? target[1] : Math.ceil(sh / 32) * 32
    const input = new Float32Array(3 * W * H)
    const plane = W * H
    for (let y = 0; y < sh; y++) {
      const sy = Math.min(image.height - 1, Math.floor((y + 0.5) / scale))
      for (let x = 0; x < sw; x++) {
        const sx = Math.min(image.width - 1, Math.floor((x + 0.5) / scale))
        const i = (sy * image.width + sx) * 3, o = y * W + x
        input[o] = image.data[i + 2]!; input[plane + o] = image.data[i + 1]!; input[2 * plane + o] = image.data[i]!
      }
    }
    const feeds = { [this.session.inputNames[0]!]: new this.ort.Tensor('float32', input, [1, 3, H, W]) }
    const out = await this.session.run(feeds)
    const found: RawDetection[] = []
    for (const stride of [8, 16, 32]) {
      const cls = out[`cls_${stride}`]!.data as Float32Array
      const obj = out[`obj_${stride}`]!.data as Float32Array
      const bbox = out[`bbox_${stride}`]!.data as Float32Array
      const kps = out[`kps_${stride}`]!.data as Float32Array
      const cols = W / stride
      for (let i = 0; i < cls.length; i++) {
        const score = Math.sqrt(Math.min(1, Math.max(0, cls[i]!)) * Math.min(1, Math.max(0, obj[i]!)))
        if (score < minScore) continue
        const r = Math.floor(i / cols), c = i % cols
        const cx = (c + bbox[i * 4]!) * stride, cy = (r + bbox[i * 4 + 1]!) * stride
        const w = Math.exp(bbox[i * 4 + 2]!) * stride, h = Math.exp(bbox[i * 4 + 3]!) * stride
        const five: Point[] = []
        for (let k = 0; k < 5; k++) {
          five.push({ x: ((kps[i * 10 + 2 * k]! + c) * stride) / scale, y: ((kps[i * 10 + 2 * k + 1]! + r) * stride) / scale })
        }
        found.push({ box: { x: (cx - w / 2) / scale, y: (cy - h / 2) / scale, width: w / scale, height: h / scale }, score, five })
      }
    }
    return found
  }

  close(): Promise<void> {
    return this.session.release()
  }
}

/** How a user's ONNX embedder wants its input. */
export interface OnnxEmbedderSpec {
  /** Path of the .onnx file. Output: one vector per face (first output, [1, D] or [D]). */
  onnx: string
  /** Chip side in pixels. Default 112. */
  inputSizePx?: number
  /** Landmark template: `arcface` (5 points, 112 px, InsightFace) or `dlib` (68-point template). Default `arcface`. */
  align?: 'arcface' | 'dlib'
  /** Default `rgb`. */
  channels?: 'rgb' | 'bgr'
  /** `nchw` (default) or `nhwc`. */
  layout?: 'nchw' | 'nhwc'
  /** Pixel normalisation (v − mean) / std. Default 127.5 and 127.5. */
  mean?: number
  std?: number
}

export class OnnxEmbedRunner {
  private constructor(
    private readonly ort: Ort,
    private readonly session: OrtSession,
    readonly modelId: string,
    private readonly spec: Required<Omit<OnnxEmbedderSpec, 'onnx'>>,
  ) {}

  static async open(spec: Required<OnnxEmbedderSpec>): Promise<OnnxEmbedRunner> {
    const { ort, session, id } = await openOnnx(spec.onnx, 'embedder')
    return new OnnxEmbedRunner(ort, session, id, spec)
  }

  /** `chip`: float RGB HWC 0–255, inputSizePx². */
  async embed(chip: Float32Array): Promise<Float32Array> {
    const { inputSizePx: n, channels, layout, mean, std } = this.spec
    const input = new Float32Array(3 * n * n)
    for (let i = 0; i < n * n; i++) {
      for (let c = 0; c < 3; c++) {
        const v = (chip[i * 3 + (channels === 'bgr' ? 2 - c : c)]! - mean) / std
        input[layout === 'nchw' ? c * n * n + i : i * 3 + c] = v
      }
    }
    const dims = layout === 'nchw' ? [1, 3, n, n] : [1, n, n, 3]
    const out = await this.session.run({ [this.session.inputNames[0]!]: new this.ort.Tensor('float32', input, dims) })
    const vec = out[this.session.outputNames[0]!]!.data as Float32Array
    return normalize(Float32Array.from(vec))
  }

  close(): Promise<void> {
    return this.session.release()
  }
}

/** Scales a vector to unit length (ONNX embedders are compared by Euclidean distance of unit vectors). */
export function normalize(v: Float32Array): Float32Array {
  let s = 0
  for (const x of v) s += x * x
  const n = Math.sqrt(s) || 1
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / n
  return v
}
