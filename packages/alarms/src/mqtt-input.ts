import mqtt, { type MqttClient } from 'mqtt'
import type { AlarmInput } from './http-input.js'
import { parseSignal, type AlarmSignal } from './signal.js'

export interface MqttAlarmInputOptions {
  readonly name: string
  /** mqtt://host:1883 */
  readonly url: string
  /** The topic (MQTT wildcards allowed) whose messages are signals `{ "point", "state", "timeMs"? }`. */
  readonly topic: string
  readonly username?: string
  readonly password?: string
}

/**
 * An MQTT alarm input: each message on `topic` is a signal (JSON, the generic shape). A message
 * that is not one is counted in `rejected`, never fatal; the client reconnects on its own.
 */
export class MqttAlarmInput implements AlarmInput {
  readonly name: string
  readonly #o: MqttAlarmInputOptions
  #client: MqttClient | undefined
  #rejected = 0

  constructor(options: MqttAlarmInputOptions) {
    this.name = `mqtt:${options.name}`
    this.#o = options
  }

  /** Messages that were not a signal, or named a point the desk does not have. */
  get rejected(): number {
    return this.#rejected
  }

  start(onSignal: (signal: AlarmSignal, input: string) => unknown): Promise<void> {
    const client = mqtt.connect(this.#o.url, { ...(this.#o.username ? { username: this.#o.username } : {}), ...(this.#o.password ? { password: this.#o.password } : {}), reconnectPeriod: 1000 })
    this.#client = client
    client.on('error', () => undefined) // reconnects; a wrong URL or login shows as no signals
    client.on('message', (_topic, payload) => {
      try {
        if (payload.length > 16 * 1024) throw new Error('too large')
        onSignal(parseSignal(JSON.parse(payload.toString('utf8'))), this.name)
      } catch {
        this.#rejected++
      }
    })
    return new Promise((resolve) => {
      client.once('connect', () => client.subscribe(this.#o.topic, { qos: 1 }, () => resolve()))
    })
  }

  async close(): Promise<void> {
    await this.#client?.endAsync(true).catch(() => undefined)
    this.#client = undefined
  }
}
