import { resolve } from 'node:path'
import { InvalidOptionError, checkArray, checkBoolean, checkKnownKeys, checkNumber, checkOneOf, checkString } from '@oko/core'
import { PlateReader, plateStage, resolveReaderOptions, type PlateReaderOptions, type WatchlistSpec } from '@oko/plates'
import { readPlateWatchlist } from './plate-watchlist.js'
import type { StageProvider } from '../stages.js'

/** Options that make the shared reader: deployment-wide, not per camera. */
const READER_KEYS = ['countries', 'threads', 'minConfidence']
const CAMERA_KEYS = ['watchlist', 'snapshots', 'within', 'readsPerTrack']

/**
 * `plates`: reads licence plates in the vehicles (or what moved) of each frame (PaddleOCR ONNX on
 * `threads` worker threads shared by every camera), votes across frames per plate track, and
 * emits one `plate` event per track with watchlist hits. A camera never waits for the reads:
 * frames queue on a small bounded edge (files wait, live cameras drop the oldest, every drop
 * counted and reported).
 *
 * ```yaml
 * stages:
 *   - motion
 *   - plates: { countries: [ua, eu], watchlist: stolen.txt, threads: 2 }
 * ```
 */
export const platesProvider: StageProvider = {
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
    if (options.within !== undefined) checkOneOf(`${path}.within`, options.within, ['auto', 'vehicles', 'motion', 'frame'] as const)
    if (options.readsPerTrack !== undefined) checkNumber(`${path}.readsPerTrack`, options.readsPerTrack, { min: 1, max: 1000, integer: true })
    return out
  },
  async create(options, _camera, shared) {
    const reader = await shared.once('plates:reader', () => PlateReader.create(readerInput(options)), (r) => r.close())
    const files = (options.watchlist as string[] | undefined) ?? []
    const snapshot = options.snapshots === true
    const within = options.within as 'auto' | 'vehicles' | 'motion' | 'frame' | undefined
    const readsPerTrack = options.readsPerTrack as number | undefined
    // Cameras with the same lists and settings share one stage (and so one fair edge onto the reader's threads).
    const key = JSON.stringify({ files, snapshot, within, readsPerTrack })
    return shared.once(`plates:stage:${key}`, async () => {
      const watchlists: WatchlistSpec[] = files.flatMap((f) => readPlateWatchlist(f, 'stages.plates.watchlist'))
      return plateStage({ reader, snapshot, ...(within ? { within } : {}), ...(readsPerTrack !== undefined ? { readsPerTrack } : {}), ...(watchlists.length > 0 ? { watchlists } : {}) })
    }, (s) => s.close())
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
