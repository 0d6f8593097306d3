import { fileURLToPath } from 'node:url'
import { OkoError, checkKnownKeys, checkObject, optionalNumber, type RawImage, checkRawImage } from '@oko/core'
import { toRgb } from '@oko/imaging'
import { InferencePool } from '@oko/pipeline'
import type { AnalyzeOptions, AnalyzedFace, FaceAnalysis, FaceAnalyzerOptions } from './analyzer.js'
import { searchAreas, shiftFace, suppressFaces } from './detector.js'
import type { FaceWorker } from './worker.js'

export interface FacePoolOptions extends FaceAnalyzerOptions {
  /** Worker threads, each with its own TF.js engine and models. Default 1. */
  threads?: number
}

/** Where the built worker module is: next to this file in dist/, or dist/ when running from src/ (tests). */
function workerUrl(): URL {
  const here = fileURLToPath(import.meta.url)
  return /[\\/]src[\\/][^\\/]+\.ts$/.test(here) ? new URL('../dist/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url)
}

/**
 * Face analysis in worker threads (one TF.js engine and model set per thread, loaded once).
 * `analyze` copies the pixels it needs (only the searched regions when given) and transfers
 * them; results come back as plain records.
 */
export class FacePool implements FaceAnalysis {
  #closed = false

  /** @param pool the worker threads (the face stage sends its frame jobs to them too) */
  private constructor(readonly pool: InferencePool<FaceWorker>, readonly modelId: string, readonly backendDescription: string) {}

  static async create(options: FacePoolOptions = {}): Promise<FacePool> {
    const o = checkObject('options', options, {})
    checkKnownKeys('options', o, ['detector', 'embedder', 'threads'])
    const threads = optionalNumber('options.threads', o.threads, 1, { min: 1, max: 64, integer: true })
    const { threads: _t, ...init } = options
    const pool = await InferencePool.create<FaceWorker>({ worker: workerUrl(), threads, init, name: 'faces' })
    try {
      const info = await pool.run({ kind: 'info' })
      if (info.kind !== 'info') throw new OkoError('ERR_MODEL', 'faces worker answered an info request with faces')
      return new FacePool(pool, info.modelId, info.backend)
    } catch (error) {
      await pool.close()
      throw error
    }
  }

  async analyze(image: RawImage, options: AnalyzeOptions = {}): Promise<AnalyzedFace[]> {
    if (this.#closed) throw new OkoError('ERR_CLOSED', 'FacePool is closed')
    const img = checkRawImage('image', image)
    const o = checkObject('options', options, {})
    checkKnownKeys('options', o, ['regions', 'tightCrop', 'snapshots'])
    const areas = options.regions ? searchAreas(options.regions, img.width, img.height) : [{ x: 0, y: 0, width: img.width, height: img.height }]
    const crops = areas.map((a) => ({ image: toRgb(img, a), x: a.x, y: a.y }))
    const reply = await this.pool.run(
      { kind: 'analyze', crops, tightCrop: options.tightCrop ?? false, snapshots: options.snapshots === true },
      { transfer: crops.map((c) => c.image.data.buffer as ArrayBuffer) },
    )
    if (reply.kind !== 'faces') throw new OkoError('ERR_MODEL', 'faces worker gave no faces')
    const faces = reply.faces.flatMap((list, i) => list.map((f) => shiftFace(f, crops[i]!.x, crops[i]!.y)))
    return options.regions ? suppressFaces(faces) : faces
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.pool.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
