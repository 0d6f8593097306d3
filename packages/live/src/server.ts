import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { OkoError, type OkoEvent } from '@oko/core'
import { AlarmNotFoundError, type AlarmDesk } from '@oko/alarms'
import type { RunStats, SubscribeOptions, Subscription } from '@oko/pipeline'
import { LiveAuth, SESSION_COOKIE, type LiveAuthOptions, type Operator } from './auth.js'
import type { LiveFrames, LivePicture } from './frames.js'
import { HttpError, SECURITY_HEADERS, readJson, sendJson } from './http.js'
import { queryFromBody, queryFromUrl } from './query.js'
import { LIVE_SOCKET_PATH, LiveSockets, type LiveSocketStats } from './sockets.js'
import { RecentEvents, type EventPage, type EventQuery, type ShownEvent } from './recent.js'

/** What the live server shows: the run, its cameras, their pictures, the alarm desk. */
export interface LiveSources {
  readonly run: { stats(): RunStats; subscribe(options?: SubscribeOptions): Subscription }
  /** Ids of the cameras running now. */
  readonly cameras: () => readonly string[]
  readonly frames: LiveFrames
  readonly desk?: AlarmDesk
  /** Where search looks: the deployment's retained event index (`http.search`); absent: the recent events in memory. */
  readonly search?: EventSearch
}

/** A store of the deployment's recent events that answers searches (e.g. `EventIndex` of @oko/sinks). */
export interface EventSearch {
  search(query: EventQuery): { readonly events: readonly OkoEvent[]; readonly next?: string }
  stats?(): object
}

export interface LiveServerOptions {
  /** Where to listen. Bind to 127.0.0.1 unless operators reach it from elsewhere. */
  readonly listen: { readonly host: string; readonly port: number }
  readonly auth: LiveAuthOptions
  /** Shown as the page's title (the deployment's name). */
  readonly title?: string
  /** Recent events kept for the feed and search. Default 5000. */
  readonly keepEvents?: number
  /** A client (event stream, live view) with more than this unsent is slow: what it would get now is dropped and counted. Default 1 MiB. */
  readonly clientBufferBytes?: number
  /** Largest request body. Default 16 KiB. */
  readonly maxBodyBytes?: number
}

/** Counters of the live server (`GET /api/stats`). */
export interface LiveServerStats {
  readonly streams: number
  /** Events written to event streams, and those dropped for slow streams. */
  readonly streamed: number
  readonly streamDropped: number
  /** MJPEG live views open (the fallback), and the live views' WebSockets. */
  readonly viewers: number
  readonly liveSockets: LiveSocketStats
  readonly recentEvents: number
  /** Events the live subscriber lost to its queue's overflow (the outputs still have them). */
  readonly subscriberDropped: number
  readonly authFailures: number
  /** The event index's counters, when search uses one. */
  readonly search?: object
}

const STATIC: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
}
const BOUNDARY = 'oko-frame'
const ALARM_SNAPSHOTS_KEPT = 64

interface Stream {
  readonly res: ServerResponse
  dropped: number
}

/**
 * The duty officer's live page and its HTTP/JSON API, on node's own http server: the page
 * (static HTML, JS and CSS of this package, no external resources, a strict CSP), cameras with
 * health, recent events (paged, searched), a server-sent event stream, MJPEG live views, alarms
 * with acknowledge and resolve. Every `/api` route needs credentials (bearer token, Basic, or the
 * login form's session cookie); none is ever logged or put in a URL. Live views go over one
 * WebSocket per page (`/api/live`, {@link LiveSockets}); MJPEG URLs per camera are the fallback.
 */
export class LiveServer implements AsyncDisposable {
  /** http://host:port (the port it got, when asked for 0). */
  readonly url: string
  readonly #server: Server
  readonly #o: LiveServerOptions
  readonly #sources: LiveSources
  readonly #auth: LiveAuth
  readonly #recent: RecentEvents
  readonly #subscription: Subscription
  readonly #streams = new Set<Stream>()
  readonly #viewers = new Set<ServerResponse>()
  readonly #sockets: LiveSockets
  readonly #tamper = new Map<string, Set<string>>()
  readonly #alarmSnapshots = new Map<string, Map<string, Promise<Uint8Array | undefined>>>()
  readonly #static: Map<string, { body: Buffer; type: string }>
  readonly #pump: Promise<void>
  readonly #ping: NodeJS.Timeout
  #streamed = 0
  #streamDropped = 0
  #closing: Promise<void> | undefined

