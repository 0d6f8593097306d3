import type { Point, Rect } from '@oko/core'
import { OkoError, checkArray, checkBoolean, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkString, iou, type RawImage, type RgbImage, checkRawImage, clampRect } from '@oko/core'
import { padGrey, toRgb } from '@oko/imaging'
import type { AlignedFace } from './align.js'
import { alignFace, fivePointsOf68 } from './align.js'
import type { RawDetection } from './onnx.js'
import { YuNetRunner } from './onnx.js'
import type { FaceQuality, FaceSkipReason, QualityGate, QualityGateOptions } from './quality.js'
import { assessQuality, gateFace, resolveQualityGate } from './quality.js'
import type { BackendChoice, FaceApiDetectorNet, FaceApiLandmarkNet, FaceApiLandmarks, FaceRuntime, Tensor, TfBackend } from './runtime.js'
import { loadFaceRuntime, loadNet } from './runtime.js'

/** A bring-your-own ONNX detector. `kind` names the output decoding (YuNet is built in). */
export interface OnnxDetectorSpec {
  onnx: string
  kind: 'yunet'
  /** Dynamic-input models: images are scaled so their longer side is at most this. Default 640. */
  maxSidePx?: number
}

export interface FaceDetectorOptions {
  /** `tiny` (face-api TinyFaceDetector, fast; default), `ssd` (SSD MobileNetV1, slower, finds smaller faces) or your ONNX model. */
  model?: 'tiny' | 'ssd' | OnnxDetectorSpec
  /**
   * Tiny detector input side for whole images (multiple of 32, 128–1024). Default 416: finds faces
   * down to about 1/15 of the image height. For whole 1080p crowd frames use 1024 (≈1 s CPU per
   * frame) or, better, pass person/motion regions, which are searched at their own resolution.
   */
  inputSizePx?: number
  /** Detections below this confidence are dropped. Default 0.5. */
  minConfidence?: number
  /** 68-point landmark net: `full` (default) or `tiny`. ONNX detectors use their own 5 points. */
  landmarks?: 'full' | 'tiny'
  /** Quality gate: faces below it are returned with a `skip` reason and get no descriptor. */
  quality?: QualityGateOptions
  /** TF.js backend: `auto` (default) picks @tensorflow/tfjs-node when installed, else `wasm`. */
  backend?: BackendChoice
  /** Folder with the face-api weights (default: the one shipped in @vladmandic/face-api). */
  modelDir?: string
}

export interface DetectOptions {
  /** Search only inside these boxes (motion regions, person boxes), in image pixels; each is widened by 25%. */
  regions?: readonly Rect[]
  /**
   * The image is one tightly cropped face (an ID photo, a dataset crop): pad it before detecting and
   * keep the best face. `auto`: tight for small images (longer side ≤ 320 px), and a tight retry
   * when normal detection finds nothing. Default false.
   */
  tightCrop?: boolean | 'auto'
}

/** One face found in an image. Coordinates are in the image's pixels. */
export interface DetectedFace {
  readonly box: Rect
  readonly confidence: number
  /** 68 points (face-api) or 5 (ONNX detectors: eyes, nose, mouth corners). */
  readonly landmarks: readonly Point[]
  readonly quality: FaceQuality
  /** Set when the quality gate rejected the face: it gets no descriptor. */
  readonly skip?: FaceSkipReason
}

/** Internal: a detected face with its aligned chip, so describing needs no second warp. */
export interface DetectedWithChip extends DetectedFace {
  readonly chip: AlignedFace
}

export interface ResolvedDetectorOptions {
  readonly model: 'tiny' | 'ssd' | Required<OnnxDetectorSpec>
  readonly inputSizePx: number
  readonly minConfidence: number
  readonly landmarks: 'full' | 'tiny'
  readonly quality: QualityGate
  readonly backend: BackendChoice
  readonly modelDir: string | undefined
}

