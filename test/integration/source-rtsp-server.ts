import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { createServer, type Server, type Socket } from 'node:net'
import { FormatContext, Packet } from 'node-av/lib'
import { AVMEDIA_TYPE_VIDEO } from 'node-av/constants'

/** One H.264 access unit: its NAL units (no start codes) and whether it is a keyframe. */
interface AccessUnit { nals: Buffer[]; key: boolean }

interface Session {
  id: string
  tcp?: { channel: number }
  udp?: { rtp: UdpSocket; rtcp: UdpSocket; clientPort: number }
  playing: boolean
  silent: boolean
  index: number
  seq: number
}

const MTU = 1400

/**
 * A small RTSP server for tests (RFC 2326 + RFC 6184): serves one H.264 clip, looped in real
 * time, over RTP/AVP/TCP (interleaved) or RTP/AVP (UDP) to any path. `stop()` drops every
 * connection and the listener; `start()` listens again on the same port; `silence()` keeps the
 * sessions connected but stops their packets (a stalled camera).
 */
export class RtspTestServer {
  readonly port: number
  readonly #units: AccessUnit[]
  readonly #sps: Buffer
  readonly #pps: Buffer
  readonly #fps: number
  #server: Server | undefined
  readonly #sockets = new Set<Socket>()
  readonly #sessions = new Map<Socket, Session>()
  #timer: NodeJS.Timeout | undefined
  #sessionCount = 0

  private constructor(port: number, units: AccessUnit[], sps: Buffer, pps: Buffer, fps: number) {
    this.port = port
    this.#units = units
    this.#sps = sps
    this.#pps = pps
    this.#fps = fps
  }

