import { OkoError, type RawImage, checkRawImage } from '@oko/core'
import { cropImage } from '@oko/imaging'
import { InferencePool, builtWorkerFile, type InferencePoolStats } from '@oko/pipeline'
import type { PlateReading, ReadOptions } from './engine.js'
import { resolveReaderOptions, type PlateReaderOptions, type ResolvedReaderOptions } from './options.js'
import type { PlateWorker } from './worker.js'

export type PlateReaderStats = InferencePoolStats

/**
 * Finds and reads licence plates in worker threads (@oko/pipeline InferencePool; one ONNX session
 * per model per thread).
 *
 * ```ts
 * await using reader = await PlateReader.create({ countries: ['ua', 'europe'] })
 * const plates = await reader.read({ data, width, height, format: 'rgb24' })
 * ```
 *
 * `read` copies the pixels it needs (the region only, when one is given) and transfers that copy
 * to a worker: the caller's buffer is never held or detached. When every thread is busy, `read`
 * waits for one (backpressure stays with the caller).
 */
export class PlateReader implements AsyncDisposable {
  readonly options: ResolvedReaderOptions
  /** The worker threads (the plate stage sends its frame jobs to them too). */
  readonly pool: InferencePool<PlateWorker>
  #closing: Promise<void> | undefined

  private constructor(pool: InferencePool<PlateWorker>, options: ResolvedReaderOptions) {
    this.pool = pool
    this.options = options
  }

  /** Starts the workers and waits until models are loaded (missing or broken models reject with ERR_FILE_NOT_FOUND / ERR_MODEL naming the file). */
  static async create(options: PlateReaderOptions = {}): Promise<PlateReader> {
    const resolved = resolveReaderOptions(options)
    try {
      const pool = await InferencePool.create<PlateWorker>({ worker: builtWorkerFile(import.meta.url, 'plate', '@oko/plates'), threads: resolved.workers, init: resolved, name: 'plates' })
      return new PlateReader(pool, resolved)
    } catch (error) {
      // Surface the worker's own error (its code and the file it names), not the pool's wrapper.
      throw error instanceof OkoError && error.cause instanceof OkoError ? error.cause : error
    }
  }

  /** Finds and reads the plates of an image (or of `options.region`), best first. */
  async read(image: RawImage, options: ReadOptions = {}): Promise<PlateReading[]> {
    if (this.#closing) throw new OkoError('ERR_CLOSED', 'PlateReader is closed')
    checkRawImage('image', image)
    const { image: copy, offset } = cropImage(image, options.region)
    const { region, ...rest } = options
    const job = { kind: 'image' as const, image: copy, options: region ? { ...rest, upscale: rest.upscale ?? false } : rest }
    let plates: PlateReading[]
    try {
      plates = await this.pool.run(job, { transfer: [copy.data.buffer as ArrayBuffer] })
    } catch (error) {
      throw error instanceof OkoError && error.code === 'ERR_WORKER_TASK' && error.cause instanceof OkoError ? error.cause : error
    }
    return offset.x === 0 && offset.y === 0 ? plates : plates.map((p) => shift(p, offset.x, offset.y))
  }

  stats(): PlateReaderStats {
    return this.pool.stats()
  }

  /** Waits for running reads, then stops the threads. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.pool.close()
    return this.#closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

function shift(p: PlateReading, dx: number, dy: number): PlateReading {
  return {
    ...p,
    box: { ...p.box, x: p.box.x + dx, y: p.box.y + dy },
    corners: p.corners.map((c) => ({ x: c.x + dx, y: c.y + dy })) as PlateReading['corners'],
  }
}
