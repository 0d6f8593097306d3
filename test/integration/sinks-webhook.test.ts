import { createServer, type IncomingMessage, type Server } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { OkoEvent } from '@oko/core'
import { DeliveryLoop, Outbox, WebhookSink, verifySignature, type CloudEvent } from '@oko/sinks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventMaker, until } from '../helpers/events.js'

// A webhook receiver written here: real HTTP on 127.0.0.1, answers scripted per request.
interface Received { status: number; events: CloudEvent[]; signed: boolean; atMs: number }

let dir: string
let server: Server
let url: string
let script: ((n: number) => { status: number; headers?: Record<string, string> }) = () => ({ status: 200 })
const received: Received[] = []
const SECRET = 'shared-secret'

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = ''
    req.on('data', (c) => (s += c))
    req.on('end', () => resolve(s))
  })
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oko-webhook-'))
  server = createServer(async (req, res) => {
    const text = await body(req)
    const answer = script(received.length)
    received.push({ status: answer.status, events: JSON.parse(text) as CloudEvent[], signed: verifySignature(SECRET, req.headers['x-oko-signature'] as string, text), atMs: Date.now() })
    res.writeHead(answer.status, answer.headers ?? {}).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/events`
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

describe('webhook sink through the outbox', () => {
  it('500, then 429 with Retry-After, then 200: the same batch is retried after the asked delay, every event arrives once acknowledged, signed', async () => {
    received.length = 0
    script = (n) => (n === 0 ? { status: 500 } : n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 })
    const make = eventMaker()
    const events = Array.from({ length: 30 }, (_, i) => make(i % 2 ? 'gate-1' : 'gate-2', i))
    using outbox = new Outbox({ path: join(dir, 'a.sqlite'), sinks: ['hook'] })
    const loop = new DeliveryLoop(new WebhookSink({ name: 'hook', url, secret: SECRET, deployment: 'test' }), outbox, { batchSize: 50, retry: { initialDelayMs: 50, maxDelayMs: 5000, jitter: 0 } })
    outbox.append(events)
    loop.start()
    await until(() => outbox.stats().sinks.hook!.pending === 0, 20_000, 'the webhook to take every event')
    await loop.stop()
    expect(received.map((r) => r.status)).toEqual([500, 429, 200])
    // the same 30 events three times, in order, each a CloudEvent with the event's id
    for (const r of received) expect(r.events.map((e) => e.id)).toEqual(events.map((e) => e.id))
    expect(received.every((r) => r.signed)).toBe(true)
    expect(received[2]!.atMs - received[1]!.atMs).toBeGreaterThanOrEqual(990)
    expect(received[2]!.events[0]).toMatchObject({ specversion: '1.0', type: 'oko.motion', source: '/oko/test/gate-2', subject: 'gate-2' })
    expect(loop.stats()).toMatchObject({ delivered: 30, failed: 0, retries: 2 })
  })

  it('a 400 is not retried: the batch is given up, counted and reported; later events go on', async () => {
    received.length = 0
    script = (n) => ({ status: n === 0 ? 400 : 200 })
    const make = eventMaker()
    const gaveUp: number[] = []
    using outbox = new Outbox({ path: join(dir, 'b.sqlite'), sinks: ['hook'] })
    const loop = new DeliveryLoop(new WebhookSink({ name: 'hook', url, secret: SECRET }), outbox, { batchSize: 10, onGiveUp: (_s, n) => gaveUp.push(n) })
    const events: OkoEvent[] = Array.from({ length: 15 }, (_, i) => make('gate-1', i))
    outbox.append(events)
    loop.start()
    await until(() => outbox.stats().sinks.hook!.pending === 0, 10_000, 'the webhook to take every event')
    await loop.stop()
    expect(received.map((r) => [r.status, r.events.length])).toEqual([[400, 10], [200, 5]])
    expect(gaveUp).toEqual([10])
    expect(loop.stats()).toMatchObject({ delivered: 5, failed: 10, retries: 0 })
  })

  it('a receiver that is down (connection refused) or too slow (timeout) is retried until it answers', async () => {
    received.length = 0
    const slow = createServer((_req, _res) => undefined) // never answers
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve))
    const slowUrl = `http://127.0.0.1:${(slow.address() as { port: number }).port}/`
    const sink = new WebhookSink({ url: slowUrl, timeoutMs: 200 })
    await expect(sink.send([eventMaker()('a', 1)])).rejects.toMatchObject({ retryable: true, message: `webhook ${slowUrl}: no answer within 200 ms` })
    slow.closeAllConnections()
    await new Promise((resolve) => slow.close(resolve))
    await expect(sink.send([eventMaker()('a', 1)])).rejects.toMatchObject({ retryable: true })
    expect(sink.up).toBe(false)
  })
})
