/**
 * Timings of a cluster. JetStream 2.9 has no per-key TTL and tells no watcher when a key
 * expires, so every timing is a bucket-wide TTL plus ages compared on the server's clock.
 */
export interface ClusterTimings {
  /** A worker puts its heartbeat this often. Default 1000 ms. */
  readonly heartbeatMs: number
  /** A worker whose last heartbeat is older than this is gone (its cameras are placed elsewhere). Default 5000 ms. */
  readonly workerTimeoutMs: number
  /** The leases bucket's TTL: a lease not renewed for this long is gone and may be taken. Default 6000 ms. */
  readonly leaseTtlMs: number
  /** A worker renews each lease this often. Default 1500 ms. */
  readonly renewMs: number
  /**
   * A worker that has not renewed a lease for this long stops that camera (self-fencing), so
   * it has stopped before the lease can be taken (`leaseTtlMs` after the last renewal was sent).
   * Default 3500 ms: 2.5 s to stop the camera before anyone may start it.
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
  return t
}

/** A lease this worker holds: the key's revision (the fencing token) and when the write that set it was sent. */
export interface HeldLease {
  readonly cameraId: string
  /** Revision of the lease key written by this worker; the next renewal is a CAS on it. */
  revision: number
  /** Local monotonic ms when the write that gave `revision` was sent (the server stamped it later). */
  sentMs: number
}

/**
 * The leases a worker holds and when each must be renewed or given up. Pure bookkeeping: the
 * caller does the writes and reports their results, with times from one monotonic clock.
 *
 * Why a fenced camera cannot run twice: the server stamps a renewal after it was sent, so the
 * key lives until at least `sentMs + leaseTtlMs` (durations agree between clocks up to drift).
 * Another worker takes it only once it is that old on the server's clock. This worker stops the
 * camera at `sentMs + fenceMs`, `leaseTtlMs - fenceMs` earlier. The overlap is zero unless
 * stopping takes longer than that margin; it is bounded by the time stopping takes beyond it.
 */
export class LeaseBook {
  readonly #held = new Map<string, HeldLease>()
  readonly #t: ClusterTimings

  constructor(timings: ClusterTimings) {
    this.#t = timings
  }

  get size(): number {
    return this.#held.size
  }

  has(cameraId: string): boolean {
    return this.#held.has(cameraId)
  }

  get(cameraId: string): HeldLease | undefined {
    return this.#held.get(cameraId)
  }

  ids(): string[] {
    return [...this.#held.keys()]
  }

  /** A claim (create or CAS take-over) sent at `sentMs` succeeded with `revision`. */
  claimed(cameraId: string, revision: number, sentMs: number): void {
    this.#held.set(cameraId, { cameraId, revision, sentMs })
  }

  /** A renewal sent at `sentMs` (a CAS on the revision held then) succeeded. */
  renewed(cameraId: string, fromRevision: number, revision: number, sentMs: number): void {
    const lease = this.#held.get(cameraId)
    // a renewal that raced a release or a newer renewal changes nothing
    if (!lease || lease.revision !== fromRevision) return
    lease.revision = revision
    lease.sentMs = sentMs
  }

  /** The lease is no longer this worker's (released, lost to a CAS, fenced). */
  drop(cameraId: string): void {
    this.#held.delete(cameraId)
  }

  /** Leases to renew now: those whose last write was sent `renewMs` or more ago. */
  dueForRenewal(nowMs: number): HeldLease[] {
    return [...this.#held.values()].filter((l) => nowMs - l.sentMs >= this.#t.renewMs)
  }

  /** Leases whose camera must stop now: not renewed for `fenceMs`. */
  dueForFence(nowMs: number): HeldLease[] {
    return [...this.#held.values()].filter((l) => nowMs - l.sentMs >= this.#t.fenceMs)
  }
}

/** What a worker that wants a camera finds in its lease key, and what it may do. */
export type LeaseView =
  | { readonly kind: 'free'; readonly revision?: number }
  | { readonly kind: 'held'; readonly worker: string; readonly revision: number; readonly createdMs: number }

export type ClaimDecision =
  /** No lease (never made, expired by the bucket TTL, or deleted by a clean release): exclusive create. */
  | { readonly action: 'create' }
  /** A lease nobody renewed for `leaseTtlMs` on the server's clock (the server has not yet expired it): CAS on its revision. */
  | { readonly action: 'take'; readonly revision: number; readonly from: string }
  /** This worker's own lease from a previous run (same id, restarted): CAS on its revision. */
  | { readonly action: 'resume'; readonly revision: number }
  | { readonly action: 'wait' }

/**
 * May `me` claim a camera whose lease looks like `view`? `serverNowMs` is now on the server's
 * clock (estimated from this worker's own heartbeat, which the server stamps), so the lease's
 * age needs no synchronised clocks between machines.
 */
export function decideClaim(me: string, view: LeaseView, serverNowMs: number, timings: ClusterTimings): ClaimDecision {
  if (view.kind === 'free') return { action: 'create' }
  if (view.worker === me) return { action: 'resume', revision: view.revision }
  if (serverNowMs - view.createdMs >= timings.leaseTtlMs) return { action: 'take', revision: view.revision, from: view.worker }
  return { action: 'wait' }
}

/**
 * The server's clock as seen from this process: each time the server stamps a write of ours
 * (our heartbeat, seen again through the watch), the offset is taken from the latest stamp.
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
