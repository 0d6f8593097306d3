import { OkoError } from '@oko/core'
import { Log } from 'node-av/lib'
import { redactUrl } from './url.js'
import { AV_LOG_DEBUG, AV_LOG_ERROR, AV_LOG_FATAL, AV_LOG_INFO, AV_LOG_PANIC, AV_LOG_QUIET, AV_LOG_WARNING, type AVLogLevel } from 'node-av/constants'

export type FfmpegLogLevel = 'quiet' | 'fatal' | 'error' | 'warning' | 'info' | 'debug'

const LEVELS = { quiet: AV_LOG_QUIET, fatal: AV_LOG_FATAL, error: AV_LOG_ERROR, warning: AV_LOG_WARNING, info: AV_LOG_INFO, debug: AV_LOG_DEBUG }

/**
 * Sets FFmpeg's own stderr logging for the whole process (FFmpeg keeps one level per process,
 * so this is the application's call, never the library's: oko reports problems as events).
 */
export function setFfmpegLogLevel(level: FfmpegLogLevel): void {
  Log.setLevel(LEVELS[level])
}

/**
 * Runs a synchronous FFmpeg call with warnings held back (errors still print), then restores the
 * application's level: for calls whose warnings are known to be noise.
 */
export function withoutFfmpegWarnings<T>(call: () => T): T {
  const previous = Log.getLevel()
  if (previous <= AV_LOG_ERROR) return call()
  Log.setLevel(AV_LOG_ERROR)
  try {
    return call()
  } finally {
    Log.setLevel(previous)
  }
}

/** One line FFmpeg logged, as `captureFfmpegLog` hands it over. */
export interface FfmpegMessage {
  readonly level: Exclude<FfmpegLogLevel, 'quiet'>
  readonly text: string
  /**
   * The camera whose FFmpeg work logged it; undefined when that cannot be told (see
   * `captureFfmpegLog`).
   */
  readonly cameraId: string | undefined
  /** Messages of this camera and level folded into this one since the previous (rate limit). */
  readonly suppressed: number
}

export interface FfmpegLogOptions {
  /** Lowest severity passed on. Default `error`. */
  readonly level?: FfmpegLogLevel
  /** Receives at most `perSecond` messages a second per camera and level; the rest are counted. */
  readonly onMessage: (message: FfmpegMessage) => void
  /** Default 1. */
  readonly perSecond?: number
}

/** Counts of captured FFmpeg messages, by camera id (`''`: not attributed) and level. */
export type FfmpegLogCounts = Readonly<Record<string, Readonly<Partial<Record<FfmpegMessage['level'], number>>>>>

/** FFmpeg's log while captured: close (or `using`) to hand it back to stderr. */
export interface FfmpegLogCapture extends Disposable {
  counts(): FfmpegLogCounts
  close(): void
}

const MARK = '\u0001oko-ffmpeg:'

/**
 * FFmpeg has one log callback per process and node-av hands it over without the context that
 * logged, so the camera a line belongs to is worked out from markers the sources put into the
 * same queue around their FFmpeg calls. This is the one process-wide object of @oko/source,
 * mirroring FFmpeg's own; it lives on globalThis so that two copies of the package share it.
 */
interface Router {
  capture: Capture | undefined
}

const ROUTER_KEY = Symbol.for('@oko/source:ffmpeg-log')

function router(): Router {
  const g = globalThis as { [ROUTER_KEY]?: Router }
  return (g[ROUTER_KEY] ??= { capture: undefined })
}

class Capture implements FfmpegLogCapture {
  readonly #maxLevel: AVLogLevel
  readonly #onMessage: (message: FfmpegMessage) => void
  readonly #intervalMs: number
  readonly #counts = new Map<string, Record<string, number>>()
  readonly #limits = new Map<string, { lastMs: number; suppressed: number }>()
  readonly #previousLevel: AVLogLevel
  /** Camera in a synchronous FFmpeg call on this thread, as the queue has reached. */
  #sync: string | undefined
  /** Cameras with FFmpeg work in flight on libuv's pool, as the queue has reached. */
  readonly #pending = new Map<string, number>()
  #closed = false
  #released = false
  #releaseTimer: NodeJS.Timeout | undefined

