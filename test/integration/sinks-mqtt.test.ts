import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import type { OkoEvent } from '@oko/core'
import { DeliveryLoop, MqttSink, Outbox, type CloudEvent } from '@oko/sinks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestBroker, brokerBinary } from '../helpers/brokers.js'
import { eventMaker, firstSeenByCamera, until } from '../helpers/events.js'

// Real mosquitto (Debian) on 127.0.0.1, a port and data folder of its own, stopped at the end.
const OUTAGE_MS = Number(process.env.OKO_OUTAGE_MS ?? 30_000)
let dir: string
let broker: TestBroker | undefined
let sub: MqttClient
const messages: { topic: string; payload: Buffer; retain: boolean }[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oko-mqtt-'))
  broker = await TestBroker.mosquitto(join(dir, 'broker'))
  if (!broker) return
  // a persistent session (clean: false, QoS 1): the broker keeps what it gets for us across its own restart
  sub = await mqtt.connectAsync(broker.url, { clientId: 'oko-test-subscriber', clean: false, reconnectPeriod: 200 })
  sub.on('message', (topic, payload, packet) => messages.push({ topic, payload, retain: packet.retain }))
  await sub.subscribeAsync('oko/#', { qos: 1 })
})
afterAll(async () => {
  await sub?.endAsync(true)
  await broker?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const events = (topic: string) => messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.payload.toString()) as CloudEvent)

