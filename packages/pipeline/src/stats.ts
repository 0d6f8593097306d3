import type { DropReason } from '@oko/core'

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
  /** Per-item failures (error events). */
  errors: number
  /** Items dropped, per edge (`<stage>` for worker edges, `events`, or the source's own stage names). */
  dropped: Record<string, DropCounts>
}

export interface LatencyPercentiles {
  readonly p50: number
  readonly p95: number
  readonly p99: number
  /** Samples the percentiles come from (the most recent ones, at most 4096). */
  readonly samples: number
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
  /** Events delivered to the consumer. */
  readonly events: number
  /** From the frame entering the pipeline (just decoded) to the item leaving its last stage, in ms. */
  readonly latencyMs: LatencyPercentiles
  readonly cameras: Readonly<Record<string, Readonly<CameraStats>>>
  readonly elapsedMs: number
}

export interface RunSummary extends RunStats {
  /** The run's signal aborted (or close() was called) before the sources ended. */
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
