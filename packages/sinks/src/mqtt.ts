import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { OkoError, type OkoEvent } from '@oko/core'
import type { EventFilter } from './filter.js'
import { DeliveryError, type Sink } from './sink.js'
import { cameraOf, toCloudEvent, toJson } from './wire.js'

export interface MqttSinkOptions {
  readonly name?: string
  /** mqtt://host:1883 or mqtts://host:8883 (TLS). */
  readonly url: string
  /** Topic prefix. Default `oko`. */
  readonly prefix?: string
  readonly username?: string
  readonly password?: string
  /** TLS: PEM files of the CA, and of the client's certificate and key. */
  readonly ca?: string
  readonly cert?: string
  readonly key?: string
  /** Default `oko-<name>-<random>`. */
  readonly clientId?: string
  /** Retain the snapshot topics (Frigate does; a stale picture after a reconnect is what its users complain of). Default false. */
  readonly retainSnapshots?: boolean
  /** A batch not acknowledged (PUBACK) within this is sent again. Default 10 000 ms. */
  readonly timeoutMs?: number
  readonly deployment?: string
  readonly filter?: EventFilter
}

/**
 * MQTT with QoS 1 in Frigate's and Home Assistant's topic style:
 * - `<prefix>/events`: every event, as CloudEvents JSON;
 * - `<prefix>/<camera>/<type>`: the same, per camera and event type (`oko/gate-1/plate`);
 * - `<prefix>/<camera>/<type>/snapshot`: the event's JPEG snapshot, raw bytes;
 * - `<prefix>/available`: `online` (retained) while connected, `offline` as the last will.
 * A batch counts as delivered when the broker acknowledged every message (PUBACK). While the
 * broker is down sends fail fast (the outbox keeps the events); the client reconnects by itself.
 */
export class MqttSink implements Sink {
  readonly name: string
  readonly kind = 'mqtt'
  readonly local = false
  readonly filter: EventFilter
  readonly prefix: string
  readonly #o: MqttSinkOptions
  #client: MqttClient | undefined
  #closed = false

  constructor(options: MqttSinkOptions) {
    this.#o = options
    this.name = options.name ?? 'mqtt'
    this.prefix = (options.prefix ?? 'oko').replace(/\/+$/, '')
    this.filter = options.filter ?? {}
  }

  get up(): boolean {
    return this.#client?.connected ?? false
  }

  /** Starts connecting (the client keeps reconnecting); resolves at once. */
  async open(): Promise<void> {
    if (this.#client || this.#closed) return
    const available = `${this.prefix}/available`
    const file = (path: string | undefined, what: string) => {
      if (path === undefined) return undefined
      try {
        return readFileSync(path)
      } catch (cause) {
        throw new OkoError('ERR_INVALID_INPUT', `mqtt.${what}: cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, { cause })
      }
    }
    const options: IClientOptions = {
      clientId: this.#o.clientId ?? `oko-${this.name}-${randomBytes(4).toString('hex')}`,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      queueQoSZero: false,
      will: { topic: available, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...(this.#o.username !== undefined ? { username: this.#o.username } : {}),
      ...(this.#o.password !== undefined ? { password: this.#o.password } : {}),
      ...(this.#o.ca !== undefined ? { ca: file(this.#o.ca, 'ca') } : {}),
      ...(this.#o.cert !== undefined ? { cert: file(this.#o.cert, 'cert') } : {}),
      ...(this.#o.key !== undefined ? { key: file(this.#o.key, 'key') } : {}),
    }
    const client = mqtt.connect(this.#o.url, options)
    client.on('connect', () => { client.publish(available, 'online', { qos: 1, retain: true }) })
    // errors (refused, unreachable) surface as failed sends; the client retries the connection
    client.on('error', () => undefined)
    this.#client = client
  }

  async send(batch: readonly OkoEvent[]): Promise<void> {
    if (!this.#client) await this.open()
    const client = this.#client!
    if (!client.connected) throw new DeliveryError(`mqtt ${this.#o.url}: not connected`, { retryable: true })
    const acks: Promise<unknown>[] = []
    for (const event of batch) {
      const json = toJson(toCloudEvent(event, this.#o.deployment ?? 'oko'))
      acks.push(client.publishAsync(`${this.prefix}/events`, json, { qos: 1 }))
      const camera = cameraOf(event)
      if (camera === undefined) continue
      const topic = `${this.prefix}/${topicPart(camera)}/${topicPart(event.type)}`
      acks.push(client.publishAsync(topic, json, { qos: 1 }))
      const jpeg = (event as { snapshot?: { jpeg?: Uint8Array } }).snapshot?.jpeg
      if (jpeg instanceof Uint8Array) acks.push(client.publishAsync(`${topic}/snapshot`, Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength), { qos: 1, retain: this.#o.retainSnapshots ?? false }))
    }
    const timeoutMs = this.#o.timeoutMs ?? 10_000
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeliveryError(`mqtt ${this.#o.url}: no PUBACK within ${timeoutMs} ms`, { retryable: true })), timeoutMs)
    })
    try {
      await Promise.race([Promise.all(acks), timeout])
    } catch (error) {
      if (error instanceof DeliveryError) throw error
      throw new DeliveryError(`mqtt ${this.#o.url}: ${(error as Error).message}`, { retryable: true, cause: error })
    } finally {
      clearTimeout(timer)
    }
  }

  /** Says `offline` (retained) and disconnects. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const client = this.#client
    if (!client) return
    const within = <T>(ms: number, work: Promise<T>) => Promise.race([work, new Promise<undefined>((r) => { setTimeout(() => r(undefined), ms).unref() })]).catch(() => undefined)
    if (client.connected) {
      await within(1000, client.publishAsync(`${this.prefix}/available`, 'offline', { qos: 1, retain: true }))
      // A DISCONNECT (an end without force) makes the broker drop the last will, so `offline` is
      // said once; a broker that does not let go within a second has the socket closed.
      if (await within(1000, client.endAsync(false).then(() => true))) return
      client.stream?.destroy()
      return
    }
    await client.endAsync(true).catch(() => undefined)
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** A camera id or type as one topic level: MQTT's wildcards and separators replaced. */
function topicPart(value: string): string {
  return value.replace(/[/+#\s]/g, '_')
}