describe.skipIf(brokerBinary('mosquitto') === undefined)('MQTT sink against mosquitto', () => {
  it('publishes every event on <prefix>/events and <prefix>/<camera>/<type> (QoS 1), snapshots as JPEG bytes, availability retained', async () => {
    messages.length = 0
    const make = eventMaker()
    const jpeg = new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9])
    const list: OkoEvent[] = Array.from({ length: 40 }, (_, i) => make(i % 3 === 0 ? 'gate/1' : 'yard', i))
    list.push({ ...make('yard', 99), type: 'plate', text: 'AA1234BB', snapshot: { jpeg, width: 2, height: 2, region: { x: 0, y: 0, width: 2, height: 2 }, seq: 99, ptsUs: 0 } } as unknown as OkoEvent)
    using outbox = new Outbox({ path: join(dir, 'a.sqlite'), sinks: ['mqtt'] })
    const loop = new DeliveryLoop(new MqttSink({ name: 'mqtt', url: broker!.url, prefix: 'oko' }), outbox, { batchSize: 16 })
    loop.start()
    outbox.append(list)
    await until(() => events('oko/events').length >= list.length, 20_000, 'every event on oko/events')
    await loop.stop()
    const all = events('oko/events')
    expect(all.map((e) => e.id)).toEqual(list.map((e) => e.id))
    expect(new Set(all.map((e) => e.id)).size).toBe(list.length)
    expect(events('oko/gate_1/motion').map((e) => e.id)).toEqual(list.filter((e) => (e as { cameraId: string }).cameraId === 'gate/1').map((e) => e.id))
    expect(events('oko/yard/plate')).toHaveLength(1)
    const snap = messages.find((m) => m.topic === 'oko/yard/plate/snapshot')!
    expect([...snap.payload]).toEqual([...jpeg])
    expect(snap.retain).toBe(false)
    await until(() => messages.filter((m) => m.topic === 'oko/available').length >= 2, 5000, 'online then offline')
    // a dropped socket would make the broker publish the last will, a second `offline`, soon after
    await new Promise((r) => setTimeout(r, 500))
    expect(messages.filter((m) => m.topic === 'oko/available').map((m) => m.payload.toString())).toEqual(['online', 'offline'])
  })

  it(`the broker stopped for ${OUTAGE_MS / 1000} s in the middle of a run and started again: 0 events lost, in order per camera, duplicates carry the same id`, async () => {
    messages.length = 0
    const make = eventMaker()
    const sent: OkoEvent[] = []
    using outbox = new Outbox({ path: join(dir, 'b.sqlite'), sinks: ['mqtt'] })
    const loop = new DeliveryLoop(new MqttSink({ name: 'mqtt', url: broker!.url, prefix: 'oko', timeoutMs: 2000 }), outbox, { batchSize: 20, retry: { initialDelayMs: 200, maxDelayMs: 2000, jitter: 0.5 } })
    loop.start()
    let seq = 0
    const emit = (n: number) => {
      const batch = Array.from({ length: n }, () => make(seq % 2 ? 'a' : 'b', seq++))
      sent.push(...batch)
      outbox.append(batch)
    }
    emit(50)
    await until(() => outbox.stats().sinks.mqtt!.pending === 0, 10_000, 'the first 50 delivered')
    await broker!.stop()
    // 10 events/s while the broker is down
    const ticker = setInterval(() => emit(1), 100)
    await new Promise((r) => setTimeout(r, OUTAGE_MS))
    clearInterval(ticker)
    const pendingDuringOutage = outbox.stats().sinks.mqtt!.pending
    await broker!.start()
    emit(50)
    await until(() => new Set(events('oko/events').map((e) => e.id)).size >= sent.length, 30_000, 'every event after the restart')
    await loop.stop()
    const got = events('oko/events')
    const ids = new Set(got.map((e) => e.id))
    expect(ids.size).toBe(sent.length)
    expect([...ids].every((id) => sent.some((e) => e.id === id))).toBe(true)
    expect(pendingDuringOutage).toBeGreaterThan(OUTAGE_MS / 100 - 20)
    const order = firstSeenByCamera(got as never)
    expect(order.a).toEqual(sent.filter((e) => (e as { cameraId: string }).cameraId === 'a').map((e) => e.id))
    expect(order.b).toEqual(sent.filter((e) => (e as { cameraId: string }).cameraId === 'b').map((e) => e.id))
    expect(loop.stats().retries).toBeGreaterThan(0)
    expect(outbox.stats().sinks.mqtt!.dropped).toBe(0)
  }, OUTAGE_MS + 90_000)

  it('mqtts with a CA file and username/password: delivered; a wrong password never connects and every send fails to be retried', async () => {
    const secure = await TestBroker.mosquitto(join(dir, 'secure'), { secure: true })
    try {
      const ca = join(dir, 'secure', 'ca.pem')
      const got: string[] = []
      const reader = await mqtt.connectAsync(secure!.url, { ca: readFileSync(ca), username: 'oko', password: 's3cret', clientId: 'tls-reader' })
      reader.on('message', (_t, payload) => got.push((JSON.parse(payload.toString()) as CloudEvent).id))
      await reader.subscribeAsync('tls/events', { qos: 1 })
      const make = eventMaker()
      const list = Array.from({ length: 5 }, (_, i) => make('gate', i))
      const sink = new MqttSink({ url: secure!.url, prefix: 'tls', ca, username: 'oko', password: 's3cret' })
      await sink.open()
      await until(() => sink.up, 10_000, 'the TLS connection')
      await sink.send(list)
      await until(() => got.length >= 5, 10_000, 'the events over TLS')
      expect(got).toEqual(list.map((e) => e.id))
      await sink.close()
      await reader.endAsync()
      const wrong = new MqttSink({ url: secure!.url, prefix: 'tls', ca, username: 'oko', password: 'nope' })
      await wrong.open()
      await new Promise((r) => setTimeout(r, 1000))
      expect(wrong.up).toBe(false)
      await expect(wrong.send(list)).rejects.toMatchObject({ retryable: true })
      await wrong.close()
      await expect(new MqttSink({ url: secure!.url, ca: join(dir, 'missing.pem') }).open()).rejects.toThrow(`mqtt.ca: cannot read ${join(dir, 'missing.pem')} (ENOENT)`)
    } finally {
      await secure?.stop()
    }
  })
})
