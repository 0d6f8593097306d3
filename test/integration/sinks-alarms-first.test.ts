import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EVENT_VERSION, IdFactory, type OkoEvent } from '@oko/core'
import { DeliveryLoop, Outbox, WebhookSink, type CloudEvent } from '@oko/sinks'
import { until } from '../helpers/events.js'

// Alarm events have priority above every other event type (issue #13): behind a backlog, the
// delivery loop sends them at the head of its next batch, each still exactly once.
const dir = mkdtempSync(join(tmpdir(), 'oko-alarms-first-'))
const received: CloudEvent[][] = []
let server: Server
let url: string
const body = (req: IncomingMessage) => new Promise<string>((resolve) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
})

beforeAll(async () => {
  server = createServer(async (req, res) => {
    received.push(JSON.parse(await body(req)) as CloudEvent[])
    res.writeHead(200).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/events`
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

const ids = new IdFactory()
const motion = (seq: number): OkoEvent => ({ id: ids.next(1_700_000_000_000 + seq), v: EVENT_VERSION, type: 'motion', timeMs: 1_700_000_000_000 + seq, cameraId: 'gate', seq, ptsUs: seq * 40_000, score: 0.1, regions: [], zones: [] } as OkoEvent)
const alarm = (timeMs: number): OkoEvent => ({ id: ids.next(timeMs), v: EVENT_VERSION, type: 'alarm', timeMs, priority: 0, alarmId: ids.next(timeMs), phase: 'raised', pointId: 'sos-17', place: 'Square', cameras: ['gate'] } as unknown as OkoEvent)

describe('alarms first in the outbox delivery', () => {
  it('an alarm behind a backlog of 250 events goes out in the first batch, first; every event arrives once', async () => {
    const backlog = Array.from({ length: 250 }, (_, i) => motion(i))
    const raised = alarm(1_700_000_000_300)
    const after = Array.from({ length: 10 }, (_, i) => motion(300 + i))
    using outbox = new Outbox({ path: join(dir, 'a.sqlite'), sinks: ['hook'] })
    outbox.append([...backlog, raised, ...after])
    const loop = new DeliveryLoop(new WebhookSink({ name: 'hook', url, deployment: 'test' }), outbox, { batchSize: 100 })
    loop.start()
    await until(() => outbox.stats().sinks.hook!.pending === 0, 20_000, 'the webhook to take every event')
    await loop.stop()
    expect(received.map((b) => b.length)).toEqual([101, 100, 60])
    expect(received[0]![0]).toMatchObject({ id: raised.id, type: 'oko.alarm' })
    expect(received[0]!.slice(1).map((e) => e.id)).toEqual(backlog.slice(0, 100).map((e) => e.id))
    // the rest in order, the alarm not again
    expect(received.slice(1).flat().map((e) => e.id)).toEqual([...backlog.slice(100), ...after].map((e) => e.id))
    expect(loop.stats()).toMatchObject({ delivered: 261, failed: 0, skipped: 0 })
  })
})
