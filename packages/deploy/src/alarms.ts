import { createServer, type Server } from 'node:http'
import { OkoError, type EventInit } from '@oko/core'
import { AlarmDesk, ContactIdAlarmInput, HttpAlarmInput, MqttAlarmInput, type AlarmDeskOptions, type AlarmInput, type AlarmSignal } from '@oko/alarms'
import type { AlarmsConfig } from './alarms-schema.js'
import type { LightInputs } from './lights.js'

/** A deployment's alarm desk and the HTTP server of its inputs (`POST /alarms/<name>`); signals naming a stop line's light input set that light. */
export class DeploymentAlarms implements AsyncDisposable {
  readonly desk: AlarmDesk
  /** MQTT messages that were not a signal or named an unknown point, per input. */
  rejected(): Record<string, number> {
    return Object.fromEntries(this.#mqtt.map((i) => [i.name, i.rejected]))
  }

  /** http://host:port of the inputs (absent without HTTP inputs). */
  readonly url: string | undefined
  readonly #server: Server | undefined
  readonly #inputs: HttpAlarmInput[]
  readonly #mqtt: MqttAlarmInput[]
  readonly #tcp: AlarmInput[]

  private constructor(desk: AlarmDesk, inputs: HttpAlarmInput[], mqttInputs: MqttAlarmInput[], tcp: AlarmInput[], server: Server | undefined, url: string | undefined) {
    this.desk = desk
    this.#inputs = inputs
    this.#mqtt = mqttInputs
    this.#tcp = tcp
    this.#server = server
    this.url = url
  }

  /**
   * `evidence`: the linked cameras' snapshots and pre-roll clips for a new alarm (the deployment's
   * evidence store); `lights`: the stop lines' light inputs (`config.lights`), which take the signals of their points.
   */
  static async open(config: AlarmsConfig, publish: (event: EventInit) => { id: string }, evidence?: AlarmDeskOptions['evidence'], lights?: LightInputs): Promise<DeploymentAlarms> {
    const desk = new AlarmDesk(config.points, { publish: publish as never, ...(evidence ? { evidence } : {}) })
    const route = (signal: AlarmSignal, name: string): object => (lights?.has(signal.point) ? lights.signal(signal) : desk.signal(signal, name))
    const inputs = config.inputs.flatMap((i) => (i.kind === 'http' ? [new HttpAlarmInput({ name: i.name, ...(i.secret ? { secret: i.secret } : {}), ...(i.token ? { token: i.token } : {}), ...(i.toleranceS ? { toleranceS: i.toleranceS } : {}) })] : []))
    for (const input of inputs) input.start(route)
    // MQTT inputs connect (and reconnect) on their own: a broker that is down does not hold the deployment back
    const mqttInputs = config.inputs.flatMap((i) => (i.kind === 'mqtt' ? [new MqttAlarmInput({ name: i.name, url: i.url, topic: i.topic, ...(i.username ? { username: i.username } : {}), ...(i.password ? { password: i.password } : {}) })] : []))
    for (const input of mqttInputs) void input.start(route)
    // alarm panels (SIA DC-09 / Contact ID) connect to their own TCP port: a port taken fails the start
    const tcp: AlarmInput[] = []
    try {
      for (const i of config.inputs) {
        if (i.kind !== 'contactId') continue
        const input = new ContactIdAlarmInput({ name: i.name, listen: i.listen, points: i.points })
        await input.start(route)
        tcp.push(input)
      }
    } catch (error) {
      await Promise.all([...mqttInputs, ...tcp].map((x) => x.close()))
      desk.close()
      throw error
    }
    if (!config.listen || inputs.length === 0) return new DeploymentAlarms(desk, inputs, mqttInputs, tcp, undefined, undefined)
    const byPath = new Map(inputs.map((i) => [`/alarms/${i.name.slice('http:'.length)}`, i]))
    const server = createServer((req, res) => {
      res.setHeader('x-content-type-options', 'nosniff')
      res.setHeader('cache-control', 'no-store')
      const input = byPath.get((req.url ?? '').split('?')[0]!)
      if (input) return input.handle(req, res)
      req.resume()
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'POST /alarms/<input name>' }))
    })
    server.requestTimeout = 10_000
    server.headersTimeout = 5_000
    const at = config.listen
    const url = await new Promise<string>((resolve, reject) => {
      server.once('error', (cause: NodeJS.ErrnoException) => reject(new OkoError('ERR_INVALID_OPTION', `alarms.listen: cannot listen on ${at.host}:${at.port} (${cause.code ?? cause.message}); give a free port`, { cause })))
      server.listen(at.port, at.host, () => resolve(`http://${at.host.includes(':') ? `[${at.host}]` : at.host}:${(server.address() as { port: number }).port}`))
    })
    return new DeploymentAlarms(desk, inputs, mqttInputs, tcp, server, url)
  }

  async close(): Promise<void> {
    this.desk.close()
    await Promise.all([...this.#inputs, ...this.#mqtt, ...this.#tcp].map((i) => i.close()))
    const server = this.#server
    if (server) await new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())))
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
