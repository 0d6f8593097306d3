import { createHmac, timingSafeEqual } from 'node:crypto'
import type { OkoEvent } from '@oko/core'
import type { EventFilter } from './filter.js'
import { DeliveryError, type Sink } from './sink.js'
import { toCloudEvent, toJson } from './wire.js'

export interface WebhookSinkOptions {
  readonly name?: string
  /** http:// or https:// endpoint receiving POSTs. */
  readonly url: string
  /**
   * Shared secret: each request carries `X-Oko-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of
   * "<t>.<body>">`. The receiver recomputes it and rejects old `t` (replays).
   */
  readonly secret?: string
  /** Extra request headers (an API key). */
  readonly headers?: Readonly<Record<string, string>>
  /** Per-request timeout, ms. Default 10 000. */
  readonly timeoutMs?: number
  /** Name of the deployment, in each CloudEvent's `source`. */
  readonly deployment?: string
  readonly filter?: EventFilter
  /** Clock for the signature's timestamp (tests). */
  readonly now?: () => number
}

/** The signature header value of a body sent at `timeS`: `t=<timeS>,v1=<hex>`. */
export function signBody(secret: string, timeS: number, body: string): string {
  return `t=${timeS},v1=${createHmac('sha256', secret).update(`${timeS}.${body}`).digest('hex')}`
}

/**
 * Checks a webhook request's `X-Oko-Signature` (for receivers written in Node): true when it
 * was made with `secret` over this body and its time is within `toleranceS` of now.
 */
export function verifySignature(secret: string, header: string | undefined, body: string, options: { toleranceS?: number; nowS?: number } = {}): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '')
  if (!m) return false
  const t = Number(m[1])
  const now = options.nowS ?? Math.floor(Date.now() / 1000)
  if (Math.abs(now - t) > (options.toleranceS ?? 300)) return false
  const expected = signBody(secret, t, body).slice(-64)
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(m[2]!, 'hex'))
}

/**
 * HTTP(S) POST of a JSON array of CloudEvents (`application/cloudevents-batch+json`), one request
 * per batch, each with a per-request timeout. Any 2xx acknowledges the batch. 5xx, timeouts and
 * network errors are retried (by the delivery loop, with backoff and jitter); 408 and 429 too,
 * after their `Retry-After` when they give one; any other 4xx refuses the batch for good.
 */
export class WebhookSink implements Sink {
  readonly name: string
  readonly kind = 'webhook'
  readonly local = false
  readonly filter: EventFilter
  readonly url: string
  readonly #o: WebhookSinkOptions
  #up = true

  constructor(options: WebhookSinkOptions) {
    this.#o = options
    this.url = options.url
    this.name = options.name ?? 'webhook'
    this.filter = options.filter ?? {}
  }

  get up(): boolean {
    return this.#up
  }

  async send(batch: readonly OkoEvent[]): Promise<void> {
    const body = toJson(batch.map((e) => toCloudEvent(e, this.#o.deployment ?? 'oko')))
    const headers: Record<string, string> = { 'content-type': 'application/cloudevents-batch+json', ...this.#o.headers }
    if (this.#o.secret !== undefined) {
      const t = Math.floor((this.#o.now?.() ?? Date.now()) / 1000)
      headers['x-oko-timestamp'] = String(t)
      headers['x-oko-signature'] = signBody(this.#o.secret, t, body)
    }
    let response: Response
    try {
      response = await fetch(this.url, { method: 'POST', body, headers, signal: AbortSignal.timeout(this.#o.timeoutMs ?? 10_000), redirect: 'error' })
    } catch (cause) {
      this.#up = false
      const reason = (cause as Error).name === 'TimeoutError' ? `no answer within ${this.#o.timeoutMs ?? 10_000} ms` : ((cause as Error & { cause?: Error }).cause?.message ?? (cause as Error).message)
      throw new DeliveryError(`webhook ${redact(this.url)}: ${reason}`, { retryable: true, cause })
    }
    // the body is not needed; read it so the connection can be reused
    await response.arrayBuffer().catch(() => undefined)
    this.#up = true
    if (response.ok) return
    const status = response.status
    const retryable = status >= 500 || status === 408 || status === 429
    const retryAfterMs = retryable ? parseRetryAfter(response.headers.get('retry-after')) : undefined
    throw new DeliveryError(`webhook ${redact(this.url)} answered ${status}${retryable ? '' : ' (not retried: the receiver refuses these events)'}`, { retryable, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) })
  }

  async close(): Promise<void> {}

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** `Retry-After` as ms: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs)
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@').replace(/\?.*$/, '')
}
