// Delivery benchmarks, on loopback with real brokers started here (Debian mosquitto and
// nats-server, random ports, own data folders; a webhook receiver written here):
// 1. events/s through the SQLite outbox to each sink, side by side with the same sink sent to
//    directly (no outbox), and the outbox's own append rate;
// 2. frame-to-broker latency of a plate-sized event (600 B of fields and a 20 kB JPEG): from the
//    frame entering the pipeline (a real Source pacing a generated clip in real time) through the run's event
//    bus, the outbox and MQTT (QoS 1) to a subscriber;
// 3. memory with a sink down for 10 minutes at 100 events/s (the outbox holds them on disk).
// Writes bench/results/delivery.json.
// Run: nice -n 19 node --conditions oko-source --import tsx bench/delivery.bench.ts [--quick]
import { createServer } from 'node:http'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import mqtt from 'mqtt'
import { EVENT_VERSION, IdFactory, defineStage, type OkoEvent } from '@oko/core'
import { Delivery, parseDeployment, runDeployment, defaultStages, type StageRegistry } from '@oko/deploy'
import { streetScene, writeSampleClip } from '@oko/samples'
import { DeliveryLoop, MqttSink, NatsSink, Outbox, WebhookSink, type Sink } from '@oko/sinks'
import { setFfmpegLogLevel } from '@oko/source'
import { TestBroker } from '../test/helpers/brokers.js'

const quick = process.argv.includes('--quick')
const EVENTS = quick ? 3000 : 20_000
const SOAK_MIN = Number(process.env.OKO_SOAK_MIN ?? (quick ? 0.5 : 10))
if (!existsSync('/usr/sbin/mosquitto') || !existsSync('/usr/sbin/nats-server')) {
  console.error('installing mosquitto and nats-server (Debian) for the brokers…')
  spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto nats-server'], { stdio: 'inherit' })
}
const dir = mkdtempSync(join(tmpdir(), 'oko-bench-delivery-'))
setFfmpegLogLevel('quiet')
const mosquitto = await TestBroker.mosquitto(join(dir, 'mqtt'))
const nats = await TestBroker.nats(join(dir, 'nats'))
if (!mosquitto || !nats) throw new Error('install mosquitto and nats-server (apt-get install mosquitto nats-server)')
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))

// a plate-sized event: the fields of a plate read, without its snapshot (in the outbox and on the wire: ~600 B)
const ids = new IdFactory()
const plateEvent = (seq: number): OkoEvent => ({
  id: ids.next(), v: EVENT_VERSION, type: 'plate', timeMs: Date.now(), cameraId: `gate-${seq % 8}`, seq, ptsUs: seq * 40_000,
  text: 'AA1234BB', confidence: 0.93, format: 'ua', country: 'UA', charConfidences: [0.9, 0.95, 0.97, 0.99, 0.98, 0.96, 0.94, 0.92],
  box: { x: 412, y: 300, width: 96, height: 24 }, trackId: ids.next(), readings: 7, watchlist: [{ list: 'stolen', entry: 'AA1234BB', distance: 0 }],
} as unknown as OkoEvent)

