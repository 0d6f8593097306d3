import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { OkoError, deserializeError, type Rect } from '@oko/core'
import { Piscina } from 'piscina'
import type { PlateReading, ReadOptions } from './engine.js'
import { bytesPerPixel, checkImage, type PlateImage } from './image.js'
import { resolveReaderOptions, type PlateReaderOptions, type ResolvedReaderOptions } from './options.js'
import type { PlateReply, PlateTask } from './worker.js'

export interface PlateReaderStats {
  threads: number
  completed: number
  failed: number
  /** Tasks lost to a worker thread that died (the thread was replaced). */
  crashed: number
  queued: number
}

/**
 * Finds and reads licence plates in worker threads (one ONNX session per model per thread).
 *
 * ```ts
 * await using reader = await PlateReader.create({ countries: ['ua', 'eu'] })
 * const plates = await reader.read({ data, width, height, format: 'rgb24' })
 * ```
 *
 * `read` copies the pixels it needs (the region only, when one is given) and transfers that copy
 * to a worker: the caller's buffer is never held or detached.
 */
export class PlateReader implements AsyncDisposable {
  readonly options: ResolvedReaderOptions
  #pool: Piscina<PlateTask, PlateReply>
  #completed = 0
  #failed = 0
  #crashed = 0
  #closing: Promise<void> | undefined

  private constructor(pool: Piscina<PlateTask, PlateReply>, options: ResolvedReaderOptions) {
    this.#pool = pool
    this.options = options
  }

  /** Starts the workers and waits until models are loaded (missing or broken models reject with ERR_FILE_NOT_FOUND / ERR_MODEL). */
  static async create(options: PlateReaderOptions = {}): Promise<PlateReader> {
    const resolved = resolveReaderOptions(options)
    const pool = new Piscina<PlateTask, PlateReply>({
      filename: workerFile(),
      minThreads: resolved.workers,
      maxThreads: resolved.workers,
      maxQueue: resolved.maxQueue,
      concurrentTasksPerWorker: 1,
      idleTimeout: Infinity,
      workerData: { options: resolved },
      execArgv: workerExecArgv(process.execArgv),
    })
    const reader = new PlateReader(pool, resolved)
    try {
      const reply = await pool.run({ kind: 'ready' })
      if (!reply.ok) throw deserializeError(reply.error)
    } catch (error) {
      await pool.destroy()
      if (error instanceof OkoError) throw error
      throw new OkoError('ERR_MODEL', `plate worker failed to start: ${(error as Error).message}`, { cause: error })
    }
    return reader
  }

  /** Finds and reads the plates of an image (or of `options.region`), best first. */
  async read(image: PlateImage, options: ReadOptions = {}): Promise<PlateReading[]> {
    if (this.#closing) throw new OkoError('ERR_CLOSED', 'PlateReader is closed')
    checkImage(image)
    const { copy, offset } = copyRegion(image, options.region)
    const task: PlateTask = { kind: 'read', image: copy, options: { ...options, region: undefined } }
    let reply: PlateReply
    try {
      reply = await this.#pool.run(task, { transferList: [copy.data.buffer as ArrayBuffer] })
    } catch (error) {
      if (/queue is at limit/i.test((error as Error).message)) {
        throw new OkoError('ERR_WORKER_TASK', `plate reader is busy: ${this.options.maxQueue} reads already queued (options.maxQueue); wait for reads to finish`, { cause: error })
      }
      this.#crashed++
      throw new OkoError('ERR_WORKER_CRASHED', `plate worker failed: ${(error as Error).message}; the thread is replaced`, { cause: error })
    }
    if (!reply.ok) {
      this.#failed++
      throw deserializeError(reply.error)
    }
    this.#completed++
    return offset.x === 0 && offset.y === 0 ? reply.plates : reply.plates.map((p) => shift(p, offset.x, offset.y))
  }

  stats(): PlateReaderStats {
    return { threads: this.options.workers, completed: this.#completed, failed: this.#failed, crashed: this.#crashed, queued: this.#pool.queueSize }
  }

  /** Waits for running reads, then stops the threads. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#pool.close().then(() => undefined)
    return this.#closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** dist/worker.js next to this module; from sources (tests), the built one in ../dist. */
function workerFile(): string {
  const here = fileURLToPath(new URL('.', import.meta.url))
  const file = here.endsWith('/src/') ? fileURLToPath(new URL('../dist/worker.js', import.meta.url)) : fileURLToPath(new URL('./worker.js', import.meta.url))
  if (!existsSync(file)) throw new OkoError('ERR_FILE_NOT_FOUND', `plate worker module not found: ${file}; build @oko/plates first (pnpm --filter @oko/plates build)`)
  return file
}

/** The parent's execArgv without the `oko-source` condition: worker threads load dist/ (Node 20 cannot load .ts). */
function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!
    if ((arg === '--conditions' || arg === '-C') && execArgv[i + 1] === 'oko-source') { i++; continue }
    if (arg === '--conditions=oko-source' || arg === '-C=oko-source') continue
    out.push(arg)
  }
  return out
}

/** Copies `region` (or the whole image) into a fresh, tightly packed buffer that can be transferred. */
function copyRegion(image: PlateImage, region?: Rect): { copy: PlateImage; offset: { x: number; y: number } } {
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
