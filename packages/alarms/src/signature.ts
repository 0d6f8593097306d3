import { createHmac, timingSafeEqual } from 'node:crypto'

/** Why a signed request was refused (absent: accepted). */
export type SignatureVerdict = 'ok' | 'missing' | 'malformed' | 'stale' | 'bad' | 'replayed'

/** `t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the same scheme oko's webhook sink signs with. */
export function signAlarmBody(secret: string, timeS: number, body: string): string {
  return `t=${timeS},v1=${createHmac('sha256', secret).update(`${timeS}.${body}`).digest('hex')}`
}

/**
 * Checks `X-Oko-Signature` headers and refuses replays: a signature is accepted once, and only
 * while its time is within `toleranceS` of now; signatures seen are remembered for that window
 * (so the memory is bounded by the request rate × window, and by `maxRemembered`).
 */
export class SignatureGuard {
  readonly #secret: string
  readonly #toleranceS: number
  readonly #maxRemembered: number
  readonly #now: () => number
  /** Signature → its time (s), oldest first. */
  readonly #seen = new Map<string, number>()

  constructor(secret: string, options: { toleranceS?: number; maxRemembered?: number; now?: () => number } = {}) {
    this.#secret = secret
    this.#toleranceS = options.toleranceS ?? 300
    this.#maxRemembered = options.maxRemembered ?? 100_000
    this.#now = options.now ?? Date.now
  }

  verify(header: string | undefined, body: string): SignatureVerdict {
    if (header === undefined || header === '') return 'missing'
    const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header)
    if (!m) return 'malformed'
    const t = Number(m[1])
    const nowS = Math.floor(this.#now() / 1000)
    this.#forget(nowS)
    if (Math.abs(nowS - t) > this.#toleranceS) return 'stale'
    const expected = createHmac('sha256', this.#secret).update(`${t}.${body}`).digest()
    if (!timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'))) return 'bad'
    if (this.#seen.has(m[2]!)) return 'replayed'
    // full of valid signatures inside the window: refuse rather than forget one (a replay would pass)
    if (this.#seen.size >= this.#maxRemembered) return 'replayed'
    this.#seen.set(m[2]!, t)
    return 'ok'
  }

  #forget(nowS: number): void {
    for (const [sig, t] of this.#seen) {
      if (t >= nowS - this.#toleranceS) {
        // insertion order is arrival order, not signature time: keep scanning only a little
        if (this.#seen.size < this.#maxRemembered / 2) break
        continue
      }
      this.#seen.delete(sig)
    }
  }
}