export function resolveDetectorOptions(value: unknown, path = 'options'): ResolvedDetectorOptions {
  const o = checkObject(path, value, {})
  checkKnownKeys(path, o, ['model', 'inputSizePx', 'minConfidence', 'landmarks', 'quality', 'backend', 'modelDir'])
  let model: ResolvedDetectorOptions['model']
  if (typeof o.model === 'object' && o.model !== null) {
    const m = checkObject(`${path}.model`, o.model)
    checkKnownKeys(`${path}.model`, m, ['onnx', 'kind', 'maxSidePx'])
    model = {
      onnx: checkString(`${path}.model.onnx`, m.onnx),
      kind: checkOneOf(`${path}.model.kind`, m.kind, ['yunet'] as const),
      maxSidePx: m.maxSidePx === undefined ? 640 : checkNumber(`${path}.model.maxSidePx`, m.maxSidePx, { min: 32, max: 4096, integer: true }),
    }
  } else {
    model = checkOneOf(`${path}.model`, o.model, ['tiny', 'ssd'] as const, 'tiny')
  }
  const inputSizePx = o.inputSizePx === undefined ? 416 : checkNumber(`${path}.inputSizePx`, o.inputSizePx, { min: 128, max: 1024, integer: true })
  if (inputSizePx % 32 !== 0) throw new OkoError('ERR_INVALID_OPTION', `${path}.inputSizePx: expected a multiple of 32, received ${inputSizePx}`)
  return {
    model,
    inputSizePx,
    minConfidence: o.minConfidence === undefined ? 0.5 : checkNumber(`${path}.minConfidence`, o.minConfidence, { min: 0, max: 1 }),
    landmarks: checkOneOf(`${path}.landmarks`, o.landmarks, ['full', 'tiny'] as const, 'full'),
    quality: resolveQualityGate(`${path}.quality`, o.quality),
    backend: checkOneOf(`${path}.backend`, o.backend, ['auto', 'wasm', 'cpu', 'tensorflow'] as const, 'auto'),
    modelDir: o.modelDir === undefined ? undefined : checkString(`${path}.modelDir`, o.modelDir),
  }
}

function resolveDetectOptions(value: unknown): { regions: Rect[] | undefined; tightCrop: boolean | 'auto' } {
  const o = checkObject('options', value, {})
  checkKnownKeys('options', o, ['regions', 'tightCrop'])
  const regions = o.regions === undefined ? undefined : checkArray('options.regions', o.regions).map((r, i) => {
    const b = checkObject(`options.regions[${i}]`, r)
    return {
      x: checkNumber(`options.regions[${i}].x`, b.x), y: checkNumber(`options.regions[${i}].y`, b.y),
      width: checkNumber(`options.regions[${i}].width`, b.width, { min: 0 }), height: checkNumber(`options.regions[${i}].height`, b.height, { min: 0 }),
    }
  })
  const tightCrop = o.tightCrop === 'auto' ? 'auto' : checkBoolean('options.tightCrop', o.tightCrop, false)
  return { regions, tightCrop }
}

/**
 * Finds faces, their landmarks and their quality. In-process and single-threaded: one detector
 * per thread (TF.js keeps one engine per thread); `FacePool` runs them in worker threads.
 */
export class FaceDetector implements AsyncDisposable {
  #closed = false

  private constructor(
    readonly options: ResolvedDetectorOptions,
    private readonly runtime: FaceRuntime | undefined,
    private readonly net: FaceApiDetectorNet | undefined,
    private readonly onnx: YuNetRunner | undefined,
    private readonly landmarkNet: FaceApiLandmarkNet | undefined,
  ) {}

  static async create(options: FaceDetectorOptions = {}): Promise<FaceDetector> {
    const opts = resolveDetectorOptions(options)
    if (typeof opts.model === 'object') {
      return new FaceDetector(opts, undefined, undefined, await YuNetRunner.open(opts.model.onnx, opts.model.maxSidePx), undefined)
    }
    const runtime = await loadFaceRuntime(opts.backend, opts.modelDir)
    const { faceapi, modelDir } = runtime
    let net: FaceApiDetectorNet | undefined
    let landmarkNet: FaceApiLandmarkNet | undefined
    {
      net = await loadNet(opts.model === 'ssd' ? new faceapi.SsdMobilenetv1() : new faceapi.TinyFaceDetector(), modelDir, `${opts.model} face detector`)
      landmarkNet = await loadNet(opts.landmarks === 'tiny' ? new faceapi.FaceLandmark68TinyNet() : new faceapi.FaceLandmark68Net(), modelDir, 'face landmark')
    }
    return new FaceDetector(opts, runtime, net, undefined, landmarkNet)
  }

  /** Which TF.js backend runs the models here, and why. */
  get backend(): TfBackend | 'onnxruntime' {
    return this.runtime ? this.runtime.backend : 'onnxruntime'
  }

