/**
 * Timings of a cluster. JetStream 2.9 has no per-key TTL and tells no watcher when a key
 * expires, so every timing is an age compared on the server's clock. One key per worker (its
 * heartbeat) is the lease of all its cameras: renewing it renews them all, so NATS sees one write
 * per worker per `renewMs`, not one per camera.
 */
export interface ClusterTimings {
  /** A worker checks the next worker on the ring and writes its camera report this often. Default 1000 ms. */
  readonly heartbeatMs: number
  /** A worker whose heartbeat is older than this leaves the membership (its cameras are placed elsewhere). Default 5000 ms. */
  readonly workerTimeoutMs: number
  /** A worker whose heartbeat is older than this has stopped its cameras: they may be taken. Default 6000 ms. */
  readonly leaseTtlMs: number
  /** A worker renews its heartbeat (the lease of all its cameras) this often. Default 1500 ms. */
  readonly renewMs: number
  /**
   * A worker that has not renewed its heartbeat for this long stops all its cameras
   * (self-fencing), so they have stopped before they can be taken (`leaseTtlMs` after the last
   * renewal was sent). Default 3500 ms: 2.5 s to stop them before anyone may start them.
   */
  readonly fenceMs: number
}

export const DEFAULT_TIMINGS: ClusterTimings = { heartbeatMs: 1000, workerTimeoutMs: 5000, leaseTtlMs: 6000, renewMs: 1500, fenceMs: 3500 }

/** Checks that the timings give the guarantee: renewals well inside the fence, the fence inside the TTL. */
export function checkTimings(t: ClusterTimings): ClusterTimings {
  const fail = (what: string) => { throw new RangeError(`cluster timings: ${what} (got ${JSON.stringify(t)})`) }
  for (const [k, v] of Object.entries(t)) if (!(typeof v === 'number' && v > 0)) fail(`${k} must be a number of ms > 0`)
  if (t.renewMs * 2 > t.fenceMs) fail('renewMs must be at most half of fenceMs, so one lost renewal does not stop a camera')
  if (t.fenceMs >= t.leaseTtlMs) fail('fenceMs must be below leaseTtlMs: a worker must stop a camera before its lease can be taken')
  if (t.heartbeatMs * 2 > t.workerTimeoutMs) fail('heartbeatMs must be at most half of workerTimeoutMs')
  if (t.renewMs * 2 > t.workerTimeoutMs) fail('renewMs must be at most half of workerTimeoutMs, so one lost renewal does not drop a worker')
  return t
}

/**
 * This worker's own lease (its heartbeat key): the revision its next renewal is a CAS on, and
 * when the write that set it was sent. Pure bookkeeping: the caller does the writes and reports
 * their results, with times from one monotonic clock.
 *
 * Why a fenced camera cannot run twice: the server stamps a renewal after it was sent, so the
 * heartbeat looks fresh until at least `sentMs + leaseTtlMs` (durations agree between clocks up
 * to drift). Another worker takes one of its cameras only once the heartbeat is that old on the
 * server's clock. This worker stops every camera at `sentMs + fenceMs`, `leaseTtlMs - fenceMs`
 * earlier, and claims none while it is past that. The overlap is zero unless stopping takes
 * longer than that margin; it is bounded by the time stopping takes beyond it.
 */
export class OwnLease {
  #revision = 0
  #sentMs = -Infinity
  readonly #t: ClusterTimings

  constructor(timings: ClusterTimings) {
    this.#t = timings
  }

  /** Revision of the heartbeat key written last (0: none yet). */
  get revision(): number {
    return this.#revision
  }

  /** Local monotonic ms when the write that gave `revision` was sent. */
  get sentMs(): number {
    return this.#sentMs
  }

  /** A write (create, or a renewal: CAS on `fromRevision`) sent at `sentMs` succeeded with `revision`; a late answer to an older write changes nothing. */
  written(fromRevision: number, revision: number, sentMs: number): void {
    if (fromRevision !== this.#revision) return
    this.#revision = revision
    this.#sentMs = sentMs
  }

  /** The key is gone or someone else's: the next write creates it anew. */
  lost(): void {
    this.#revision = 0
    this.#sentMs = -Infinity
  }

  /** Renew now: the last write was sent `renewMs` or more ago. */
  due(nowMs: number): boolean {
    return nowMs - this.#sentMs >= this.#t.renewMs
  }

  /** Cameras must be stopped now, and none claimed: not renewed for `fenceMs`. */
  stale(nowMs: number): boolean {
    return nowMs - this.#sentMs >= this.#t.fenceMs
  }
}

/**
 * What a worker that wants a camera finds in its key, and what it may do. `heartbeatMs` is the
 * server's stamp on the holder's last heartbeat (-Infinity when it has none: gone a minute or more).
 */
export type LeaseView =
  | { readonly kind: 'free'; readonly revision?: number }
  | { readonly kind: 'held'; readonly worker: string; readonly revision: number; readonly heartbeatMs: number }

export type ClaimDecision =
  /** No key (never made, or deleted by a clean release): exclusive create. */
  | { readonly action: 'create' }
  /** A camera whose holder has not renewed its heartbeat for `leaseTtlMs` on the server's clock: CAS on the key's revision. */
  | { readonly action: 'take'; readonly revision: number; readonly from: string }
  /** This worker's own lease from a previous run (same id, restarted): CAS on its revision. */
  | { readonly action: 'resume'; readonly revision: number }
  | { readonly action: 'wait' }

/**
 * May `me` claim a camera whose key looks like `view`? `serverNowMs` is now on the server's
 * clock (estimated from this worker's own heartbeat, which the server stamps), so the holder's
 * age needs no synchronised clocks between machines.
 */
export function decideClaim(me: string, view: LeaseView, serverNowMs: number, timings: ClusterTimings): ClaimDecision {
  if (view.kind === 'free') return { action: 'create' }
  if (view.worker === me) return { action: 'resume', revision: view.revision }
  if (serverNowMs - view.heartbeatMs >= timings.leaseTtlMs) return { action: 'take', revision: view.revision, from: view.worker }
  return { action: 'wait' }
}

/**
 * The server's clock as seen from this process: each time the server stamps a write of ours
 * (our heartbeat, read back after each renewal), the offset is taken from the latest stamp.
 */
export class ServerClock {
  #offsetMs = 0

  /** The server stamped a write sent at local `sentMs` with `serverMs`. */
  observe(serverMs: number, sentMs: number): void {
    this.#offsetMs = serverMs - sentMs
  }

  now(localMs = Date.now()): number {
    return localMs + this.#offsetMs
  }
}
