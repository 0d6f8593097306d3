import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { idTimeMs, type OkoEvent } from '@oko/core'
import { deploymentMetrics, parseDeployment, runDeployment } from '@oko/deploy'
import { streetScene, writeSampleClip } from '@oko/samples'
import { EventEncoder, Outbox, type CloudEvent } from '@oko/sinks'
import { setFfmpegLogLevel } from '@oko/source'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestBroker, brokerBinary } from '../helpers/brokers.js'
import { bytesSink, until } from '../helpers/events.js'
import { oko } from '../helpers/cli.js'

// oko run as a user runs it: a generated clip, real mosquitto, a webhook receiver written here.
let dir: string
let clip: string
let broker: TestBroker | undefined
const haveMosquitto = brokerBinary('mosquitto') !== undefined

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oko-deliver-'))
  setFfmpegLogLevel('quiet')
  clip = join(dir, 'street.mp4')
  writeSampleClip(clip, streetScene({ width: 320, height: 180, fps: 10 }), { gopFrames: 20 })
  if (haveMosquitto) broker = await TestBroker.mosquitto(join(dir, 'broker'))
})
afterAll(async () => {
  await broker?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** A webhook receiver: `status()` decides each answer; every request's CloudEvents are kept. */
async function receiver(status: () => number): Promise<{ url: string; got: CloudEvent[][]; close: () => Promise<void> }> {
  const got: CloudEvent[][] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      const code = status()
      if (code === 200) got.push(JSON.parse(body) as CloudEvent[])
      res.writeHead(code).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
    got,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()) }),
  }
}

describe.skipIf(!haveMosquitto)('oko run with outputs: MQTT and a file', () => {
  it('outputs: [{ mqtt: { url, prefix } }, { file: events.jsonl }]: the MQTT subscriber and the file see the same ids', async () => {
    const sub: MqttClient = await mqtt.connectAsync(broker!.url, { clientId: 'oko-run-test' })
    const seen: CloudEvent[] = []
    sub.on('message', (topic, payload) => { if (topic === 'city/events') seen.push(JSON.parse(payload.toString()) as CloudEvent) })
    await sub.subscribeAsync('city/#', { qos: 1 })
    const config = join(dir, 'mqtt.yaml')
    writeFileSync(config, [
      'name: test-centre',
      'cameras:', '  - { id: street, url: street.mp4 }',
      'outputs:', `  - mqtt: { url: "${broker!.url}", prefix: city }`, '  - file: events.jsonl',
      'outbox: { path: outbox.sqlite }', '',
    ].join('\n'))
    const run = await oko('run', config, '--quiet')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const fileEvents = EventEncoder.decode(readFileSync(join(dir, 'events.jsonl')), 'jsonl')
    expect(fileEvents.filter((e) => e.type === 'motion').length).toBeGreaterThan(3)
    await until(() => seen.length >= fileEvents.length, 10_000, 'every event on MQTT')
    await sub.endAsync()
    expect(seen.map((e) => e.id)).toEqual(fileEvents.map((e) => e.id))
    expect(seen[0]).toMatchObject({ specversion: '1.0', source: '/oko/test-centre/street', type: `oko.${fileEvents[0]!.type}` })
  })
})

