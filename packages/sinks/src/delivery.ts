import type { OkoEvent } from '@oko/core'
import { select } from './filter.js'
import type { Outbox, OutboxRecord } from './outbox.js'
import { DeliveryError, type Sink } from './sink.js'

/** How a sink retries a batch that was not delivered. */
export interface RetryPolicy {
  /** Delay before the first retry, ms. Default 500. */
  readonly initialDelayMs: number
  /** Upper bound of a delay (and of a receiver's `Retry-After`), ms. Default 30 000. */
  readonly maxDelayMs: number
  /** Fraction of each delay drawn at random (spreads retries of many oko processes). Default 0.5. */
  readonly jitter: number
}

/** Alarm events sent ahead of a backlog, at most this many per batch. */
const ALARMS_AHEAD = 50

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, jitter: 0.5 }

export interface SinkStats {
  readonly name: string
  readonly kind: string
  readonly up: boolean
  /** Events acknowledged by the receiver. */
  readonly delivered: number
  /** Events the filter kept back (they count as passed, not as delivered). */
  readonly skipped: number
  /** Events given up: the receiver refused them for good (a 4xx), each also a `dropped` event. */
  readonly failed: number
  /** Sends that failed and were retried. */
  readonly retries: number
  /** The last failure, for logs (no event contents). */
  readonly lastError?: string
}

/**
 * Feeds one remote sink from the outbox: reads a batch after the sink's cursor, sends it, and
 * moves the cursor only once the receiver acknowledged it, so a crash or a failed send means the
 * same events (same ids) go again: at-least-once, in order. A retryable failure waits
 * (exponential backoff with jitter, or the receiver's `Retry-After`) and sends the same batch
 * again; a permanent one gives the batch up, counts it and reports it (`onGiveUp`).
 *
 * Alarms go first: when more is pending than one batch, the `alarm` events beyond it are sent at
 * the head of this batch (and skipped when the cursor reaches them). After a restart those sent
 * ahead but not yet passed by the cursor go again in order (duplicates, never a loss).
 */
export class DeliveryLoop {
  readonly sink: Sink
  readonly #outbox: Outbox
  readonly #batchSize: number
  readonly #retry: RetryPolicy
  readonly #onGiveUp: (sink: string, count: number) => void
  readonly #stop = new AbortController()
  #wake: (() => void) | undefined
  #unlisten: () => void
  #done: Promise<void> | undefined
  #delivered = 0
  #skipped = 0
  #failed = 0
  #retries = 0
  #lastError: string | undefined
  #draining = false
  /** Seqs of alarms sent ahead of the cursor. */
  readonly #sentAhead = new Set<number>()

  constructor(sink: Sink, outbox: Outbox, options: { batchSize?: number; retry?: RetryPolicy; onGiveUp?: (sink: string, count: number) => void } = {}) {
    this.sink = sink
    this.#outbox = outbox
    this.#batchSize = options.batchSize ?? 500
    this.#retry = options.retry ?? DEFAULT_RETRY
    this.#onGiveUp = options.onGiveUp ?? (() => undefined)
    this.#unlisten = outbox.onAppend(() => this.#poke())
  }

  /** Starts delivering in the background (idempotent). */
  start(): void {
    this.#done ??= this.#loop()
  }

