import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { Frame, StageContext } from '@oko/core'
import { LiveAuth, LiveFrames, LiveSockets } from '@oko/live'
import { until } from '../helpers/events.js'

// The live views' one WebSocket on a real http server and a real ws client: credentials, the
// watch message, binary pictures tagged with their camera, and a slow viewer whose pictures are
// dropped and counted (the client stops reading; a 64 KiB send buffer bound).
const TOKEN = 'socket-token-0123456789'
let now = 0
const frames = new LiveFrames({ fps: 1, quality: 90, now: () => now })
const sockets = new LiveSockets({ auth: new LiveAuth({ token: TOKEN }), frames, cameras: () => ['cam-a', 'cam-b'], bufferBytes: 64 * 1024 })
let server: Server
let url: string
const stages = { 'cam-a': frames.stage('cam-a'), 'cam-b': frames.stage('cam-b') }

/** A 640×480 frame of noise (a JPEG of it is large: the send buffers fill quickly). */
function noise(cameraId: string, seq: number): Frame {
  const y = new Uint8Array(640 * 480)
  for (let i = 0; i < y.length; i++) y[i] = (Math.imul(i + seq * 7919, 2654435761) >>> 24) & 0xff
  const uv = new Uint8Array(320 * 240).fill(128)
  return { cameraId, seq, ptsUs: seq * 100_000, wallMs: now, width: 640, height: 480, format: 'yuv420p', planes: [y, uv, uv], strides: [640, 320, 320] }
}
async function feed(camera: 'cam-a' | 'cam-b', seq: number): Promise<void> {
  now += 1000 // one picture a second: every frame fed is encoded
  await stages[camera].process({ frame: noise(camera, seq), detections: [], tracks: [] }, {} as StageContext)
}

interface Client { ws: WebSocket; texts: unknown[]; pictures: { camera: string; seq: number; jpeg: Buffer }[] }
async function connect(headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<Client> {
  const ws = new WebSocket(url, { headers })
  const c: Client = { ws, texts: [], pictures: [] }
  ws.on('message', (data: Buffer, binary) => {
    if (!binary) return void c.texts.push(JSON.parse(data.toString()))
    const n = data.readUInt16BE(0)
    const header = JSON.parse(data.subarray(2, 2 + n).toString()) as { camera: string; seq: number }
    c.pictures.push({ ...header, jpeg: data.subarray(2 + n) })
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return c
}
function refused(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.once('open', () => reject(new Error('opened')))
    ws.once('error', () => undefined)
  })
}

beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(404).end())
  server.on('upgrade', (req, socket, head) => sockets.upgrade(req, socket, head))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/api/live`
})
afterAll(async () => {
  sockets.close()
  await new Promise((resolve) => server.close(resolve))
})

describe('LiveSockets: every live view over one WebSocket', () => {
  it('refuses no credentials, a wrong token and another site\'s origin', async () => {
    expect(await refused({})).toBe(401)
    expect(await refused({ authorization: 'Bearer wrong-token-0123456789' })).toBe(401)
    expect(await refused({ authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' })).toBe(403)
    expect(sockets.stats().refused).toBe(3)
  })

  it('sends the watched cameras\' pictures, tagged with their camera; a new watch replaces the set; bad messages are answered, not fatal', async () => {
    const c = await connect()
    c.ws.send(JSON.stringify({ watch: ['cam-a', 'cam-b', 'nope'] }))
    await until(() => c.texts.length === 1, 5000, 'the watching answer')
    expect(c.texts[0]).toEqual({ type: 'watching', cameras: ['cam-a', 'cam-b'], unknown: ['nope'] })
    await feed('cam-a', 1)
    await feed('cam-b', 2)
    await until(() => c.pictures.length === 2, 5000, 'two pictures')
    expect(c.pictures.map((p) => [p.camera, p.seq])).toEqual([['cam-a', 1], ['cam-b', 2]])
    for (const p of c.pictures) expect([...p.jpeg.subarray(0, 2)]).toEqual([0xff, 0xd8])
    c.ws.send(JSON.stringify({ watch: ['cam-b'] }))
    c.ws.send('not json')
    await until(() => c.texts.length === 3, 5000, 'the answers')
    expect(c.texts[2]).toMatchObject({ type: 'error' })
    await feed('cam-a', 3)
    await feed('cam-b', 4)
    await until(() => c.pictures.length === 3, 5000, 'the third picture')
    expect(c.pictures[2]).toMatchObject({ camera: 'cam-b', seq: 4 })
    expect(frames.stats('cam-a').viewers).toBe(0)
    expect(sockets.stats()).toMatchObject({ sockets: 1, badMessages: 1 })
    c.ws.close()
    await until(() => sockets.stats().sockets === 0 && frames.stats('cam-b').viewers === 0, 5000, 'the socket to close')
  })

  it('a viewer that stops reading gets no more pictures once 64 KiB wait unsent: each dropped and counted; a fast one on the same camera gets them all', async () => {
    const slow = await connect()
    const fast = await connect()
    for (const c of [slow, fast]) c.ws.send(JSON.stringify({ watch: ['cam-a'] }))
    // each gets the camera's last picture at once, then the new ones
    await until(() => slow.texts.length === 1 && fast.texts.length === 1 && slow.pictures.length === 1 && fast.pictures.length === 1, 5000, 'both watching')
    slow.pictures.length = 0
    fast.pictures.length = 0
    slow.ws.pause()
    const before = { sent: sockets.stats().sent, dropped: sockets.stats().dropped }
    const fed = 100
    for (let i = 0; i < fed; i++) {
      await feed('cam-a', 100 + i)
      await until(() => fast.pictures.length === i + 1, 5000, 'the fast viewer to take the picture')
    }
    const s = sockets.stats()
    const dropped = s.dropped - before.dropped
    expect(dropped).toBeGreaterThan(0)
    expect(s.sent - before.sent + dropped).toBe(2 * fed) // each picture, to each viewer: sent or dropped
    slow.ws.resume()
    await until(() => slow.pictures.length === fed - dropped, 20_000, 'what was sent to reach the slow viewer')
    // the slow viewer's pictures are whole and in order, the first ones first
    const seqs = slow.pictures.map((p) => p.seq)
    expect(seqs[0]).toBe(100)
    expect(seqs.every((q, i) => i === 0 || q > seqs[i - 1]!)).toBe(true)
    for (const p of slow.pictures) expect([...p.jpeg.subarray(-2)]).toEqual([0xff, 0xd9])
    for (const c of [slow, fast]) c.ws.close()
  })
})
