import { OkoError, checkBoolean, checkKnownKeys, checkObject, type RawImage, type RgbImage } from '@oko/core'
import { chipToRgb } from './align.js'
import type { DetectOptions, DetectedFace, FaceDetectorOptions } from './detector.js'
import { FaceDetector } from './detector.js'
import type { FaceEmbedderOptions } from './embedder.js'
import { FaceEmbedder } from './embedder.js'

export interface AnalyzeOptions extends DetectOptions {
  /** Also return each face's aligned crop (rgb24), e.g. for an event snapshot. Default false. */
  snapshots?: boolean
}

/** A detected face with its descriptor (absent when the quality gate skipped it). */
export interface AnalyzedFace extends DetectedFace {
  /** Personal data: never log it. */
  readonly descriptor?: Float32Array
  /** Aligned face crop, when `snapshots` was asked. Personal data: never log it. */
  readonly snapshot?: RgbImage
}

/** What FaceAnalyzer (in-process) and FacePool (worker threads) both do. */
export interface FaceAnalysis extends AsyncDisposable {
  /** Descriptor model id (see Watchlist). */
  readonly modelId: string
  analyze(image: RawImage, options?: AnalyzeOptions): Promise<AnalyzedFace[]>
  close(): Promise<void>
}

export interface FaceAnalyzerOptions {
  detector?: FaceDetectorOptions
  embedder?: FaceEmbedderOptions
}

/** Detection, quality gate, alignment and descriptors in the calling thread (tests, eval, scripts). */
export class FaceAnalyzer implements FaceAnalysis {
  #closed = false

  private constructor(readonly detector: FaceDetector, readonly embedder: FaceEmbedder) {}

  static async create(options: FaceAnalyzerOptions = {}): Promise<FaceAnalyzer> {
    const o = checkObject('options', options, {})
    checkKnownKeys('options', o, ['detector', 'embedder'])
    const detector = await FaceDetector.create(options.detector)
    try {
      return new FaceAnalyzer(detector, await FaceEmbedder.create(options.embedder))
    } catch (error) {
      await detector.close()
      throw error
    }
  }

  get modelId(): string {
    return this.embedder.modelId
  }

  /** E.g. `wasm (@tensorflow/tfjs-node not installed; using TF.js wasm …)`. */
  get backendDescription(): string {
    const d = `${this.detector.backend} (${this.detector.backendReason})`
    return this.embedder.backend === this.detector.backend ? d : `detector ${d}, descriptor ${this.embedder.backend}`
  }

  async analyze(image: RawImage, options: AnalyzeOptions = {}): Promise<AnalyzedFace[]> {
    if (this.#closed) throw new OkoError('ERR_CLOSED', 'FaceAnalyzer is closed')
    const o = checkObject('options', options, {})
    const { snapshots, ...detect } = o as AnalyzeOptions
    const wantSnapshots = checkBoolean('options.snapshots', snapshots, false)
    const faces = await this.detector.detectWithChips(image, detect)
    const usable = faces.filter((f) => !f.skip)
    const descriptors = this.embedder.usesDlibChip
      ? await this.embedder.embedChips(usable.map((f) => f.chip))
      : await this.embedder.embed(image, usable)
    let next = 0
    return faces.map(({ chip, ...face }) => {
      const descriptor = face.skip ? undefined : descriptors[next++]
      return {
        ...face,
        ...(descriptor ? { descriptor } : {}),
        ...(wantSnapshots ? { snapshot: chipToRgb(chip) } : {}),
      }
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all([this.detector.close(), this.embedder.close()])
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/**
 * Describes the one face of an enrolment photo. Throws ERR_INVALID_INPUT naming `label` when the
 * photo has no face, several faces, or a face the quality gate rejects.
 */
export async function describeSingleFace(analysis: FaceAnalysis, image: RawImage, label: string, options: AnalyzeOptions = {}): Promise<AnalyzedFace & { descriptor: Float32Array }> {
  const faces = await analysis.analyze(image, options)
  if (faces.length === 0) throw new OkoError('ERR_INVALID_INPUT', `${label}: no face found; use a photo with one clear, frontal face${options.tightCrop ? '' : ' (for tightly cropped faces pass tightCrop: true)'}`)
  if (faces.length > 1) throw new OkoError('ERR_INVALID_INPUT', `${label}: ${faces.length} faces found; an enrolment photo must show exactly one person`)
  const face = faces[0]!
  if (!face.descriptor) throw new OkoError('ERR_INVALID_INPUT', `${label}: the face is unusable (${face.skip}); use a sharper, larger, more frontal photo`)
  return face as AnalyzedFace & { descriptor: Float32Array }
}
