import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { OkoError, type Rect, type RawImage, bytesPerPixel, checkRawImage } from '@oko/core'
import { InferencePool, type InferencePoolStats } from '@oko/pipeline'
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
  #pool: InferencePool<PlateWorker>
  #closing: Promise<void> | undefined

  private constructor(pool: InferencePool<PlateWorker>, options: ResolvedReaderOptions) {
    this.#pool = pool
    this.options = options
  }

  /** Starts the workers and waits until models are loaded (missing or broken models reject with ERR_FILE_NOT_FOUND / ERR_MODEL naming the file). */
  static async create(options: PlateReaderOptions = {}): Promise<PlateReader> {
    const resolved = resolveReaderOptions(options)
    try {
      const pool = await InferencePool.create<PlateWorker>({ worker: workerFile(), threads: resolved.workers, init: resolved, name: 'plates' })
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
    const { copy, offset } = copyRegion(image, options.region)
    const { region, ...rest } = options
    const job = { image: copy, options: region ? { ...rest, upscale: rest.upscale ?? false } : rest }
    let plates: PlateReading[]
    try {
      plates = await this.#pool.run(job, { transfer: [copy.data.buffer as ArrayBuffer] })
    } catch (error) {
      throw error instanceof OkoError && error.code === 'ERR_WORKER_TASK' && error.cause instanceof OkoError ? error.cause : error
    }
    return offset.x === 0 && offset.y === 0 ? plates : plates.map((p) => shift(p, offset.x, offset.y))
  }

  stats(): PlateReaderStats {
    return this.#pool.stats()
  }

  /** Waits for running reads, then stops the threads. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#pool.close()
    return this.#closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** dist/worker.js next to this module; from sources (tests), the built one in ../dist. */
function workerFile(): URL {
  const here = fileURLToPath(import.meta.url)
  const url = /[\\/]src[\\/][^\\/]+\.ts$/.test(here) ? new URL('../dist/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url)
  if (!existsSync(url)) throw new OkoError('ERR_FILE_NOT_FOUND', `plate worker module not found: ${fileURLToPath(url)}; build @oko/plates first (pnpm --filter @oko/plates build)`)
  return url
}

/** Copies `region` (or the whole image) into a fresh, tightly packed buffer that can be transferred. */
function copyRegion(image: RawImage, region?: Rect): { copy: RawImage; offset: { x: number; y: number } } {
  const bpp = bytesPerPixel(image.format)
  const stride = image.stride ?? image.width * bpp
  const x0 = region ? Math.max(0, Math.floor(region.x)) : 0
  const y0 = region ? Math.max(0, Math.floor(region.y)) : 0
  const x1 = region ? Math.min(image.width, Math.ceil(region.x + region.width)) : image.width
  const y1 = region ? Math.min(image.height, Math.ceil(region.y + region.height)) : image.height
  if (x1 - x0 < 4 || y1 - y0 < 4) throw new OkoError('ERR_INVALID_INPUT', `region ${JSON.stringify(region)} is outside the ${image.width}×${image.height} image or too small`)
  const width = x1 - x0
  const height = y1 - y0
  const data = new Uint8Array(width * height * bpp)
  for (let y = 0; y < height; y++) {
    const from = (y0 + y) * stride + x0 * bpp
    data.set(image.data.subarray(from, from + width * bpp), y * width * bpp)
  }
  return { copy: { data, width, height, format: image.format }, offset: { x: x0, y: y0 } }
}

function shift(p: PlateReading, dx: number, dy: number): PlateReading {
  return {
    ...p,
    box: { ...p.box, x: p.box.x + dx, y: p.box.y + dy },
    corners: p.corners.map((c) => ({ x: c.x + dx, y: c.y + dy })) as PlateReading['corners'],
  }
}
