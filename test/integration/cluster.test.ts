import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { connect, type NatsConnection } from 'nats'
import { clusterStatus, openClusterStore, type ClusterStatus } from '@oko/cluster'
import { streetScene, writeSampleClip } from '@oko/samples'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestBroker, brokerBinary } from '../helpers/brokers.js'

// A real 3-node JetStream cluster and three `oko worker` processes running 12 looping clips.
const have = brokerBinary('nats-server') !== undefined
let dir: string
let nodes: TestBroker[] = []
let nc: NatsConnection
const workers = new Map<string, ChildProcess>()
const bin = resolve('packages/cli/dist/bin.js')
const servers = () => nodes.map((n) => n.url).join(',')

function startWorker(id: string): void {
  const child = spawn(process.execPath, [bin, 'worker', '--nats', servers(), '--id', id, '--capacity', '8', '--data', join(dir, id)], { stdio: ['ignore', 'ignore', 'ignore'] })
  workers.set(id, child)
}

/** Waits for `done`; a timeout says what was awaited and, with `seen`, what was there instead. */
async function until(done: () => Promise<boolean>, timeoutMs: number, what: string, seen?: () => Promise<string>): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await done().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen ? `: ${await seen().catch((e: Error) => e.message)}` : ''}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** Camera states and workers, for a timeout's message. */
async function describeStatus(): Promise<string> {
  const s = await status()
  const states = new Map<string, number>()
  for (const c of s.cameras) states.set(c.state, (states.get(c.state) ?? 0) + 1)
  return `cameras ${JSON.stringify(Object.fromEntries(states))}, workers ${s.workers.map((w) => `${w.id} ${w.cameras} (seen ${Date.now() - w.lastSeenMs} ms ago)`).join(', ')}`
}

/** Every message of the events stream, read with an ordered consumer. */
async function streamEvents(): Promise<{ id: string; type: string; data: unknown }[]> {
  const info = await (await nc.jetstreamManager()).streams.info('OKO_EVENTS')
  const c = await nc.jetstream().consumers.get('OKO_EVENTS')
  const out: { id: string; type: string; data: unknown }[] = []
  while (out.length < info.state.messages) {
    let got = 0
    for await (const m of await c.fetch({ max_messages: 1000, expires: 2000 })) { out.push(JSON.parse(m.string())); got++ }
    if (got === 0) break
  }
  return out
}

async function status(): Promise<ClusterStatus> {
  return clusterStatus((await openClusterStore(nc))!)
}

beforeAll(async () => {
  if (!have) return
  dir = mkdtempSync(join(tmpdir(), 'oko-cluster-'))
  writeSampleClip(join(dir, 'clip.mp4'), streetScene({ width: 160, height: 90, fps: 5 }), { gopFrames: 10 })
  nodes = (await TestBroker.natsCluster(join(dir, 'nats'), 3))!
  nc = await connect({ servers: nodes.map((n) => n.url) })
  const cams = Array.from({ length: 12 }, (_, i) => `  - { id: cam-${String(i).padStart(2, '0')}, url: clip.mp4, loop: true, realtime: true }`)
  writeFileSync(join(dir, 'deploy.yaml'), ['cameras:', ...cams, ''].join('\n'))
  // a fresh JetStream cluster takes a few seconds to elect its meta leader: apply is retried until then
  let code: unknown
  for (let i = 0; i < 20 && code !== 0; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 1000))
    const apply = spawn(process.execPath, [bin, 'cluster', 'apply', join(dir, 'deploy.yaml'), '--nats', servers(), '--replicas', '3'], { stdio: 'ignore' })
    code = await new Promise((r) => apply.once('exit', r))
  }
  expect(code).toBe(0)
  for (const id of ['w1', 'w2', 'w3']) startWorker(id)
}, 120_000)

