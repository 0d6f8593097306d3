import { createServer, type Server, type Socket } from 'node:net'
import { OkoError } from '@oko/core'
import { Dc09Error, dc09Reply, parseContactId, parseDc09, type Dc09Frame } from './dc09.js'
import type { AlarmInput } from './http-input.js'
import type { AlarmSignal } from './signal.js'

/** One call point on an alarm panel: the panel's account and the zone (or user) number its button reports. */
export interface ContactIdPoint {
  readonly account: string
  readonly zone: number
  readonly point: string
}

export interface ContactIdInputOptions {
  readonly name: string
  readonly listen: { readonly host: string; readonly port: number }
  readonly points: readonly ContactIdPoint[]
  /** A panel's timestamp outside now −40 s … +20 s is answered NAK (the DC-09 window). Default true. */
  readonly checkTime?: boolean
  /** Clock (tests). */
  readonly now?: () => number
}

/** What the input received, by what it answered and did. */
export interface ContactIdStats {
  readonly connections: number
  readonly acked: number
  readonly naked: number
  readonly duhed: number
  /** Contact ID events acknowledged but not a signal: codes that are not alarms, zones with no point. */
  readonly ignored: number
}

const MAX_FRAME_BYTES = 1024
const WINDOW_PAST_MS = 40_000
const WINDOW_AHEAD_MS = 20_000

/**
 * An alarm panel's input: SIA DC-09 over TCP carrying Contact ID (`ADM-CID`), unencrypted. Each
 * frame is checked (length, CRC) and answered as DC-09 asks: ACK (taken; a damaged frame gets NAK
 * and is sent again by the panel; an unknown account or unsupported message DUH). Contact ID alarm
 * codes (1xx) of a mapped zone are signals: qualifier 1 (new event) and 6 (still present)
 * `active`, 3 (restore) `inactive`; 602 and 603 (periodic test) and `NULL` link tests are
 * `heartbeat`s of every point of the account. Anything else is acknowledged and counted as ignored.
 */
export class ContactIdAlarmInput implements AlarmInput {
  readonly name: string
  readonly #o: ContactIdInputOptions
  readonly #points = new Map<string, string>()
  readonly #accounts = new Map<string, string[]>()
  readonly #sockets = new Set<Socket>()
  readonly #now: () => number
  #server: Server | undefined
  #connections = 0
  #acked = 0
  #naked = 0
  #duhed = 0
  #ignored = 0

  constructor(options: ContactIdInputOptions) {
    this.name = `contact-id:${options.name}`
    this.#o = options
    this.#now = options.now ?? Date.now
    for (const p of options.points) {
      const account = p.account.toUpperCase()
      this.#points.set(`${account}/${p.zone}`, p.point)
      this.#accounts.set(account, [...(this.#accounts.get(account) ?? []), p.point])
    }
  }

  /** Where it listens (the port it got, when asked for 0); after `start`. */
  get port(): number {
    return (this.#server?.address() as { port: number } | null)?.port ?? 0
  }

  stats(): ContactIdStats {
    return { connections: this.#connections, acked: this.#acked, naked: this.#naked, duhed: this.#duhed, ignored: this.#ignored }
  }

  start(onSignal: (signal: AlarmSignal, input: string) => unknown): Promise<void> {
    const server = createServer((socket) => this.#serve(socket, onSignal))
    this.#server = server
    const at = this.#o.listen
    return new Promise((resolve, reject) => {
      server.once('error', (cause: NodeJS.ErrnoException) => reject(new OkoError('ERR_INVALID_OPTION', `alarms.inputs ${this.name}: cannot listen on ${at.host}:${at.port} (${cause.code ?? cause.message}); give a free port`, { cause })))
      server.listen(at.port, at.host, () => resolve())
    })
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()))
    this.#server = undefined
  }

  #serve(socket: Socket, onSignal: (signal: AlarmSignal, input: string) => unknown): void {
    this.#connections++
    this.#sockets.add(socket)
    socket.setTimeout(120_000, () => socket.destroy())
    socket.on('error', () => socket.destroy())
    socket.on('close', () => this.#sockets.delete(socket))
    let pending = ''
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1')
      for (;;) {
        const start = pending.indexOf('\n')
        if (start < 0) {
          pending = ''
          break
        }
        const end = pending.indexOf('\r', start)
        if (end < 0) {
          pending = pending.slice(start)
          // a frame that never ends: answered NAK, dropped
          if (pending.length > MAX_FRAME_BYTES) {
            this.#naked++
            socket.write(dc09Reply('nak', undefined, this.#now()))
            pending = ''
          }
          break
        }
        socket.write(this.#answer(pending.slice(start + 1, end), onSignal))
        pending = pending.slice(end + 1)
      }
    })
  }

  /** The reply to one frame (without LF and CR); its signals go to `onSignal`. */
  #answer(text: string, onSignal: (signal: AlarmSignal, input: string) => unknown): Buffer {
    const now = this.#now()
    let frame: Dc09Frame | undefined
    try {
      frame = parseDc09(text)
      const points = this.#accounts.get(frame.account)
      if (!points) throw new Dc09Error('duh', 'unknown account')
      if (this.#o.checkTime !== false && frame.timeMs !== undefined && (frame.timeMs < now - WINDOW_PAST_MS || frame.timeMs > now + WINDOW_AHEAD_MS)) throw new Dc09Error('nak', 'timestamp outside the window')
      for (const signal of this.#signals(frame, points)) onSignal(signal, this.name)
      this.#acked++
      return dc09Reply('ack', frame, now)
    } catch (error) {
      const kind = error instanceof Dc09Error ? error.reply : 'nak'
      if (kind === 'nak') this.#naked++
      else this.#duhed++
      return dc09Reply(kind, frame, now)
    }
  }

  #signals(frame: Dc09Frame, points: readonly string[]): AlarmSignal[] {
    const timeMs = frame.timeMs ?? this.#now()
    if (frame.id === 'NULL') return points.map((point) => ({ point, state: 'heartbeat', timeMs }))
    if (frame.id !== 'ADM-CID') throw new Dc09Error('duh', `unsupported message "${frame.id.slice(0, 16)}"`)
    const e = parseContactId(frame)
    if (e.code === 602 || e.code === 603) return points.map((point) => ({ point, state: 'heartbeat', timeMs }))
    const point = this.#points.get(`${frame.account}/${e.zone}`)
    if (e.code < 100 || e.code > 199 || !point) {
      this.#ignored++
      return []
    }
    return [{ point, state: e.qualifier === 3 ? 'inactive' : 'active', timeMs }]
  }
}