  private constructor(server: Server, url: string, options: LiveServerOptions, sources: LiveSources, auth: LiveAuth, staticFiles: Map<string, { body: Buffer; type: string }>) {
    this.#server = server
    this.url = url
    this.#o = options
    this.#sources = sources
    this.#auth = auth
    this.#static = staticFiles
    this.#sockets = new LiveSockets({ auth, frames: sources.frames, cameras: sources.cameras, bufferBytes: options.clientBufferBytes ?? 1024 * 1024 })
    this.#recent = new RecentEvents({ ...(options.keepEvents !== undefined ? { keep: options.keepEvents } : {}) })
    this.#subscription = sources.run.subscribe({ name: 'live', capacity: 4096, overflow: 'drop-oldest' })
    this.#pump = this.#read()
    this.#ping = setInterval(() => {
      for (const s of this.#streams) s.res.write(': ping\n\n')
      this.#sockets.ping()
    }, 15_000)
    this.#ping.unref()
  }

  /** Starts the server; rejects with ERR_INVALID_OPTION naming `http.listen` when the address is taken. */
  static async listen(options: LiveServerOptions, sources: LiveSources): Promise<LiveServer> {
    const auth = new LiveAuth(options.auth)
    const dir = new URL('../static/', import.meta.url)
    const files = new Map(Object.entries(STATIC).map(([path, f]) => {
      let body = readFileSync(new URL(f.file, dir))
      if (f.file === 'index.html' && options.title) body = Buffer.from(body.toString('utf8').replace('<title>oko live</title>', `<title>${escapeHtml(options.title)} · oko live</title>`))
      return [path, { body, type: f.type }] as const
    }))
    let live: LiveServer | undefined
    const server = createServer((req, res) => {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v)
      if (!live) return void sendJson(res, 503, { error: 'starting' })
      live.#handle(req, res).catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500
        sendJson(res, status, { error: error instanceof HttpError ? error.message : 'internal error' })
      })
    })
    server.on('upgrade', (req, socket, head) => {
      if (!live || (req.url ?? '').split('?')[0] !== LIVE_SOCKET_PATH) return void socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n')
      live.#sockets.upgrade(req, socket, head)
    })
    server.headersTimeout = 5000
    server.requestTimeout = 10_000
    const at = options.listen
    const url = await new Promise<string>((resolve, reject) => {
      server.once('error', (cause: NodeJS.ErrnoException) => reject(new OkoError('ERR_INVALID_OPTION', `http.listen: cannot listen on ${at.host}:${at.port} (${cause.code ?? cause.message}); give a free port`, { cause })))
      server.listen(at.port, at.host, () => resolve(`http://${at.host.includes(':') ? `[${at.host}]` : at.host}:${(server.address() as { port: number }).port}`))
    })
    live = new LiveServer(server, url, options, sources, auth, files)
    return live
  }

  stats(): LiveServerStats {
    return {
      streams: this.#streams.size, streamed: this.#streamed, streamDropped: this.#streamDropped, viewers: this.#viewers.size, liveSockets: this.#sockets.stats(),
      recentEvents: this.#recent.size, subscriberDropped: this.#subscription.dropped, authFailures: this.#auth.failures,
      ...(this.#sources.search?.stats ? { search: this.#sources.search.stats() } : {}),
    }
  }

  /** Stops serving: event streams and live views end, the subscriber is closed. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#ping)
      await this.#subscription.close()
      for (const s of this.#streams) s.res.end()
      for (const v of this.#viewers) v.end()
      this.#sockets.close()
      await new Promise<void>((resolve) => {
        this.#server.closeAllConnections()
        this.#server.close(() => resolve())
      })
      await this.#pump.catch(() => undefined)
    })()
    return this.#closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  async #read(): Promise<void> {
    for await (const event of this.#subscription) {
      this.#note(event)
      const shown = this.#recent.add(event)
      this.#broadcast(shown)
    }
  }

  /** Camera tamper state, and the linked cameras' pictures at a press. */
  #note(event: OkoEvent): void {
    if (event.type === 'tamper') {
      let active = this.#tamper.get(event.cameraId)
      if (!active) this.#tamper.set(event.cameraId, (active = new Set()))
      if (event.active) active.add(event.reason)
      else active.delete(event.reason)
    } else if (event.type === 'alarm' && event.phase === 'raised') {
      // the linked cameras' next pictures (within a picture interval of the press)
      const shots = new Map(event.cameras.map((camera) => [camera, this.#sources.frames.picture(camera).then((p) => p?.jpeg)] as const))
      this.#alarmSnapshots.set(event.alarmId, shots)
      if (this.#alarmSnapshots.size > ALARM_SNAPSHOTS_KEPT) this.#alarmSnapshots.delete(this.#alarmSnapshots.keys().next().value!)
    }
  }

  #broadcast(event: ShownEvent): void {
    const data = `id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`
    const limit = this.#o.clientBufferBytes ?? 1024 * 1024
    for (const s of this.#streams) {
      if (s.res.writableLength > limit) {
        s.dropped++
        this.#streamDropped++
        continue
      }
      if (s.dropped > 0) {
        s.res.write(`event: dropped\ndata: ${JSON.stringify({ count: s.dropped })}\n\n`)
        s.dropped = 0
      }
      s.res.write(data)
      this.#streamed++
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!
    const method = req.method ?? 'GET'
    const file = this.#static.get(path)
    if (file) {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(res, 'GET')
      res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-cache' })
      return void res.end(method === 'HEAD' ? undefined : file.body)
    }
    if (!path.startsWith('/api/')) throw new HttpError(404, 'not found')
    if (path === '/api/login') {
      if (method !== 'POST') throw methodNotAllowed(res, 'POST')
      const session = this.#auth.login(await readJson(req, this.#maxBody()))
      if (!session) throw new HttpError(401, 'wrong token, user or password')
      return sendJson(res, 200, { operator: session.operator.name }, { 'set-cookie': `${SESSION_COOKIE}=${session.sessionId}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${session.maxAgeS}` })
    }
    const operator = this.#auth.check(req)
    // the page asks who is logged in without an error for nobody (a 401 would be a console error)
    if (path === '/api/session') {
      req.resume()
      return sendJson(res, 200, { operator: operator?.name ?? null, ...(operator ? { title: this.#o.title ?? null } : {}) })
    }
    if (!operator) {
      req.resume()
      throw new HttpError(401, 'unauthorized')
    }
    if (method === 'POST') return this.#post(path, req, res, operator)
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(res, 'GET, POST')
    req.resume()
    const url = new URL(req.url ?? '/', 'http://oko.invalid')
    if (path === '/api/me') return sendJson(res, 200, { operator: operator.name, via: operator.via, title: this.#o.title ?? null })
    if (path === '/api/cameras') return sendJson(res, 200, { cameras: this.#cameras() })
    if (path === '/api/health') return sendJson(res, 200, { cameras: this.#cameras(), points: this.#sources.desk?.pointStates() ?? [], live: this.stats() })
    if (path === '/api/stats') return sendJson(res, 200, this.stats())
    if (path === '/api/alarms') return sendJson(res, 200, { alarms: this.#sources.desk?.alarms() ?? [], points: this.#sources.desk?.pointStates() ?? [] })
    if (path === '/api/events') return sendJson(res, 200, this.#search(queryFromUrl(url.searchParams)))
    if (path === '/api/events/stream') return this.#stream(req, res)
    let m = /^\/api\/events\/([0-9A-Z]{26})\/snapshot\.jpg$/.exec(path)
    if (m) return sendJpeg(res, this.#recent.snapshot(m[1]!))
    m = /^\/api\/alarms\/([0-9A-Z]{26})\/snapshots\/([^/]{1,400})\.jpg$/.exec(path)
    if (m) return sendJpeg(res, await this.#alarmSnapshots.get(m[1]!)?.get(this.#cameraId(m[2]!)))
    m = /^\/api\/cameras\/([^/]{1,400})\/(live\.mjpeg|frame\.jpg)$/.exec(path)
    if (m) {
      const camera = this.#cameraId(m[1]!)
      if (m[2] === 'frame.jpg') return sendJpeg(res, (await this.#sources.frames.picture(camera))?.jpeg)
      return this.#mjpeg(camera, res)
    }
    throw new HttpError(404, 'not found')
  }

  async #post(path: string, req: IncomingMessage, res: ServerResponse, operator: Operator): Promise<void> {
    const body = await readJson(req, this.#maxBody())
    if (path === '/api/logout') {
      this.#auth.logout(req)
      return sendJson(res, 200, { ok: true }, { 'set-cookie': `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` })
    }
    if (path === '/api/events/search') return sendJson(res, 200, this.#search(queryFromBody(body)))
    const m = /^\/api\/alarms\/([0-9A-Z]{26})\/(acknowledge|resolve)$/.exec(path)
    if (m) {
      const desk = this.#sources.desk
      if (!desk) throw new HttpError(404, 'this deployment has no alarms')
      const note = body.note
      if (note !== undefined && (typeof note !== 'string' || note.length > 2000)) throw new HttpError(400, 'note: expected a string of at most 2000 characters')
      try {
        const alarm = m[2] === 'acknowledge' ? desk.acknowledge(m[1]!, operator.name, note) : desk.resolve(m[1]!, operator.name, note)
        return sendJson(res, 200, { alarm })
      } catch (error) {
        if (error instanceof AlarmNotFoundError) throw new HttpError(404, error.message)
        if (error instanceof OkoError && error.code === 'ERR_INVALID_INPUT') throw new HttpError(409, error.message)
        throw error
      }
    }
    throw new HttpError(404, 'not found')
  }

  /** A page of events: from the event index when there is one (snapshots linked while this server keeps them), else from memory. */
  #search(query: EventQuery): EventPage {
    const store = this.#sources.search
    if (!store) return this.#recent.search(query)
    const page = store.search(query)
    return { events: page.events.map((e) => this.#recent.show(e)), ...(page.next !== undefined ? { next: page.next } : {}) }
  }

  #stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' })
    res.write('retry: 2000\n\n')
    const last = req.headers['last-event-id']
    if (typeof last === 'string' && /^[0-9A-Z]{26}$/.test(last)) {
      for (const e of this.#recent.since(last)) res.write(`id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`)
    }
    const stream: Stream = { res, dropped: 0 }
    this.#streams.add(stream)
    res.on('close', () => this.#streams.delete(stream))
  }

  #mjpeg(camera: string, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': `multipart/x-mixed-replace; boundary=${BOUNDARY}`, 'cache-control': 'no-store', connection: 'keep-alive' })
    const limit = this.#o.clientBufferBytes ?? 1024 * 1024
    const send = (p: LivePicture): boolean => {
      // a viewer that has not taken the last picture yet gets none now (the hub counts the drop)
      if (res.writableLength > limit) return false
      res.write(`--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${p.jpeg.length}\r\nX-Oko-Seq: ${p.seq}\r\n\r\n`)
      res.write(p.jpeg)
      res.write('\r\n')
      return true
    }
    const first = this.#sources.frames.lastPicture(camera)
    if (first) send(first)
    const unwatch = this.#sources.frames.watch(camera, { send })
    this.#viewers.add(res)
    res.on('close', () => {
      unwatch()
      this.#viewers.delete(res)
    })
  }

  #cameras() {
    const stats = this.#sources.run.stats()
    const now = Date.now()
    const pinned = new Set((this.#sources.desk?.alarms() ?? []).filter((a) => a.phase !== 'resolved').flatMap((a) => a.cameras))
    return this.#sources.cameras().map((id) => {
      const c = stats.cameras[id]
      const f = this.#sources.frames.stats(id)
      const dropped = Object.values(c?.dropped ?? {}).reduce((n, d) => n + Object.values(d).reduce((a: number, b) => a + (b ?? 0), 0), 0)
      return {
        id, state: c?.source?.state ?? (c ? 'running' : 'unknown'), fps: f.fps, frames: f.frames,
        ...(f.lastFrameMs !== undefined ? { lastFrameMs: f.lastFrameMs, lastFrameAgeMs: Math.max(0, now - f.lastFrameMs) } : {}),
        ...(f.width !== undefined ? { width: f.width, height: f.height } : {}),
        tamper: [...(this.#tamper.get(id) ?? [])], errors: c?.errors ?? 0, dropped, pinned: pinned.has(id),
        live: { encoded: f.encoded, sent: f.sent, dropped: f.dropped, viewers: f.viewers, redacted: f.redacted },
      }
    })
  }

  /** A camera id from a URL segment: one of the deployment's, or 404. */
  #cameraId(segment: string): string {
    let id: string
    try {
      id = decodeURIComponent(segment)
    } catch {
      throw new HttpError(400, 'bad camera id in the URL')
    }
    if (!this.#sources.cameras().includes(id)) throw new HttpError(404, 'no such camera')
    return id
  }

  #maxBody(): number {
    return this.#o.maxBodyBytes ?? 16 * 1024
  }
}

function sendJpeg(res: ServerResponse, jpeg: Uint8Array | undefined): void {
  if (!jpeg) throw new HttpError(404, 'no picture')
  res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length, 'cache-control': 'no-store' })
  res.end(jpeg)
}

function methodNotAllowed(res: ServerResponse, allow: string): HttpError {
  res.setHeader('allow', allow)
  return new HttpError(405, `use ${allow}`)
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
