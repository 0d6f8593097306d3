import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AckPolicy, connect, DeliverPolicy, type NatsConnection } from 'nats'
import type { OkoEvent } from '@oko/core'
import { DeliveryLoop, NatsSink, Outbox, type CloudEvent } from '@oko/sinks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestBroker, brokerBinary } from '../helpers/brokers.js'
import { eventMaker, firstSeenByCamera, until } from '../helpers/events.js'

// Real nats-server -js (Debian 2.9) on 127.0.0.1, a port and store of its own, stopped at the end.
const OUTAGE_MS = Number(process.env.OKO_OUTAGE_MS ?? 30_000)
let dir: string
let broker: TestBroker | undefined

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oko-nats-'))
  broker = await TestBroker.nats(join(dir, 'store'))
})
afterAll(async () => {
  await broker?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Every message of the stream, in stream order, with its Nats-Msg-Id. */
async function readStream(stream: string): Promise<{ subject: string; msgId: string; event: CloudEvent }[]> {
  const nc: NatsConnection = await connect({ servers: broker!.url })
  try {
    const jsm = await nc.jetstreamManager()
    const info = await jsm.streams.info(stream)
    const name = `check-${Date.now()}`
    await jsm.consumers.add(stream, { durable_name: name, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All })
    const consumer = await nc.jetstream().consumers.get(stream, name)
    const out: { subject: string; msgId: string; event: CloudEvent }[] = []
    if (info.state.messages === 0) return out
    for await (const m of await consumer.fetch({ max_messages: info.state.messages, expires: 5000 })) {
      out.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') ?? '', event: m.json<CloudEvent>() })
      if (out.length === info.state.messages) break
    }
    return out
  } finally {
    await nc.close()
  }
}

describe.skipIf(brokerBinary('nats-server') === undefined)('NATS JetStream sink against nats-server -js', () => {
  it('publishes with Nats-Msg-Id = event id and waits for the acks; the stream holds each event once; a batch sent again is dropped as a duplicate', async () => {
    const make = eventMaker()
    const list: OkoEvent[] = Array.from({ length: 60 }, (_, i) => make(i % 2 ? 'gate.1' : 'yard', i))
    using outbox = new Outbox({ path: join(dir, 'a.sqlite'), sinks: ['nats'] })
    const sink = new NatsSink({ name: 'nats', servers: broker!.url, stream: 'ONE', subject: 'oko.one' })
    const loop = new DeliveryLoop(sink, outbox, { batchSize: 25 })
    loop.start()
    outbox.append(list)
    await until(() => outbox.stats().sinks.nats!.pending === 0, 20_000, 'every event acknowledged')
    // the same events again, as after a lost ack: the server drops them
    const again = new NatsSink({ servers: broker!.url, stream: 'ONE', subject: 'oko.one' })
    await again.open()
    await until(() => again.up, 5000, 'the second connection')
    await again.send(list.slice(0, 10))
    await again.close()
    await loop.stop()
    const stored = await readStream('ONE')
    expect(stored.map((m) => m.event.id)).toEqual(list.map((e) => e.id))
    expect(stored.every((m) => m.msgId === m.event.id)).toBe(true)
    expect(stored[1]!.subject).toBe('oko.one.gate_1.motion')
    expect(stored[0]!.event).toMatchObject({ specversion: '1.0', type: 'oko.motion', subject: 'yard' })
  })

  it(`the server stopped for ${OUTAGE_MS / 1000} s in the middle of a run and started again: 0 events lost, in order per camera, no duplicate stored`, async () => {
    const make = eventMaker()
    const sent: OkoEvent[] = []
    using outbox = new Outbox({ path: join(dir, 'b.sqlite'), sinks: ['nats'] })
    const loop = new DeliveryLoop(new NatsSink({ name: 'nats', servers: broker!.url, stream: 'TWO', subject: 'oko.two', timeoutMs: 2000 }), outbox, { batchSize: 20, retry: { initialDelayMs: 200, maxDelayMs: 2000, jitter: 0.5 } })
    loop.start()
    let seq = 0
    const emit = (n: number) => {
      const batch = Array.from({ length: n }, () => make(seq % 2 ? 'a' : 'b', seq++))
      sent.push(...batch)
      outbox.append(batch)
    }
    emit(50)
    await until(() => outbox.stats().sinks.nats!.pending === 0, 10_000, 'the first 50 acknowledged')
    await broker!.stop()
    const ticker = setInterval(() => emit(1), 100)
    await new Promise((r) => setTimeout(r, OUTAGE_MS))
    clearInterval(ticker)
    await broker!.start()
    emit(50)
    await until(() => outbox.stats().sinks.nats!.pending === 0, 30_000, 'every event acknowledged after the restart')
    await loop.stop()
    const stored = await readStream('TWO')
    expect(stored.length).toBe(sent.length)
    expect(new Set(stored.map((m) => m.event.id)).size).toBe(sent.length)
    const order = firstSeenByCamera(stored.map((m) => m.event) as never)
    expect(order.a).toEqual(sent.filter((e) => (e as { cameraId: string }).cameraId === 'a').map((e) => e.id))
    expect(order.b).toEqual(sent.filter((e) => (e as { cameraId: string }).cameraId === 'b').map((e) => e.id))
    expect(loop.stats().retries).toBeGreaterThan(0)
  }, OUTAGE_MS + 90_000)
})
