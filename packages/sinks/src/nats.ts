import { connect, headers, nanos, type ConnectionOptions, type JetStreamClient, type NatsConnection } from 'nats'
import type { OkoEvent } from '@oko/core'
import type { EventFilter } from './filter.js'
import { DeliveryError, type Sink } from './sink.js'
import { cameraOf, toCloudEvent, toJson } from './wire.js'

export interface NatsSinkOptions {
  readonly name?: string
  /** nats://host:4222 (several: a cluster). */
  readonly servers: string | readonly string[]
  /** Subject prefix: events go to `<subject>.<camera>.<type>` (`_` for no camera). Default `oko.events`. */
  readonly subject?: string
  /** JetStream stream that stores them; made (subjects `<subject>.>`, 2 min duplicate window) when missing. Default `OKO_EVENTS`. */
  readonly stream?: string
  readonly user?: string
  readonly pass?: string
  readonly token?: string
  /** TLS: PEM files. */
  readonly ca?: string
  readonly cert?: string
  readonly key?: string
  /** A publish not acknowledged within this is sent again. Default 10 000 ms. */
  readonly timeoutMs?: number
  readonly deployment?: string
  readonly filter?: EventFilter
}

/**
 * NATS JetStream: each event is published with `Nats-Msg-Id` = its id, so the server drops a
 * duplicate within the stream's duplicate window (a batch sent again after a lost ack), and a
 * batch counts as delivered when every publish was acknowledged (stored) by the stream.
 */
export class NatsSink implements Sink {
  readonly name: string
  readonly kind = 'nats'
  readonly local = false
  readonly filter: EventFilter
  readonly subject: string
  readonly stream: string
  readonly #o: NatsSinkOptions
  #nc: NatsConnection | undefined
  #js: JetStreamClient | undefined
  #streamReady = false
  #connecting: Promise<void> | undefined
  #closed = false
  #up = false

  constructor(options: NatsSinkOptions) {
    this.#o = options
    this.name = options.name ?? 'nats'
    this.subject = options.subject ?? 'oko.events'
    this.stream = options.stream ?? 'OKO_EVENTS'
    this.filter = options.filter ?? {}
  }

  get up(): boolean {
    return this.#up
  }

  /** Starts connecting (retried until it succeeds or the sink closes); resolves at once. */
  async open(): Promise<void> {
    if (this.#connecting || this.#closed) return
    const options: ConnectionOptions = {
      servers: typeof this.#o.servers === 'string' ? this.#o.servers : [...this.#o.servers],
      name: `oko-${this.name}`,
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      ...(this.#o.user !== undefined ? { user: this.#o.user } : {}),
      ...(this.#o.pass !== undefined ? { pass: this.#o.pass } : {}),
      ...(this.#o.token !== undefined ? { token: this.#o.token } : {}),
      ...(this.#o.ca || this.#o.cert ? { tls: { ...(this.#o.ca ? { caFile: this.#o.ca } : {}), ...(this.#o.cert ? { certFile: this.#o.cert } : {}), ...(this.#o.key ? { keyFile: this.#o.key } : {}) } } : {}),
    }
    this.#connecting = connect(options).then(async (nc) => {
      if (this.#closed) { await nc.close(); return }
      this.#nc = nc
      this.#js = nc.jetstream()
      this.#up = true
      void (async () => {
        for await (const s of nc.status()) {
          if (s.type === 'disconnect' || s.type === 'reconnecting') this.#up = false
          else if (s.type === 'reconnect') this.#up = true
        }
      })().catch(() => undefined)
    }, () => undefined)
  }

  async #ensureStream(): Promise<void> {
    if (this.#streamReady) return
    const jsm = await this.#nc!.jetstreamManager()
    try {
      await jsm.streams.info(this.stream)
    } catch {
      await jsm.streams.add({ name: this.stream, subjects: [`${this.subject}.>`], duplicate_window: nanos(120_000) })
    }
    this.#streamReady = true
  }

  async send(batch: readonly OkoEvent[]): Promise<void> {
    if (!this.#connecting) await this.open()
    const js = this.#js
    if (!js || !this.#up) throw new DeliveryError(`nats ${String(this.#o.servers)}: not connected`, { retryable: true })
    const timeout = this.#o.timeoutMs ?? 10_000
    try {
      await this.#ensureStream()
      // publishes leave in order on one connection; the stream stores them in arrival order
      await Promise.all(batch.map((event) => {
        const h = headers()
        h.set('Nats-Msg-Id', event.id)
        h.set('Content-Type', 'application/cloudevents+json')
        const subject = `${this.subject}.${token(cameraOf(event) ?? '_')}.${token(event.type)}`
        return js.publish(subject, toJson(toCloudEvent(event, this.#o.deployment ?? 'oko')), { msgID: event.id, headers: h, timeout })
      }))
    } catch (cause) {
      throw new DeliveryError(`nats ${String(this.#o.servers)}: ${(cause as Error).message}`, { retryable: true, cause })
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const nc = this.#nc
    if (nc) await nc.drain().catch(() => nc.close())
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** One subject token: NATS' separators and wildcards replaced. */
function token(value: string): string {
  return value.replace(/[.*>\s]/g, '_') || '_'
}
