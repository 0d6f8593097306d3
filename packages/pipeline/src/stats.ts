import type { DropReason, SourceStats } from '@oko/core'
import type { SubscriptionStats } from './event-bus.js'

/** Per-edge drop counts, by reason. */
export type DropCounts = Partial<Record<DropReason, number>>

export interface CameraStats {
  /** Frames the source delivered. */
  framesIn: number
  /** Items a gate stopped (a stage returned undefined). */
  gated: number
  /** Worker replies received. */
  inferred: number
  /** Items that reached the end of the pipeline. */
  outputs: number
  /** Per-item failures and source errors (error events). */
  errors: number
  /** Items dropped, per edge (`<stage>` for worker edges, or the source's own stage names). */
  dropped: Record<string, DropCounts>
}

export interface LatencyPercentiles {
  readonly p50: number
  readonly p95: number
  readonly p99: number
  /** Samples the percentiles come from (the most recent ones, at most 4096). */
  readonly samples: number
}

/** A latency histogram with fixed bucket bounds (Prometheus-style, cumulative counts). */
export interface HistogramSnapshot {
  /** Upper bounds of the buckets, ms (the last bucket, +Inf, is implied by `count`). */
  readonly bucketsMs: readonly number[]
  /** Observations ≤ each bound (cumulative). */
  readonly counts: readonly number[]
  readonly count: number
  readonly sumMs: number
  /** Estimated from the buckets. */
  readonly p50Ms: number
  readonly p99Ms: number
}

export interface StageStats {
  /** Items the stage processed (inline: calls; worker: replies). */
  readonly items: number
  readonly errors: number
  /** Inline: time in `process`; worker: from entering the edge to the end of `finish`. */
  readonly latency: HistogramSnapshot
}

export interface EdgeStats {
  /** Items waiting now, over all cameras. */
  readonly depth: number
  /** Capacity per camera. */
  readonly capacity: number
  /** Jobs on the pool's threads now. */
  readonly inFlight: number
}

/** A live snapshot (`run.stats()`) and, at the end, the run summary. */
export interface RunStats {
  readonly framesIn: number
  readonly gated: number
  readonly inferred: number
  readonly outputs: number
  readonly errors: number
  /** Dropped items per edge over all cameras. */
  readonly dropped: Readonly<Record<string, DropCounts>>
  readonly droppedTotal: number
  /** Items waiting in edges now. */
  readonly queued: number
  /** Jobs on worker threads now. */
  readonly inFlight: number
  /** Events emitted by the run (every subscriber gets them, or counts them as dropped). */
  readonly events: number
  /** From the frame entering the pipeline (just decoded) to the item leaving its last stage, in ms. */
  readonly latencyMs: LatencyPercentiles
  /** Per camera now running (and those that ended but were not removed). */
  readonly cameras: Readonly<Record<string, Readonly<CameraStats> & { readonly source?: SourceStats }>>
  /** Per stage, by name. */
  readonly stages: Readonly<Record<string, StageStats>>
  /** The bounded edge in front of each worker stage, by stage name. */
  readonly edges: Readonly<Record<string, EdgeStats>>
  /** Every event subscriber's queue. */
  readonly subscribers: readonly SubscriptionStats[]
  readonly elapsedMs: number
}

export interface RunSummary extends RunStats {
  /** The run was stopped (its signal aborted, or close() was called) before its sources ended. */
  readonly aborted: boolean
}

/** Keeps the most recent latency samples in a fixed ring; no growth. */
export class LatencyRing {
  readonly #ring: Float64Array
  #count = 0

  constructor(size = 4096) {
    this.#ring = new Float64Array(size)
  }

  add(ms: number): void {
    this.#ring[this.#count % this.#ring.length] = ms
    this.#count++
  }

  percentiles(): LatencyPercentiles {
    const n = Math.min(this.#count, this.#ring.length)
    if (n === 0) return { p50: 0, p95: 0, p99: 0, samples: 0 }
    const sorted = this.#ring.slice(0, n).sort()
    const at = (q: number) => round(sorted[Math.min(n - 1, Math.floor(q * n))]!)
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), samples: n }
  }
}

/** Bucket bounds for stage latencies, ms: from a WASM gate's tenth of a millisecond to a slow model's seconds. */
export const LATENCY_BUCKETS_MS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]

/** A fixed-bucket histogram: O(buckets) per observation, no allocation. */
export class Histogram {
  readonly #bounds: readonly number[]
  readonly #counts: Float64Array
  #count = 0
  #sum = 0

  constructor(bounds: readonly number[] = LATENCY_BUCKETS_MS) {
    this.#bounds = bounds
    this.#counts = new Float64Array(bounds.length)
  }

  observe(ms: number): void {
    this.#count++
    this.#sum += ms
    const b = this.#bounds
    for (let i = 0; i < b.length; i++) {
      if (ms <= b[i]!) {
        this.#counts[i]!++
        return
      }
    }
  }

  snapshot(): HistogramSnapshot {
    const counts: number[] = []
    let running = 0
    for (let i = 0; i < this.#bounds.length; i++) counts.push((running += this.#counts[i]!))
    return { bucketsMs: this.#bounds, counts, count: this.#count, sumMs: round(this.#sum), p50Ms: this.#quantile(counts, 0.5), p99Ms: this.#quantile(counts, 0.99) }
  }

  /** The bucket bound at quantile q (linear within the bucket), as Prometheus' histogram_quantile does. */
  #quantile(cumulative: readonly number[], q: number): number {
    if (this.#count === 0) return 0
    const rank = q * this.#count
    let lower = 0, below = 0
    for (let i = 0; i < cumulative.length; i++) {
      const upper = this.#bounds[i]!
      if (cumulative[i]! >= rank) {
        const inBucket = cumulative[i]! - below
        return round(inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper)
      }
      lower = upper
      below = cumulative[i]!
    }
    return this.#bounds[this.#bounds.length - 1]!
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

export function newCameraStats(): CameraStats {
  return { framesIn: 0, gated: 0, inferred: 0, outputs: 0, errors: 0, dropped: {} }
}

export function addDrop(target: Record<string, DropCounts>, edge: string, reason: DropReason, count: number): void {
  const counts = (target[edge] ??= {})
  counts[reason] = (counts[reason] ?? 0) + count
}

export function totalDrops(dropped: Readonly<Record<string, DropCounts>>): number {
  let total = 0
  for (const counts of Object.values(dropped)) for (const n of Object.values(counts)) total += n ?? 0
  return total
}

/** Adds `from`'s counters to `into` (a camera that left the run keeps counting in the totals). */
export function addCameraStats(into: CameraStats, from: Readonly<CameraStats>): void {
  into.framesIn += from.framesIn
  into.gated += from.gated
  into.inferred += from.inferred
  into.outputs += from.outputs
  into.errors += from.errors
  for (const [edge, counts] of Object.entries(from.dropped)) {
    for (const [reason, n] of Object.entries(counts)) addDrop(into.dropped, edge, reason as DropReason, n ?? 0)
  }
}