  stats(): SinkStats {
    return {
      name: this.sink.name, kind: this.sink.kind, up: this.sink.up, delivered: this.#delivered, skipped: this.#skipped, failed: this.#failed, retries: this.#retries,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    }
  }

  /**
   * Stops: delivers what is pending for up to `drainMs` (0: stop after the batch in flight), then
   * closes the sink. What was not delivered stays in the outbox for the next start.
   */
  async stop(drainMs = 0): Promise<void> {
    this.#draining = true
    this.#poke()
    if (this.#done && drainMs > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([this.#drained(), new Promise((resolve) => (timer = setTimeout(resolve, drainMs)))])
      clearTimeout(timer)
    }
    this.#stop.abort()
    this.#poke()
    this.#unlisten()
    await this.#done
    await this.sink.close().catch(() => undefined)
  }

  async #drained(): Promise<void> {
    while (!this.#stop.signal.aborted && this.#outbox.stats().sinks[this.sink.name]!.pending > 0) await this.#sleep(20)
  }

  async #loop(): Promise<void> {
    await this.sink.open?.().catch((error: unknown) => { this.#lastError = (error as Error).message })
    let attempt = 0
    while (!this.#stop.signal.aborted) {
      let records
      try {
        records = this.#outbox.read(this.sink.name, this.#batchSize)
      } catch (error) {
        // the outbox file could not be read (disk trouble): wait and try again, never end the process
        this.#lastError = (error as Error).message
        await this.#sleep(backoffMs(++attempt, this.#retry))
        continue
      }
      if (records.length === 0) {
        if (this.#draining) await this.#sleep(20)
        else await this.#idle()
        continue
      }
      const lastSeq = records[records.length - 1]!.seq
      let ahead: OutboxRecord[] = []
      try {
        if (records.length === this.#batchSize) ahead = this.#outbox.readType(this.sink.name, 'alarm', lastSeq, ALARMS_AHEAD).filter((r) => !this.#sentAhead.has(r.seq))
      } catch {
        ahead = [] // the batch goes in order
      }
      const inOrder = records.filter((r) => !this.#sentAhead.has(r.seq))
      const events = select(this.sink.filter, [...ahead, ...inOrder].map((r) => r.event))
      const passed = () => {
        for (const r of ahead) this.#sentAhead.add(r.seq)
        for (const seq of this.#sentAhead) if (seq <= lastSeq) this.#sentAhead.delete(seq)
      }
      try {
        if (events.length > 0) await this.sink.send(events)
        // (an ack that fails to be written means the batch goes again: duplicates, never a loss)
        this.#outbox.ack(this.sink.name, lastSeq)
        passed()
        this.#delivered += events.length
        this.#skipped += ahead.length + inOrder.length - events.length
        attempt = 0
      } catch (error) {
        if (this.#stop.signal.aborted) break
        this.#lastError = (error as Error).message
        const retryable = !(error instanceof DeliveryError) || error.retryable
        if (!retryable) {
          try {
            this.#outbox.ack(this.sink.name, lastSeq)
            passed()
          } catch {
            continue
          }
          this.#failed += events.length
          this.#onGiveUp(this.sink.name, events.length)
          continue
        }
        this.#retries++
        attempt++
        const asked = error instanceof DeliveryError ? error.retryAfterMs : undefined
        await this.#sleep(asked !== undefined ? Math.min(asked, this.#retry.maxDelayMs) : backoffMs(attempt, this.#retry))
      }
    }
  }

  #idle(): Promise<void> {
    return new Promise((resolve) => {
      // wakes on the next append, or after a second (the outbox's age bound applies while nothing arrives too)
      const timer = setTimeout(() => { this.#wake = undefined; this.#outbox.trim(); resolve() }, 1000)
      this.#wake = () => { clearTimeout(timer); resolve() }
    })
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stop.signal.aborted) return resolve()
      const timer = setTimeout(done, ms)
      const signal = this.#stop.signal
      function done() {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done, { once: true })
    })
  }

  #poke(): void {
    const w = this.#wake
    this.#wake = undefined
    w?.()
  }
}

/** Delay before retry number `attempt` (1-based): exponential, capped, with jitter. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(base * (1 - policy.jitter * random()))
}

/** Sends events that do not need the outbox (files, stdout): the filter applied, in order. */
export function sendSelected(sink: Sink, batch: readonly OkoEvent[]): Promise<void> {
  const events = select(sink.filter, batch)
  return events.length > 0 ? sink.send(events) : Promise.resolve()
}