  constructor(options: FfmpegLogOptions) {
    this.#maxLevel = LEVELS[options.level ?? 'error']
    this.#onMessage = options.onMessage
    this.#intervalMs = 1000 / (options.perSecond ?? 1)
    this.#previousLevel = Log.getLevel()
    Log.setLevel(this.#maxLevel)
    // markers are logged at AV_LOG_PANIC, which every capture level above quiet lets through
    Log.setCallback((level, text) => this.#receive(level, text), { maxLevel: this.#maxLevel < AV_LOG_PANIC ? AV_LOG_PANIC : this.#maxLevel })
  }

  /** Posts a marker into FFmpeg's log queue, behind everything logged so far. */
  mark(kind: 'sync+' | 'sync-' | 'pending+' | 'pending-', cameraId: string): void {
    // closed: stderr has FFmpeg's log back, and a marker there would be printed as a line
    if (!this.#closed && this.#maxLevel >= AV_LOG_PANIC) Log.log(AV_LOG_PANIC, `${MARK}${kind}${cameraId}`)
  }

  #receive(level: number, text: string): void {
    if (text === `${MARK}closed`) return this.#release()
    if (text.startsWith(MARK)) return this.#marker(text.slice(MARK.length))
    // withoutFfmpegWarnings lowers the process level for a call: honour it
    if (this.#closed || level > this.#maxLevel || level > Log.getLevel()) return
    const cameraId = this.#sync ?? (this.#pending.size === 1 ? this.#pending.keys().next().value : undefined)
    const name = levelName(level)
    const key = cameraId ?? ''
    const counts = this.#counts.get(key) ?? {}
    counts[name] = (counts[name] ?? 0) + 1
    this.#counts.set(key, counts)
    const limitKey = `${name}\u0000${key}`
    const limit = this.#limits.get(limitKey) ?? { lastMs: -Infinity, suppressed: 0 }
    this.#limits.set(limitKey, limit)
    const now = Date.now()
    if (now - limit.lastMs < this.#intervalMs) { limit.suppressed++; return }
    const suppressed = limit.suppressed
    limit.lastMs = now
    limit.suppressed = 0
    this.#onMessage({ level: name, text: scrub(text.trim()), cameraId, suppressed })
  }

  #marker(body: string): void {
    const kind = /^(sync|pending)[+-]/.exec(body)?.[0]
    const id = body.slice(kind?.length ?? 0)
    if (kind === 'sync+') this.#sync = id
    else if (kind === 'sync-') this.#sync = undefined
    else if (kind === 'pending+') this.#pending.set(id, (this.#pending.get(id) ?? 0) + 1)
    else if (kind === 'pending-') {
      const n = (this.#pending.get(id) ?? 1) - 1
      if (n > 0) this.#pending.set(id, n)
      else this.#pending.delete(id)
    }
  }

  counts(): FfmpegLogCounts {
    return Object.fromEntries([...this.#counts].map(([id, c]) => [id, { ...c }]))
  }

  /**
   * node-av hands FFmpeg's lines to JavaScript through a queue that does not keep the process
   * alive; a line still queued when Node exits aborts the process inside node-av (a native
   * `napi_throw`), and so does a line queued when the callback is reset. So the callback is
   * handed back only once a last marker came through the queue (at most 1 s), and the marker's
   * timer keeps the process alive until then.
   */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    const r = router()
    if (r.capture === this) r.capture = undefined
    if (this.#maxLevel < AV_LOG_PANIC) return this.#release()
    this.#releaseTimer = setTimeout(() => this.#release(), 1000)
    Log.log(AV_LOG_PANIC, `${MARK}closed`)
  }

  #release(): void {
    if (this.#released) return
    this.#released = true
    clearTimeout(this.#releaseTimer)
    // a capture made since owns FFmpeg's callback and level now
    if (router().capture) return
    Log.resetCallback()
    Log.setLevel(this.#previousLevel)
  }

  [Symbol.dispose](): void {
    this.close()
  }
}

/** FFmpeg's lines at debug and trace may hold URLs and request headers: credentials never get out. */
function scrub(text: string): string {
  return text
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi, (url) => redactUrl(url))
    .replace(/\b((?:proxy-)?authorization:\s*\S+)\s+\S+/gi, '$1 ***')
}

function levelName(level: number): FfmpegMessage['level'] {
  if (level <= AV_LOG_FATAL) return 'fatal'
  if (level <= AV_LOG_ERROR) return 'error'
  if (level <= AV_LOG_WARNING) return 'warning'
  if (level <= AV_LOG_INFO) return 'info'
  return 'debug'
}

/**
 * Routes FFmpeg's own log (which it prints to stderr: hundreds of lines for one damaged clip)
 * to `onMessage` instead: at `level` and above, each line attributed to its camera, rate-limited
 * per camera and level, and counted (`counts()`). For the whole process, like FFmpeg's log
 * itself: one capture at a time; `close()` gives stderr its log back.
 *
 * Attribution: lines logged inside a source's synchronous decoder and file calls carry its
 * camera. Lines from work on libuv's pool (opening a stream, network reads) carry a camera when
 * only one camera had such work in flight; with several live cameras connected a network read
 * is almost always in flight for each, so their demuxer lines come without a camera (counted
 * under `''`), and one may land in another camera's decoder call while it runs.
 */
export function captureFfmpegLog(options: FfmpegLogOptions): FfmpegLogCapture {
  const r = router()
  if (r.capture) throw new OkoError('ERR_INVALID_INPUT', "FFmpeg's log is already captured in this process (FFmpeg has one log per process); close the first capture before making another")
  const capture = new Capture(options)
  r.capture = capture
  return capture
}

/** Runs a synchronous FFmpeg call on behalf of `cameraId`, so that what it logs is attributed. */
export function loggedSync<T>(cameraId: string, call: () => T): T {
  const capture = router().capture
  if (!capture) return call()
  capture.mark('sync+', cameraId)
  try {
    return call()
  } finally {
    capture.mark('sync-', cameraId)
  }
}

/** Tracks FFmpeg work of `cameraId` in flight on libuv's pool, so that what it logs may be attributed. */
export function loggedAsync<T>(cameraId: string, start: () => Promise<T>): Promise<T> {
  const capture = router().capture
  if (!capture) return start()
  capture.mark('pending+', cameraId)
  return start().finally(() => capture.mark('pending-', cameraId))
}