  get backendReason(): string {
    return this.runtime ? this.runtime.reason : 'your ONNX detector on onnxruntime-node (one thread)'
  }

  /** Id of the detector model, e.g. `face-api/tiny` or `onnx:<hash>`. */
  get modelId(): string {
    return this.onnx ? this.onnx.modelId : `face-api/${String(this.options.model)}`
  }

  /** Detects faces. `image` is read during the call only. */
  async detect(image: RawImage, options: DetectOptions = {}): Promise<DetectedFace[]> {
    const faces = await this.detectWithChips(image, options)
    return faces.map(({ chip: _chip, ...face }) => face)
  }

  /** Internal: like `detect`, keeping each face's aligned chip. */
  async detectWithChips(image: RawImage, options: DetectOptions = {}): Promise<DetectedWithChip[]> {
    if (this.#closed) throw new OkoError('ERR_CLOSED', 'FaceDetector is closed')
    const img = checkRawImage('image', image)
    const { regions, tightCrop: tight } = resolveDetectOptions(options)
    if (tight === 'auto') {
      if (!regions && Math.max(img.width, img.height) <= 320) return this.detectWithChips(img, { tightCrop: true })
      const found = await this.detectWithChips(img, regions ? { regions } : {})
      return found.length > 0 || regions ? found : this.detectWithChips(img, { tightCrop: true })
    }
    const tightCrop = tight
    const areas: { rgb: RgbImage; x: number; y: number; tight: boolean }[] = []
    if (tightCrop) {
      const border = Math.round(0.75 * Math.max(img.width, img.height))
      areas.push({ rgb: padGrey(toRgb(img), border), x: -border, y: -border, tight: true })
    } else if (regions) {
      for (const c of searchAreas(regions, img.width, img.height)) areas.push({ rgb: toRgb(img, c), x: c.x, y: c.y, tight: false })
    } else {
      areas.push({ rgb: toRgb(img), x: 0, y: 0, tight: false })
    }
    const out: DetectedWithChip[] = []
    for (const area of areas) {
      let found = await this.locate(area.rgb, area.tight)
      if (area.tight && found.length > 1) found = [found.reduce((a, b) => (b.score > a.score ? b : a))]
      for (const face of await this.describeGeometry(area.rgb, found, this.minScore(area.tight))) {
        const shift = (p: Point): Point => ({ x: p.x + area.x, y: p.y + area.y })
        out.push({ ...face, box: { ...face.box, x: face.box.x + area.x, y: face.box.y + area.y }, landmarks: face.landmarks.map(shift) })
      }
    }
    return regions ? suppress(out) : out
  }

  /** Tight crops are known to hold a face: they accept weaker detections (at most 0.3). */
  private minScore(tight: boolean): number {
    return tight ? Math.min(0.3, this.options.minConfidence) : this.options.minConfidence
  }

  private async locate(rgb: RgbImage, tight: boolean): Promise<RawDetection[]> {
    const minConfidence = this.minScore(tight)
    if (this.onnx) return suppressRaw(await this.onnx.detect(rgb, minConfidence))
    const { faceapi, tf } = this.runtime!
    const input = tf.tensor3d(rgb.data, [rgb.height, rgb.width, 3], 'int32')
    try {
      const longSide = Math.max(rgb.width, rgb.height)
      const size = tight ? 224 : Math.min(this.options.inputSizePx, Math.max(128, Math.ceil(longSide / 32) * 32))
      const opts = this.options.model === 'ssd'
        ? new faceapi.SsdMobilenetv1Options({ minConfidence, maxResults: 200 })
        : new faceapi.TinyFaceDetectorOptions({ inputSize: size, scoreThreshold: minConfidence })
      const dets = await this.net!.locateFaces(input, opts)
      return dets.map((d) => ({ box: { x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height }, score: d.score }))
    } finally {
      input.dispose()
    }
  }

  /** Landmarks (68-point net unless the detector gave 5), alignment and quality for each detection. */
  private async describeGeometry(rgb: RgbImage, found: RawDetection[], minScore: number): Promise<DetectedWithChip[]> {
    if (found.length === 0) return []
    const points: Point[][] = []
    if (this.landmarkNet) {
      const { tf } = this.runtime!
      const crops: { tensor: Tensor; x: number; y: number }[] = []
      try {
        for (const d of found) {
          const side = Math.max(d.box.width, d.box.height)
          const cx = d.box.x + d.box.width / 2, cy = d.box.y + d.box.height / 2
          const r = clampRect({ x: cx - side / 2, y: cy - side / 2, width: side, height: side }, rgb.width, rgb.height)!
          const crop = toRgb(rgb, r)
          crops.push({ tensor: tf.tensor3d(crop.data, [crop.height, crop.width, 3], 'int32'), x: r.x, y: r.y })
        }
        const res = await this.landmarkNet.detectLandmarks(crops.map((c) => c.tensor))
        const list = (Array.isArray(res) ? res : [res]) as FaceApiLandmarks[]
        list.forEach((lm, i) => points.push(lm.positions.map((p) => ({ x: p.x + crops[i]!.x, y: p.y + crops[i]!.y }))))
      } finally {
        for (const c of crops) c.tensor.dispose()
      }
    } else {
      for (const d of found) points.push(d.five!)
    }
    return found.map((d, i) => {
      const landmarks = points[i]!
      const chip = alignFace(rgb, landmarks)
      const five = landmarks.length === 68 ? fivePointsOf68(landmarks) : landmarks
      const quality = assessQuality(d.box, five, chip)
      const skip = d.score < minScore ? 'low-confidence' : gateFace(quality, this.options.quality)
      const face: DetectedWithChip = { box: d.box, confidence: d.score, landmarks, quality, chip }
      return skip ? { ...face, skip } : face
    })
  }

  /** Releases the model weights. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.net?.dispose()
    this.landmarkNet?.dispose()
    await this.onnx?.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** The boxes searched for `regions`: each widened by 25%, overlaps merged, clamped, tiny ones dropped. */
export function searchAreas(regions: readonly Rect[], width: number, height: number): Rect[] {
  const out: Rect[] = []
  for (const r of mergeBoxes(regions.map((r) => widen(r, 0.25)))) {
    const c = clampRect(r, width, height)
    if (c && c.width >= 8 && c.height >= 8) out.push(c)
  }
  return out
}

/** Moves a face's box and landmarks by (dx, dy). */
export function shiftFace<T extends DetectedFace>(face: T, dx: number, dy: number): T {
  return { ...face, box: { ...face.box, x: face.box.x + dx, y: face.box.y + dy }, landmarks: face.landmarks.map((p) => ({ x: p.x + dx, y: p.y + dy })) }
}

/** Non-maximum suppression over faces found in overlapping areas. */
export function suppressFaces<T extends { box: Rect; confidence: number }>(faces: T[], threshold = 0.4): T[] {
  return suppress(faces, threshold)
}

function widen(r: Rect, frac: number): Rect {
  return { x: r.x - r.width * frac, y: r.y - r.height * frac, width: r.width * (1 + 2 * frac), height: r.height * (1 + 2 * frac) }
}

/**
 * Merges search boxes that mostly overlap (intersection ≥ half the smaller box), so a face is not
 * searched twice; neighbours that merely touch (people side by side) stay separate searches, so a
 * crowd never turns back into one whole-frame search.
 */
function mergeBoxes(boxes: Rect[]): Rect[] {
  const out = boxes.map((b) => ({ ...b }))
  for (let changed = true; changed;) {
    changed = false
    for (let i = 0; i < out.length && !changed; i++) {
      for (let j = i + 1; j < out.length && !changed; j++) {
        const a = out[i]!, b = out[j]!
        const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)
        const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)
        if (w > 0 && h > 0 && w * h >= 0.5 * Math.min(a.width * a.height, b.width * b.height)) {
          const x = Math.min(a.x, b.x), y = Math.min(a.y, b.y)
          out[i] = { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y }
          out.splice(j, 1)
          changed = true
        }
      }
    }
  }
  return out
}

function suppressRaw(dets: RawDetection[], threshold = 0.4): RawDetection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score)
  const keep: RawDetection[] = []
  for (const d of sorted) if (keep.every((k) => iou(k.box, d.box) < threshold)) keep.push(d)
  return keep
}

function suppress<T extends { box: Rect; confidence: number }>(faces: T[], threshold = 0.4): T[] {
  const sorted = [...faces].sort((a, b) => b.confidence - a.confidence)
  const keep: T[] = []
  for (const f of sorted) if (keep.every((k) => iou(k.box, f.box) < threshold)) keep.push(f)
  return keep
}