afterAll(async () => {
  for (const w of workers.values()) w.kill('SIGKILL')
  await nc?.close()
  for (const n of nodes) await n.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!have)('oko worker on a 3-node NATS cluster', () => {
  it('12 cameras on 3 workers: each has exactly one owner and plays', async () => {
    await until(async () => (await status()).cameras.filter((c) => c.state === 'playing').length === 12, 60_000, '12 cameras playing')
    const s = await status()
    expect(new Set(s.cameras.map((c) => c.id)).size).toBe(12)
    for (const w of s.workers) expect(w.cameras).toBeGreaterThan(0)
    expect(s.workers.reduce((n, w) => n + w.cameras, 0)).toBe(12)
  }, 90_000)

  it('SIGKILL of one worker: its cameras play on the others within 15 s, with gap events', async () => {
    const before = await status()
    const victim = before.workers.find((w) => w.cameras > 0)!.id
    const moved = before.cameras.filter((c) => c.worker === victim).map((c) => c.id)
    const killedMs = Date.now()
    workers.get(victim)!.kill('SIGKILL')
    await until(async () => {
      const s = await status()
      return moved.every((id) => s.cameras.some((c) => c.id === id && c.state === 'playing' && c.worker !== victim))
    }, 30_000, 'moved cameras playing elsewhere')
    const tookMs = Date.now() - killedMs
    console.log(`failover: ${moved.length} cameras of ${victim} playing elsewhere after ${tookMs} ms`)
    expect(tookMs).toBeLessThan(15_000)
    // gap events reach the stream
    const gaps: { cameraId: string; gapMs: number; reason: string }[] = []
    await until(async () => {
      gaps.length = 0
      for (const e of await streamEvents()) if (e.type === 'oko.gap') gaps.push(e.data as never)
      return moved.every((id) => gaps.some((g) => g.cameraId === id))
    }, 20_000, 'gap events in the stream')
    console.log(`gaps: ${gaps.map((g) => `${g.cameraId} ${g.gapMs} ms`).join(', ')}`)
    for (const g of gaps.filter((x) => moved.includes(x.cameraId))) expect(g.reason).toBe('worker-lost')
  }, 90_000)

  it('one NATS node stopped, then started again: the workers carry on, the stream keeps taking events, each once', async () => {
    const before = await status()
    const owners = new Map(before.cameras.map((c) => [c.id, c.worker]))
    const jsm = await nc.jetstreamManager()
    const count = async () => (await jsm.streams.info('OKO_EVENTS')).state.messages
    const atStop = await count()
    const node = nodes[2]!
    await node.stop()
    let playingMs: number
    try {
      // events keep coming in while a node is down (R3: two of three hold the quorum)
      await until(async () => (await count()) > atStop + 12, 60_000, 'events in the stream with one node down')
      // a node that led the buckets' streams: their writes wait for a new leader (a few seconds), and a
      // worker whose heartbeat waits longer than the fence stops its cameras and resumes them after
      // (on a loaded 2-core machine the elections and the workers' event loops take longer)
      const downMs = Date.now()
      await until(async () => (await status()).cameras.filter((c) => c.state === 'playing').length === 12, 120_000, '12 cameras playing with one node down', describeStatus)
      playingMs = Date.now() - downMs
    } finally {
      // the node comes back whatever happened, so the next test has its cluster
      await node.start()
    }
    const atStart = await count()
    await until(async () => (await count()) > atStart + 12, 60_000, 'events in the stream after the node came back')
    const after = await status()
    expect(after.cameras.filter((c) => c.state === 'playing').length).toBe(12)
    const moved = after.cameras.filter((c) => owners.get(c.id) !== c.worker).map((c) => c.id)
    console.log(`NATS node restart: 12 cameras playing ${playingMs} ms after the stop, ${atStart - atStop} events taken while it was down; cameras moved: ${moved.length ? moved.join(', ') : 'none'}`)
    // the node that came back catches up: it serves the whole stream, each event once
    const direct = await connect({ servers: node.url })
    try {
      const info = await (await direct.jetstreamManager()).streams.info('OKO_EVENTS')
      expect(info.state.messages).toBeGreaterThanOrEqual(atStart)
    } finally {
      await direct.close()
    }
  }, 320_000)

  it('the stream holds each event once', async () => {
    const events = await streamEvents()
    expect(events.length).toBeGreaterThan(0)
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length)
  }, 60_000)
})
