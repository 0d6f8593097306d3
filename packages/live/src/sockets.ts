import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { LiveAuth } from './auth.js'
import type { LiveFrames, LivePicture } from './frames.js'

/** The path of the live views' WebSocket. */
export const LIVE_SOCKET_PATH = '/api/live'

export interface LiveSocketsOptions {
  readonly auth: LiveAuth
  readonly frames: LiveFrames
  /** Ids of the cameras running now. */
  readonly cameras: () => readonly string[]
  /** A viewer with more than this unsent is slow: the pictures it would get now are dropped and counted. */
  readonly bufferBytes: number
  /** Cameras one connection may watch at once. Default 64. */
  readonly maxWatched?: number
}

/** Counters of the live views' WebSockets. */
export interface LiveSocketStats {
  readonly sockets: number
  /** Pictures sent over them, and those dropped for slow viewers. */
  readonly sent: number
  readonly dropped: number
  /** Upgrades refused (no credentials, another origin, bad request). */
  readonly refused: number
  /** Client messages that were not a valid `watch`. */
  readonly badMessages: number
}

interface Viewer {
  readonly ws: WebSocket
  readonly watching: Map<string, () => void>
  dropped: number
  alive: boolean
}

const MAX_MESSAGE_BYTES = 16 * 1024

/**
 * Every live view of a page over one WebSocket (`GET /api/live`, the same credentials as the API:
 * the session cookie, a bearer token or Basic): a browser allows 6 connections per host, so one
 * MJPEG response per tile caps a page at 5 live tiles. The client says which cameras it shows,
 * `{"watch": ["cam-a", "cam-b"]}` (text; each message replaces the set), and gets binary messages,
 * one per picture: 2 bytes big-endian header length, a UTF-8 JSON header
 * `{ camera, seq, wallMs, width, height }`, then the JPEG. A viewer with more than `bufferBytes`
 * unsent gets no picture now (dropped, counted per camera and per connection).
 */
export class LiveSockets {
  readonly #o: LiveSocketsOptions
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false })
  readonly #viewers = new Set<Viewer>()
  #sent = 0
  #dropped = 0
  #refused = 0
  #badMessages = 0

  constructor(options: LiveSocketsOptions) {
    this.#o = options
  }

  /** Handles an HTTP upgrade of the live server (already known to be for {@link LIVE_SOCKET_PATH}). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy())
    const refuse = (status: number, text: string) => {
      this.#refused++
      socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify({ error: text.toLowerCase() })}`)
    }
    // a page of another site cannot open it with the operator's cookie
    const origin = req.headers.origin
    if (origin !== undefined && !sameOrigin(origin, req.headers.host)) return refuse(403, 'Forbidden')
    if (!this.#o.auth.check(req)) return refuse(401, 'Unauthorized')
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') return refuse(400, 'Bad Request')
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#open(ws))
  }

  /** Pings every viewer; one that did not answer the last ping is closed. */
  ping(): void {
    for (const v of this.#viewers) {
      if (!v.alive) {
        v.ws.terminate()
        continue
      }
      v.alive = false
      v.ws.ping()
    }
  }

  stats(): LiveSocketStats {
    return { sockets: this.#viewers.size, sent: this.#sent, dropped: this.#dropped, refused: this.#refused, badMessages: this.#badMessages }
  }

  /** Closes every connection (going away). */
  close(): void {
    for (const v of this.#viewers) v.ws.close(1001, 'server closing')
    for (const v of this.#viewers) v.ws.terminate()
    this.#wss.close()
  }

  #open(ws: WebSocket): void {
    const viewer: Viewer = { ws, watching: new Map(), dropped: 0, alive: true }
    this.#viewers.add(viewer)
    ws.on('pong', () => void (viewer.alive = true))
    ws.on('error', () => ws.terminate())
    ws.on('close', () => {
      for (const unwatch of viewer.watching.values()) unwatch()
      viewer.watching.clear()
      this.#viewers.delete(viewer)
    })
    ws.on('message', (data, isBinary) => {
      const cameras = isBinary ? undefined : watchOf(data.toString())
      if (!cameras) {
        this.#badMessages++
        return void ws.send(JSON.stringify({ type: 'error', error: 'expected {"watch": ["camera id", …]}' }))
      }
      this.#watch(viewer, cameras)
    })
  }

  #watch(viewer: Viewer, asked: readonly string[]): void {
    const known = new Set(this.#o.cameras())
    const wanted = new Set(asked.filter((c) => known.has(c)).slice(0, this.#o.maxWatched ?? 64))
    for (const [camera, unwatch] of viewer.watching) {
      if (wanted.has(camera)) continue
      unwatch()
      viewer.watching.delete(camera)
    }
    for (const camera of wanted) {
      if (viewer.watching.has(camera)) continue
      const send = (p: LivePicture) => this.#send(viewer, camera, p)
      viewer.watching.set(camera, this.#o.frames.watch(camera, { send }))
      const last = this.#o.frames.lastPicture(camera)
      if (last) send(last)
    }
    viewer.ws.send(JSON.stringify({ type: 'watching', cameras: [...wanted], unknown: asked.filter((c) => !known.has(c)).slice(0, 16) }))
  }

  #send(viewer: Viewer, camera: string, p: LivePicture): boolean {
    if (viewer.ws.readyState !== viewer.ws.OPEN || viewer.ws.bufferedAmount > this.#o.bufferBytes) {
      viewer.dropped++
      this.#dropped++
      return false
    }
    const header = Buffer.from(JSON.stringify({ camera, seq: p.seq, wallMs: p.wallMs, width: p.width, height: p.height }))
    const prefix = Buffer.alloc(2)
    prefix.writeUInt16BE(header.length)
    viewer.ws.send(Buffer.concat([prefix, header, p.jpeg]), { binary: true })
    this.#sent++
    return true
  }
}

/** `{"watch": [ids]}` of at most 256 strings, else undefined. */
function watchOf(text: string): string[] | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  const watch = (value as { watch?: unknown } | null)?.watch
  if (!Array.isArray(watch) || watch.length > 256 || !watch.every((c) => typeof c === 'string' && c.length <= 400)) return undefined
  return watch as string[]
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host
  } catch {
    return false
  }
}
