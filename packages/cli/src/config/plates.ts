import { resolve } from 'node:path'
import { InvalidOptionError, serializeError, checkArray, checkBoolean, checkKnownKeys, checkNumber, checkString } from '@oko/core'
import { PlateReader, plateStage, resolveReaderOptions, type PlateReaderOptions, type PlateStage, type WatchlistSpec } from '@oko/plates'
import { offloadStage, type OffloadInput } from './offload.js'
import { readPlateWatchlist } from './plate-watchlist.js'
import type { StageProvider } from './stages.js'

/** Options that make the shared reader: deployment-wide, not per camera. */
const READER_KEYS = ['countries', 'threads', 'minConfidence']
const CAMERA_KEYS = ['watchlist', 'snapshots']

/**
 * `plates`: reads licence plates in motion regions (PaddleOCR ONNX on `threads` worker threads
 * shared by every camera), votes across frames per plate track, and emits one `plate` event per
 * track with watchlist hits.
 *
 * ```yaml
 * stages:
 *   - motion
 *   - plates: { countries: [ua, eu], watchlist: stolen.txt, threads: 2 }
 * ```
 */
export const platesProvider: StageProvider = {
  branch: true,
  check(options, path, context) {
    const perCamera = path.startsWith('cameras[')
    checkKnownKeys(path, options, perCamera ? CAMERA_KEYS : [...READER_KEYS, ...CAMERA_KEYS])
    if (!perCamera) checkReader(options, path)
    const out: Record<string, unknown> = { ...options }
    if (typeof options.countries === 'string') out.countries = [options.countries]
    if (options.watchlist !== undefined) {
      const files = typeof options.watchlist === 'string' ? [options.watchlist] : checkArray(`${path}.watchlist`, options.watchlist)
      out.watchlist = files.map((f, i) => {
        const at = typeof options.watchlist === 'string' ? `${path}.watchlist` : `${path}.watchlist[${i}]`
        const file = resolve(context?.baseDir ?? process.cwd(), checkString(at, f))
        readPlateWatchlist(file, at)
        return file
      })
    }
    if (options.snapshots !== undefined) checkBoolean(`${path}.snapshots`, options.snapshots)
    return out
  },
  async create(options, camera, shared) {
    const threads = (options.threads as number | undefined) ?? 1
    const reader = await shared.once('plates:reader', () => PlateReader.create(readerInput(options)), (r) => r.close())
    const files = (options.watchlist as string[] | undefined) ?? []
    const snapshot = options.snapshots === true
    const key = JSON.stringify({ files, snapshot })
    const inner = await shared.once(`plates:stage:${key}`, async () => {
      const watchlists: WatchlistSpec[] = files.flatMap((f) => readPlateWatchlist(f, 'stages.plates.watchlist'))
      return plateStage<OffloadInput>({ reader, snapshot, ...(watchlists.length > 0 ? { watchlists } : {}) })
    }, async (s) => s.close?.())
    const { stages, stage } = await shared.once('plates:offload', async () => {
      const stages = new Map<string, PlateStage<OffloadInput>>()
      return { stages, stage: offloadStage({ name: 'plates', concurrency: threads, stageFor: (id) => stages.get(id)! }) }
    })
    stages.set(camera.id, inner)
    // A plate track ends after a gap of frames without its plate; still frames never reach the
    // reader (motion gate), so every decoded frame moves the camera's voting clock on when no read
    // is queued or running (a car that drove through is reported without waiting for new motion).
    shared.onFrame(camera.id, (frame, ctx) => {
      if (!stage.idle(camera.id)) return
      const done = inner.process({ frame, regions: [] }, ctx) // no regions: no read, only the clock
      if (done instanceof Promise) {
        done.catch((error) => ctx.emit({ type: 'error', cameraId: ctx.cameraId, seq: frame.seq, ptsUs: frame.ptsUs, timeMs: Date.now(), stage: 'plates', error: serializeError(error), fatal: false }))
      }
    })
    // Open tracks end with the camera's frames (a parked car is still reported).
    shared.atEnd(camera.id, (ctx) => inner.flush(ctx))
    return stage
  },
}

function readerInput(options: Record<string, unknown>): PlateReaderOptions {
  return {
    workers: (options.threads as number | undefined) ?? 1,
    ...(options.countries !== undefined ? { countries: typeof options.countries === 'string' ? [options.countries] : (options.countries as string[]) } : {}),
    ...(options.minConfidence !== undefined ? { minConfidence: options.minConfidence as number } : {}),
  }
}

function checkReader(options: Record<string, unknown>, path: string): void {
  if (options.threads !== undefined) checkNumber(`${path}.threads`, options.threads, { min: 1, max: 64, integer: true })
  if (options.countries !== undefined && typeof options.countries !== 'string') {
    checkArray(`${path}.countries`, options.countries).forEach((c, i) => checkString(`${path}.countries[${i}]`, c))
  }
  try {
    resolveReaderOptions(readerInput(options), path)
  } catch (error) {
    // The reader says `workers` and `formats` (the table the countries select); configs say `threads` and `countries`.
    if (error instanceof InvalidOptionError) {
      throw new InvalidOptionError(error.option.replace(/\.workers$/, '.threads').replace(/\.formats$/, '.countries'), error.message.slice(error.option.length + 2))
    }
    throw error
  }
}