  /** Loads `clip` (an H.264 mp4) and picks a free port on 127.0.0.1. */
  static async create(clip: string, fps: number): Promise<RtspTestServer> {
    const { units, sps, pps } = await loadClip(clip)
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as { port: number }).port
    await new Promise((resolve) => probe.close(resolve))
    return new RtspTestServer(port, units, sps, pps, fps)
  }

  url(path = 'cam', credentials = ''): string {
    return `rtsp://${credentials}127.0.0.1:${this.port}/${path}`
  }

  /** Sessions opened since the server was created. */
  get sessionsOpened(): number {
    return this.#sessionCount
  }

  async start(): Promise<void> {
    const server = createServer((socket) => this.#accept(socket))
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve))
    this.#server = server
    this.#timer = setInterval(() => this.#send(), 1000 / this.#fps)
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    for (const socket of this.#sockets) this.#end(socket)
    const server = this.#server
    this.#server = undefined
    if (server) await new Promise((resolve) => server.close(resolve))
  }

  /** Current sessions stay connected but get no more packets. */
  silence(): void {
    for (const session of this.#sessions.values()) session.silent = true
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket)
    let buffer = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk])
      for (;;) {
        if (buffer[0] === 0x24) { // '$': interleaved RTCP from the client
          if (buffer.length < 4) return
          const size = 4 + buffer.readUInt16BE(2)
          if (buffer.length < size) return
          buffer = buffer.subarray(size)
          continue
        }
        const end = buffer.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = buffer.subarray(0, end).toString('latin1')
        const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
        if (buffer.length < end + 4 + length) return
        buffer = buffer.subarray(end + 4 + length)
        this.#request(socket, head)
      }
    })
    socket.on('error', () => undefined)
    socket.on('close', () => this.#end(socket))
  }

  #end(socket: Socket): void {
    const session = this.#sessions.get(socket)
    session?.udp?.rtp.close()
    session?.udp?.rtcp.close()
    this.#sessions.delete(socket)
    this.#sockets.delete(socket)
    socket.destroy()
  }

  #request(socket: Socket, head: string): void {
    const [line = '', ...rest] = head.split('\r\n')
    const [method = '', url = ''] = line.split(' ')
    const headers = new Map(rest.map((h) => [h.slice(0, h.indexOf(':')).trim().toLowerCase(), h.slice(h.indexOf(':') + 1).trim()]))
    const cseq = headers.get('cseq') ?? '0'
    const reply = (extra: string[] = [], body = ''): void => {
      const lines = ['RTSP/1.0 200 OK', `CSeq: ${cseq}`, ...extra]
      if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
      socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`)
    }
    let session = this.#sessions.get(socket)
    switch (method) {
      case 'OPTIONS':
        return reply(['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER'])
      case 'DESCRIBE':
        return reply(['Content-Type: application/sdp', `Content-Base: ${url.replace(/\/?$/, '/')}`], this.#sdp())
      case 'SETUP': {
        const transport = headers.get('transport') ?? ''
        session ??= { id: String(10_000_000 + ++this.#sessionCount), playing: false, silent: false, index: 0, seq: 1 }
        this.#sessions.set(socket, session)
        if (/RTP\/AVP\/TCP/i.test(transport)) {
          const channel = Number(/interleaved=(\d+)/.exec(transport)?.[1] ?? 0)
          session.tcp = { channel }
          return reply([`Transport: RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1}`, `Session: ${session.id};timeout=60`])
        }
        const clientPort = Number(/client_port=(\d+)/.exec(transport)?.[1] ?? 0)
        const rtp = createSocket('udp4')
        const rtcp = createSocket('udp4')
        session.udp = { rtp, rtcp, clientPort }
        let bound = 0
        const done = (): void => {
          if (++bound < 2) return
          const a = rtp.address().port
          const b = rtcp.address().port
          reply([`Transport: RTP/AVP;unicast;client_port=${clientPort}-${clientPort + 1};server_port=${a}-${b}`, `Session: ${session!.id};timeout=60`])
        }
        rtp.on('error', () => undefined)
        rtcp.on('error', () => undefined)
        rtp.bind(0, '127.0.0.1', done)
        rtcp.bind(0, '127.0.0.1', done)
        return
      }
      case 'PLAY':
        if (session) session.playing = true
        return reply([`Session: ${session?.id ?? 0}`, 'Range: npt=0.000-'])
      case 'TEARDOWN':
        reply([`Session: ${session?.id ?? 0}`])
        return this.#end(socket)
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        return reply([`Session: ${session?.id ?? 0}`])
      default:
        socket.write(`RTSP/1.0 501 Not Implemented\r\nCSeq: ${cseq}\r\n\r\n`)
    }
  }

  #sdp(): string {
    const profile = this.#sps.subarray(1, 4).toString('hex')
    return [
      'v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=oko test camera', 'c=IN IP4 0.0.0.0', 't=0 0', 'a=control:*',
      'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000',
      `a=fmtp:96 packetization-mode=1;profile-level-id=${profile};sprop-parameter-sets=${this.#sps.toString('base64')},${this.#pps.toString('base64')}`,
      'a=control:track1', '',
    ].join('\r\n')
  }

  /** Sends the next access unit to every playing session (each from its own place in the loop). */
  #send(): void {
    for (const [socket, session] of this.#sessions) {
      if (!session.playing || session.silent) continue
      const unit = this.#units[session.index % this.#units.length]!
      const timestamp = (session.index * Math.round(90_000 / this.#fps)) >>> 0
      session.index++
      const nals = unit.key ? [this.#sps, this.#pps, ...unit.nals] : unit.nals
      nals.forEach((nal, i) => {
        const payloads = packetize(nal)
        payloads.forEach((payload, j) => {
          const last = i === nals.length - 1 && j === payloads.length - 1
          const rtp = Buffer.alloc(12 + payload.length)
          rtp[0] = 0x80
          rtp[1] = (last ? 0x80 : 0) | 96
          rtp.writeUInt16BE(session.seq++ & 0xffff, 2)
          rtp.writeUInt32BE(timestamp, 4)
          rtp.writeUInt32BE(0x0c0ffee0, 8)
          payload.copy(rtp, 12)
          if (session.tcp) {
            const head = Buffer.from([0x24, session.tcp.channel, 0, 0])
            head.writeUInt16BE(rtp.length, 2)
            if (!socket.destroyed) socket.write(Buffer.concat([head, rtp]))
          } else if (session.udp) {
            session.udp.rtp.send(rtp, session.udp.clientPort, '127.0.0.1')
          }
        })
      })
    }
  }
}

/** RFC 6184: a single NAL unit packet, or FU-A fragments for NALs over the MTU. */
function packetize(nal: Buffer): Buffer[] {
  if (nal.length <= MTU) return [nal]
  const out: Buffer[] = []
  const header = nal[0]!
  for (let at = 1; at < nal.length; at += MTU) {
    const chunk = nal.subarray(at, Math.min(nal.length, at + MTU))
    const start = at === 1 ? 0x80 : 0
    const end = at + MTU >= nal.length ? 0x40 : 0
    out.push(Buffer.concat([Buffer.from([(header & 0xe0) | 28, start | end | (header & 0x1f)]), chunk]))
  }
  return out
}

/** Reads an mp4's H.264 packets (length-prefixed NALs) and its SPS/PPS from the avcC record. */
async function loadClip(path: string): Promise<{ units: AccessUnit[]; sps: Buffer; pps: Buffer }> {
  const fc = new FormatContext()
  fc.allocContext()
  if ((await fc.openInput(path, null, null)) < 0) throw new Error(`cannot open ${path}`)
  await fc.findStreamInfo(null)
  const index = fc.findBestStream(AVMEDIA_TYPE_VIDEO)
  const avcc = fc.streams[index]!.codecpar.extradata!
  const lengthSize = (avcc[4]! & 3) + 1
  let at = 6
  const spsLength = avcc.readUInt16BE(at)
  const sps = Buffer.from(avcc.subarray(at + 2, at + 2 + spsLength))
  at += 2 + spsLength + 1
  const pps = Buffer.from(avcc.subarray(at + 2, at + 2 + avcc.readUInt16BE(at)))
  const units: AccessUnit[] = []
  const pkt = new Packet()
  pkt.alloc()
  while ((await fc.readFrame(pkt)) >= 0) {
    if (pkt.streamIndex === index && pkt.data) {
      const data = Buffer.from(pkt.data)
      const nals: Buffer[] = []
      for (let p = 0; p + lengthSize <= data.length;) {
        const size = data.readUIntBE(p, lengthSize)
        nals.push(data.subarray(p + lengthSize, p + lengthSize + size))
        p += lengthSize + size
      }
      units.push({ nals, key: pkt.isKeyframe })
    }
    pkt.unref()
  }
  pkt.free()
  await fc.closeInput()
  fc.freeContext()
  return { units, sps, pps }
}