describe('delivery faults through oko run', () => {
  it('the outbox reaches its size bound while the webhook is down: the oldest are dropped, counted, and dropped events say so', async () => {
    const hook = await receiver(() => 503)
    const config = parseDeployment([
      'cameras:', `  - { id: street, url: "${clip}" }`,
      'outputs:', `  - webhook: { url: "${hook.url}" }`, '  - file: full.jsonl',
      `outbox: { path: "${join(dir, 'full.sqlite')}", maxMB: 0.001, drainSeconds: 0 }`, '',
    ].join('\n'), { baseDir: dir })
    let metricsText = ''
    const result = await runDeployment(config, {
      stdout: bytesSink([]),
      onStart: (deployment, delivery) => {
        const registry = deploymentMetrics(() => deployment.stats(), () => delivery.stats())
        void deployment.completion.then(async () => (metricsText = await registry.metrics()))
      },
    })
    await hook.close()
    const events = EventEncoder.decode(readFileSync(join(dir, 'full.jsonl')), 'jsonl')
    const said = events.filter((e): e is Extract<OkoEvent, { type: 'dropped' }> => e.type === 'dropped' && e.stage === 'outbox:webhook')
    const counted = result.delivery.outbox!.sinks.webhook!.dropped
    expect(counted).toBeGreaterThan(0)
    expect(said.reduce((n, e) => n + e.count, 0)).toBe(counted)
    expect(said.every((e) => e.reason === 'overflow')).toBe(true)
    // what is left is the newest that fit
    expect(result.delivery.outbox!.bytes).toBeLessThanOrEqual(0.001 * 1024 * 1024)
    expect(result.delivery.outbox!.sinks.webhook!.pending).toBe(result.delivery.outbox!.lastSeq - counted)
    expect(metricsText).toContain(`oko_frames_total{camera="street"} ${result.summary.framesIn}`)
    expect(metricsText).toContain('oko_sink_delivered_total{sink="webhook",kind="webhook"} 0')
    expect(metricsText).toMatch(/oko_sink_dropped_total\{sink="webhook"\} [1-9]/)
    expect(metricsText).toContain('oko_stage_latency_seconds_bucket{stage="motion",le="+Inf"}')
    expect(metricsText).toContain('# TYPE oko_sink_lag_events gauge')
  })

  it('oko run killed with SIGKILL and started again: the undelivered events are delivered, in order, none lost', async () => {
    let accept = false
    let requests = 0
    // the first two batches are taken, then the centre is down until the restart
    const hook = await receiver(() => (++requests <= 2 || accept ? 200 : 503))
    const outbox = join(dir, 'kill.sqlite')
    const config = join(dir, 'kill.yaml')
    writeFileSync(config, [
      'cameras:', '  - { id: street, url: street.mp4, loop: true, realtime: true }',
      'outputs:', `  - webhook: { url: "${hook.url}", batchSize: 5 }`,
      `outbox: { path: "${outbox}" }`, '',
    ].join('\n'))
    const bin = resolve('packages/cli/dist/bin.js')
    const start = () => spawn(process.execPath, [bin, 'run', config, '--quiet', '--output', join(dir, 'kill.jsonl')], { stdio: ['ignore', 'ignore', 'pipe'] })
    const exited = (child: ChildProcess) => new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    const first = start()
    await until(() => requests > 6, 30_000, 'the webhook to be tried while it is down')
    const killedAtMs = Date.now()
    first.kill('SIGKILL')
    await exited(first)
    const deliveredBefore = hook.got.flat().map((e) => e.id)
    let persisted: number
    let undelivered: string[]
    {
      using box = new Outbox({ path: outbox, sinks: ['webhook'] })
      persisted = box.stats().lastSeq
      undelivered = box.read('webhook', 100_000).map((r) => r.event.id)
    }
    expect(undelivered.length).toBeGreaterThan(0)
    accept = true
    const second = start()
    await until(() => undelivered.every((id) => hook.got.flat().some((e) => e.id === id)), 30_000, 'the undelivered events after the restart')
    second.kill('SIGINT')
    expect(await exited(second)).toBe(130)
    await hook.close()
    const received = hook.got.flat().map((e) => e.id)
    const firstRun = [...new Set(received.filter((id) => idTimeMs(id) <= killedAtMs))]
    // every event the first run stored reached the centre (at least once), none lost
    expect(firstRun.length).toBe(persisted)
    expect(new Set([...deliveredBefore, ...undelivered]).size).toBe(persisted)
    // after the restart the undelivered went first, in the order they were made
    const after = received.slice(deliveredBefore.length)
    expect(after.slice(0, undelivered.length)).toEqual(undelivered)
  })
})
