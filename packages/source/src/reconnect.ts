import type { OkoError, SourceState } from '@oko/core'
import { backoffDelayMs, sleep, type ReconnectPolicy } from './backoff.js'
import { isUnauthorized } from './input.js'

const NO_RETRY: ReconnectPolicy = { initialDelayMs: 0, maxDelayMs: 0, factor: 1, jitter: 0, maxAttempts: 0 }

/** Where a connection's state changes go: `attempt` counts retries since frames last flowed. */
export type StateReport = (state: SourceState, detail?: string, attempt?: number) => void

/**
 * The connect-and-retry loop of one stream (the detect stream of a Source, or a MainStream):
 * opens at once the first time, then after the policy's backoff. A refused login (401/403) is
 * reported as `unauthorized` and retried only after the policy's longest delay: cameras lock an
 * account after a few failed logins, and a wrong password does not fix itself in 500 ms.
 */
export class Reconnector {
  readonly #live: boolean
  readonly #policy: ReconnectPolicy | false
  readonly #report: StateReport
  /** Aborts sleeps and gives up (close, the reader's signal). */
  readonly #signal: AbortSignal
  #attempt = 0
  #reason: string | undefined
  #unauthorized = false

  constructor(live: boolean, policy: ReconnectPolicy | false, report: StateReport, signal: AbortSignal) {
    this.#live = live
    this.#policy = policy
    this.#report = report
    this.#signal = signal
  }

  /** Frames flow: the next loss is retried from the first delay. */
  resetBackoff(): void {
    this.#attempt = 0
    this.#unauthorized = false
  }

  /** A connection that played was lost: the next `connect` waits the first delay. */
  lost(reason: string): void {
    this.#attempt = 1
    this.#reason = reason
    this.#unauthorized = false
  }

  /**
   * A connected input from `open`: at once the first time (`connecting`, unless `quiet`), after
   * the backoff on retries (`reconnecting`, or `unauthorized`). Undefined once the signal aborts;
   * throws the last error, after reporting `failed`, when the error is final (a file, an
   * unsupported codec, reconnect off) or the policy's attempts are used up.
   */
  async connect<T>(open: () => Promise<T>, { quiet = false } = {}): Promise<T | undefined> {
    const policy = this.#policy || NO_RETRY
    for (;;) {
      if (this.#signal.aborted) return undefined
      if (this.#attempt === 0) {
        if (!quiet) this.#report('connecting')
      } else {
        this.#report(this.#unauthorized ? 'unauthorized' : 'reconnecting', this.#reason, this.#attempt)
        await sleep(this.#unauthorized ? policy.maxDelayMs : backoffDelayMs(this.#attempt, policy), this.#signal)
        if (this.#signal.aborted) return undefined
      }
      try {
        return await open()
      } catch (error) {
        if (this.#signal.aborted) return undefined
        const final = !this.#live || this.#policy === false || (error as OkoError).code === 'ERR_UNSUPPORTED'
        if (final || this.#attempt >= policy.maxAttempts) {
          this.#report('failed', (error as Error).message)
          throw error
        }
        this.#attempt++
        this.#reason = (error as Error).message
        this.#unauthorized = isUnauthorized(error)
      }
    }
  }
}
