import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { InvalidOptionError, OkoError, checkBoolean, checkKnownKeys, checkNumber, checkOneOf, checkString } from '@oko/core'
import { FacePool, Watchlist, faceStage } from '@oko/faces'
import type { StageProvider } from '../stages.js'

/** Options that make the shared face pool: deployment-wide, not per camera. */
const POOL_KEYS = ['threads', 'detector', 'minConfidence']
const CAMERA_KEYS = ['watchlist', 'threshold', 'snapshots', 'within']

/**
 * `faces`: finds faces in motion regions (face-api models on `threads` worker threads shared by
 * every camera), tracks them, matches them against a watchlist made by `oko faces enrol`, and
 * emits `face` events (with `match` for enrolled people; strangers get none).
 *
 * ```yaml
 * stages:
 *   - motion
 *   - faces: { watchlist: staff.watchlist, threshold: 0.5, threads: 1 }
 * ```
 */
export const facesProvider: StageProvider = {
  check(options, path, context) {
    const perCamera = path.startsWith('cameras[')
    checkKnownKeys(path, options, perCamera ? CAMERA_KEYS : [...POOL_KEYS, ...CAMERA_KEYS])
    if (options.threads !== undefined) checkNumber(`${path}.threads`, options.threads, { min: 1, max: 64, integer: true })
    if (options.detector !== undefined) checkOneOf(`${path}.detector`, options.detector, ['tiny', 'ssd'] as const)
    if (options.minConfidence !== undefined) checkNumber(`${path}.minConfidence`, options.minConfidence, { min: 0, max: 1 })
    if (options.threshold !== undefined) checkNumber(`${path}.threshold`, options.threshold, { min: 0, exclusiveMin: true, max: 4 })
    if (options.snapshots !== undefined) checkBoolean(`${path}.snapshots`, options.snapshots)
    if (options.within !== undefined) checkOneOf(`${path}.within`, options.within, ['auto', 'people', 'motion', 'frame'] as const)
    if (options.watchlist === undefined) return options
    const file = resolve(context?.baseDir ?? process.cwd(), checkString(`${path}.watchlist`, options.watchlist))
    readWatchlist(file, `${path}.watchlist`)
    return { ...options, watchlist: file }
  },
  async create(options, camera, shared) {
    const threads = (options.threads as number | undefined) ?? 1
    const pool = await shared.once('faces:pool', () => FacePool.create({
      threads,
      detector: {
        model: (options.detector as 'tiny' | 'ssd' | undefined) ?? 'tiny',
        ...(options.minConfidence !== undefined ? { minConfidence: options.minConfidence as number } : {}),
      },
    }), (p) => p.close())
    const file = options.watchlist as string | undefined
    const threshold = options.threshold as number | undefined
    const snapshots = options.snapshots === true
    const within = options.within as 'auto' | 'people' | 'motion' | 'frame' | undefined
    // Cameras with the same list and settings share one stage (and so one fair edge onto the pool's threads).
    return shared.once(`faces:stage:${JSON.stringify({ file, threshold, snapshots, within })}`, async () => {
      let watchlist: Watchlist | undefined
      if (file !== undefined) {
        watchlist = readWatchlist(file, 'stages.faces.watchlist', threshold)
        if (watchlist.modelId !== pool.modelId) {
          throw new InvalidOptionError('stages.faces.watchlist', `${file} holds descriptors of "${watchlist.modelId}", the face models make "${pool.modelId}"; enrol again with oko faces enrol`)
        }
      }
      return faceStage({ analysis: pool, snapshots, ...(within ? { within } : {}), ...(watchlist ? { watchlist } : {}) })
    }, (s) => s.close())
  },
}

/** Reads and checks a face watchlist file synchronously (version, checksum, not empty); a fresh object, so `threshold` may be set on it. */
function readWatchlist(file: string, path: string, threshold?: number): Watchlist {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch (cause) {
    throw new InvalidOptionError(path, `cannot read face watchlist ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}); make one with: oko faces enrol ${file} <name>=<photo>`)
  }
  let list: Watchlist
  try {
    list = Watchlist.fromBytes(bytes, { source: file })
  } catch (error) {
    if (error instanceof OkoError) throw new InvalidOptionError(path, `${error.message}`)
    throw error
  }
  if (list.size === 0) throw new InvalidOptionError(path, `${file} is an empty watchlist; enrol someone with oko faces enrol`)
  if (threshold !== undefined) list.threshold = threshold
  return list
}
