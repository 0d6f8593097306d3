import { serializeError, type SourceNotice, type SourceState } from '@oko/core'

/** Builds and rate-limits a source's notices (state changes, drops, per-packet errors). */
export class Notices {
  readonly #cameraId: string
  readonly #emit: (event: SourceNotice) => void
  #lastErrorMs = -Infinity
  #suppressedErrors = 0
  #lastDropMs = -Infinity
  #pendingDrops = 0

  constructor(cameraId: string, emit: ((event: SourceNotice) => void) | undefined) {
    this.#cameraId = cameraId
    this.#emit = emit ?? (() => undefined)
  }

  state(state: SourceState, at: { seq: number; ptsUs: number }, detail?: string, attempt?: number): void {
    this.#emit({
      type: 'source', cameraId: this.#cameraId, seq: at.seq, ptsUs: at.ptsUs, timeMs: Date.now(), state,
      ...(detail === undefined ? {} : { detail }), ...(attempt === undefined ? {} : { attempt }),
    })
  }

  /** A non-fatal error; at most one event a second, the next one says how many were folded in. */
  error(error: Error, at: { seq: number; ptsUs: number }, stage = 'source'): void {
    const now = Date.now()
    if (now - this.#lastErrorMs < 1000) { this.#suppressedErrors++; return }
    const folded = this.#suppressedErrors
    this.#suppressedErrors = 0
    this.#lastErrorMs = now
    if (folded > 0) error.message += ` (and ${folded} similar since the previous report)`
    this.#emit({ type: 'error', cameraId: this.#cameraId, seq: at.seq, ptsUs: at.ptsUs, timeMs: now, stage, error: serializeError(error), fatal: false })
  }

  /** Frames dropped as stale; reported at most once a second with the count since the last report. */
  dropped(at: { seq: number; ptsUs: number }, force = false): void {
    this.#pendingDrops++
    const now = Date.now()
    if (!force && now - this.#lastDropMs < 1000) return
    this.flushDrops(at, now)
  }

  flushDrops(at: { seq: number; ptsUs: number }, now = Date.now()): void {
    if (this.#pendingDrops === 0) return
    this.#emit({ type: 'dropped', cameraId: this.#cameraId, seq: at.seq, ptsUs: at.ptsUs, timeMs: now, stage: 'source', count: this.#pendingDrops, reason: 'stale' })
    this.#pendingDrops = 0
    this.#lastDropMs = now
  }
}
