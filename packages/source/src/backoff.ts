/** How a live source retries after losing its stream. */
export interface ReconnectPolicy {
  /** Delay before the first retry, ms. */
  readonly initialDelayMs: number
  /** Upper bound of any delay, ms. */
  readonly maxDelayMs: number
  /** Growth per attempt (2 doubles the delay each time). */
  readonly factor: number
  /** Fraction of each delay drawn at random, in [0, 1]: 0.2 gives a delay in [0.8 d, d]. */
  readonly jitter: number
  /** Attempts before the source fails for good; `Infinity` retries forever. */
  readonly maxAttempts: number
}

export const DEFAULT_RECONNECT: ReconnectPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.2,
  maxAttempts: Infinity,
}

/** Delay before retry number `attempt` (1-based): exponential, capped, with jitter. */
export function backoffDelayMs(attempt: number, policy: ReconnectPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1))
  return Math.round(base * (1 - policy.jitter * random()))
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const onAbort = (): void => { clearTimeout(timer); resolve() }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