const hook = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end()) })
await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r))
const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/`

const sinks: Record<string, () => Sink> = {
  webhook: () => new WebhookSink({ name: 'webhook', url: hookUrl }),
  mqtt: () => new MqttSink({ name: 'mqtt', url: mosquitto.url }),
  nats: () => new NatsSink({ name: 'nats', servers: nats.url, stream: `BENCH_${Date.now()}`, subject: `bench.${Date.now()}` }),
}

async function waitUp(sink: Sink): Promise<void> {
  await sink.open?.()
  for (let i = 0; i < 200 && !sink.up; i++) await new Promise((r) => setTimeout(r, 25))
}

// 1. throughput
const throughput: Record<string, unknown>[] = []
{
  using box = new Outbox({ path: join(dir, 'append.sqlite'), sinks: ['x'] })
  const events = Array.from({ length: EVENTS }, (_, i) => plateEvent(i))
  const t0 = performance.now()
  for (let i = 0; i < events.length; i += 100) box.append(events.slice(i, i + 100))
  throughput.push({ path: 'outbox append only (batches of 100, WAL, synchronous=NORMAL)', eventsPerS: Math.round(EVENTS / ((performance.now() - t0) / 1000)) })
}
for (const [kind, make] of Object.entries(sinks)) {
  for (const batchSize of [100, 500]) {
    const events = Array.from({ length: EVENTS }, (_, i) => plateEvent(i))
    // peer: the same sink, sent to directly (no outbox, nothing kept on disk)
    const direct = make()
    await waitUp(direct)
    let t0 = performance.now()
    for (let i = 0; i < events.length; i += batchSize) await direct.send(events.slice(i, i + batchSize))
    const directS = (performance.now() - t0) / 1000
    await direct.close()
    // through the outbox: appended in batches of 100 as a run would, delivered by the sink's loop
    const box = new Outbox({ path: join(dir, `${kind}-${batchSize}.sqlite`), sinks: [kind] })
    const sink = make()
    await waitUp(sink)
    const loop = new DeliveryLoop(sink, box, { batchSize })
    loop.start()
    t0 = performance.now()
    for (let i = 0; i < events.length; i += 100) {
      box.append(events.slice(i, i + 100))
      if (i % 1000 === 0) await new Promise((r) => setImmediate(r))
    }
    while (box.stats().sinks[kind]!.pending > 0) await new Promise((r) => setTimeout(r, 2))
    const outboxS = (performance.now() - t0) / 1000
    await loop.stop()
    box.close()
    throughput.push({ path: `${kind}, batches of ${batchSize}`, eventsPerS: Math.round(EVENTS / outboxS), directEventsPerS: Math.round(EVENTS / directS), ratio: Number((directS / outboxS).toFixed(2)) })
    process.stderr.write(`${kind} ${batchSize}: ${Math.round(EVENTS / outboxS)} events/s (direct ${Math.round(EVENTS / directS)})\n`)
  }
}

// 2. frame-to-broker latency of a plate event: one per frame of a 25 fps camera, paced in real time
const latency: Record<string, unknown> = {}
{
  const clip = join(dir, 'street.mp4')
  writeSampleClip(clip, streetScene({ width: 640, height: 360, fps: 25 }))
  const decodedAt = new Map<number, number>()
  const jpeg = new Uint8Array(20_000).fill(7)
  const registry: StageRegistry = {
    ...defaultStages(),
    plateish: {
      check: () => {},
      create: () => defineStage({
        name: 'plateish',
        process: (env, ctx) => {
          // the frame enters the pipeline now (just decoded, after the source's real-time pacing)
          decodedAt.set(env.frame.seq, Date.now())
          const e = plateEvent(env.frame.seq) as unknown as Record<string, unknown>
          const { id: _id, v: _v, timeMs: _t, ...init } = e
          ctx.emit({ ...init, cameraId: ctx.cameraId, seq: env.frame.seq, snapshot: { jpeg, width: 320, height: 200, region: { x: 0, y: 0, width: 320, height: 200 }, seq: env.frame.seq, ptsUs: env.frame.ptsUs } } as never)
          return env
        },
      }),
    },
  }
  const sub = await mqtt.connectAsync(mosquitto.url, { clientId: 'bench-latency' })
  const samples: number[] = []
  sub.on('message', (topic, payload) => {
    if (topic !== 'bench/events') return
    const seq = (JSON.parse(payload.toString()) as { data: { type: string; seq: number } }).data
    const at = seq.type === 'plate' ? decodedAt.get(seq.seq) : undefined
    if (at !== undefined) samples.push(Date.now() - at)
  })
  await sub.subscribeAsync('bench/events', { qos: 1 })
  const seconds = quick ? 8 : 40
  const config = parseDeployment([
    'cameras:', `  - { id: gate, url: "${clip}", realtime: true, loop: true }`,
    'stages: [plateish]',
    'outputs:', `  - mqtt: { url: "${mosquitto.url}", prefix: bench, batchSize: 100 }`,
    `outbox: { path: "${join(dir, 'latency.sqlite')}" }`, '',
  ].join('\n'), { baseDir: dir, registry })
  const stop = new AbortController()
  setTimeout(() => stop.abort(), seconds * 1000)
  await runDeployment(config, { registry, signal: stop.signal, stdout: new Writable({ write: (_c, _e, d) => d() }) })
  await sub.endAsync()
  const sorted = samples.slice(Math.min(25, samples.length >> 2)).sort((a, b) => a - b) // first second is warm-up
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
  Object.assign(latency, { event: 'plate fields + 20 kB JPEG snapshot, one per frame of a 25 fps camera', samples: sorted.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: sorted.at(-1) })
  process.stderr.write(`frame-to-broker: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms (${sorted.length} events)\n`)
}

// 3. memory with the only remote sink down for SOAK_MIN minutes at 100 events/s (each with a 20 kB snapshot every 10th)
const soak: Record<string, unknown> = {}
{
  const down = parseDeployment([
    'cameras: [{ id: x, url: x.mp4 }]',
    'outputs:', '  - mqtt: { url: "mqtt://127.0.0.1:1", prefix: down }',
    `outbox: { path: "${join(dir, 'soak.sqlite')}", maxMB: 64, drainSeconds: 0 }`, '',
  ].join('\n'), { baseDir: dir })
  const delivery = Delivery.open(down.delivery)
  delivery.start(() => {})
  const snapshot = { jpeg: new Uint8Array(20_000).fill(3), width: 320, height: 200, region: { x: 0, y: 0, width: 320, height: 200 }, seq: 0, ptsUs: 0 }
  const points: { min: number; rssMiB: number; heapMiB: number; stored: number; dropped: number }[] = []
  const t0 = Date.now()
  let seq = 0
  const sample = () => {
    const m = process.memoryUsage()
    const s = delivery.stats().outbox!
    points.push({ min: Number(((Date.now() - t0) / 60_000).toFixed(2)), rssMiB: Math.round(m.rss / 2 ** 20), heapMiB: Math.round(m.heapUsed / 2 ** 20), stored: s.events, dropped: s.sinks.mqtt!.dropped })
  }
  while (Date.now() - t0 < SOAK_MIN * 60_000) {
    const batch = Array.from({ length: 10 }, (_, i) => {
      const e = plateEvent(seq++)
      return i === 0 ? ({ ...e, snapshot } as OkoEvent) : e
    })
    await delivery.deliver(batch)
    if (seq % 1000 === 0) sample()
    await new Promise((r) => setTimeout(r, 100))
  }
  sample()
  await delivery.close(0)
  const warm = points.filter((p) => p.min >= SOAK_MIN / 3)
  const slope = (key: 'rssMiB' | 'heapMiB') => {
    const mx = warm.reduce((a, p) => a + p.min, 0) / warm.length
    const my = warm.reduce((a, p) => a + p[key], 0) / warm.length
    return Number((warm.reduce((a, p) => a + (p.min - mx) * (p[key] - my), 0) / warm.reduce((a, p) => a + (p.min - mx) ** 2, 0)).toFixed(3))
  }
  Object.assign(soak, {
    minutes: SOAK_MIN, eventsPerS: 100, events: seq, storedAtEnd: points.at(-1)!.stored, droppedAtEnd: points.at(-1)!.dropped,
    rssMiB: { first: points[0]!.rssMiB, last: points.at(-1)!.rssMiB, max: Math.max(...points.map((p) => p.rssMiB)), slopePerMinAfterWarmup: slope('rssMiB') },
    heapMiB: { first: points[0]!.heapMiB, last: points.at(-1)!.heapMiB, slopePerMinAfterWarmup: slope('heapMiB') },
    points,
  })
  process.stderr.write(`sink down ${SOAK_MIN} min: rss ${points[0]!.rssMiB} -> ${points.at(-1)!.rssMiB} MiB, stored ${points.at(-1)!.stored}\n`)
}

hook.close()
await Promise.all([mosquitto.stop(), nats.stop()])
rmSync(dir, { recursive: true, force: true })
console.table(throughput)
console.log(latency)
const { points: _p, ...soakSummary } = soak
console.log(soakSummary)
const out = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(out, { recursive: true })
writeFileSync(`${out}delivery.json`, `${JSON.stringify({ date: new Date().toISOString(), quick, node: process.version, events: EVENTS, throughput, latency, soak }, null, 2)}\n`)
