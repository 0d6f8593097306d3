import type { IncomingMessage, ServerResponse } from 'node:http'
import { timingSafeEqual } from 'node:crypto'
import { HttpError, OkoError, readJsonBodyText } from '@oko/core'
import { AlarmNotFoundError } from './desk.js'
import { SignatureGuard } from './signature.js'
import { parseSignal, type AlarmSignal } from './signal.js'

/** An alarm input: signals from somewhere (an HTTP endpoint, an MQTT topic) into `onSignal`. */
export interface AlarmInput {
  /** `http:<name>`, `mqtt:<name>`: what alarm events name as their `input`. */
  readonly name: string
  start(onSignal: (signal: AlarmSignal, input: string) => unknown): void | Promise<void>
  close(): Promise<void>
}

export interface HttpAlarmInputOptions {
  readonly name: string
  /** HMAC-SHA256 secret: requests carry `X-Oko-Signature: t=<unix s>,v1=<hex>` over `<t>.<body>`. */
  readonly secret?: string
  /** Or a token: `Authorization: Bearer <token>`. */
  readonly token?: string
  /** Signed requests older or newer than this are refused. Default 300 s. */
  readonly toleranceS?: number
  /** Largest body. Default 16 KiB. */
  readonly maxBodyBytes?: number
  readonly now?: () => number
}

/**
 * An HTTP alarm input: `POST` a signal (`{ "point", "state", "timeMs"? }`) signed with the shared
 * secret (a signature is accepted once: replays are refused) or with the bearer token. Mount
 * `handle` on a server (the live page's, under `/api/alarm-inputs/<name>`). Answers 202 with what
 * became of the signal; 400 bad JSON or shape, 401 no or wrong credentials, 404 unknown point,
 * 405 not POST, 409 replayed, 413 too large, 415 not JSON.
 */
export class HttpAlarmInput implements AlarmInput {
  readonly name: string
  readonly #o: HttpAlarmInputOptions
  readonly #guard: SignatureGuard | undefined
  #onSignal: ((signal: AlarmSignal, input: string) => unknown) | undefined

  constructor(options: HttpAlarmInputOptions) {
    if (!options.secret && !options.token) throw new OkoError('ERR_INVALID_OPTION', `alarm input ${options.name}: give a secret (HMAC-signed requests) or a token (Bearer)`)
    this.name = `http:${options.name}`
    this.#o = options
    this.#guard = options.secret ? new SignatureGuard(options.secret, { ...(options.toleranceS !== undefined ? { toleranceS: options.toleranceS } : {}), ...(options.now ? { now: options.now } : {}) }) : undefined
  }

  start(onSignal: (signal: AlarmSignal, input: string) => unknown): void {
    this.#onSignal = onSignal
  }

  async close(): Promise<void> {
    this.#onSignal = undefined
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const reply = (status: number, body: object) => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
      res.end(JSON.stringify(body))
    }
    if (req.method !== 'POST') return void (res.setHeader('allow', 'POST'), reply(405, { error: 'POST a signal' }))
    void readJsonBodyText(req, this.#o.maxBodyBytes ?? 16 * 1024).then((body) => {
      const auth = this.#authorize(req, body)
      if (auth !== 'ok') return void reply(auth === 'replayed' ? 409 : 401, { error: auth === 'replayed' ? 'this signature was used already (replay)' : `unauthorized (${auth})` })
      let signal: AlarmSignal
      try {
        signal = parseSignal(JSON.parse(body))
      } catch (error) {
        return void reply(400, { error: error instanceof SyntaxError ? 'body is not JSON' : (error as Error).message })
      }
      const deliver = this.#onSignal
      if (!deliver) return void reply(503, { error: 'alarm input not started' })
      try {
        reply(202, { ok: true, ...(deliver(signal, this.name) as object) })
      } catch (error) {
        reply(error instanceof AlarmNotFoundError ? 404 : 400, { error: (error as Error).message })
      }
    }, (error: unknown) => reply(error instanceof HttpError ? error.status : 400, { error: (error as Error).message }))
  }

  #authorize(req: IncomingMessage, body: string): string {
    if (this.#guard) {
      const header = req.headers['x-oko-signature']
      const verdict = this.#guard.verify(Array.isArray(header) ? header[0] : header, body)
      if (verdict === 'ok' || !this.#o.token) return verdict
    }
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')
    if (!m || !this.#o.token) return 'missing'
    const a = Buffer.from(m[1]!), b = Buffer.from(this.#o.token)
    return a.length === b.length && timingSafeEqual(a, b) ? 'ok' : 'bad'
  }
}
