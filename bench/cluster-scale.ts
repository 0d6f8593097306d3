// Scale simulation of `oko worker` on one real nats-server -js: 6,500 simulated cameras (sources
// that make no frames: no decoding) over 200 workers (runWorker, as `oko worker` runs it, 20 per
// process in 10 processes). Measures the time to place every camera, what moves and how long the
// cluster takes to settle when 10 % of the workers die (SIGKILL of one process) and when 10 %
// join, NATS messages per second (the server's /varz) and memory per worker. Writes
// bench/results/cluster.json. Not part of `pnpm bench` (minutes, and every core):
//   nice node --conditions oko-source --import tsx bench/cluster-scale.ts [--cameras 6500] [--workers 200]
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FrameSource } from '@oko/core'
import { DEFAULT_TIMINGS, clusterStatus, createClusterStore, runWorker, cameraKey, type ClusterBuckets } from '@oko/cluster'
import { connect } from 'nats'

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}
const PER_PROCESS = 20

if (process.argv.includes('--child')) await child()
else await parent()

/** A camera that never makes a frame and ends when closed. */
function simSource(cameraId: string): FrameSource {
  let wake!: () => void
  const closed = new Promise<void>((r) => (wake = r))
  return {
    cameraId, live: true,
    async *frames() { await closed },
    async close() { wake() },
    async [Symbol.asyncDispose]() { wake() },
  }
}

async function child(): Promise<void> {
  const url = arg('nats', '')
  const prefix = arg('prefix', 'w')
  const dir = arg('dir', '')
  const stop = new AbortController()
  process.once('SIGTERM', () => stop.abort())
  const runs = Array.from({ length: PER_PROCESS }, async (_, i) => {
    const id = `${prefix}-${String(i).padStart(2, '0')}`
    const nc = await connect({ servers: url, name: id, waitOnFirstConnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500, pingInterval: 2000, maxPingOut: 2 })
    mkdirSync(join(dir, id), { recursive: true })
    await runWorker({ nc, servers: [url], id, capacity: 64, dataDir: join(dir, id), signal: stop.signal, openSource: async (c) => simSource(c.id) })
    await nc.drain()
  })
  setInterval(() => process.send?.({ rss: process.memoryUsage().rss }), 2000).unref()
  await Promise.all(runs)
  process.exit(0)
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)) })
  })
}

async function parent(): Promise<void> {
  const cameras = Number(arg('cameras', '6500'))
  const workerCount = Number(arg('workers', '200'))
  const processes = Math.ceil(workerCount / PER_PROCESS)
  const dir = mkdtempSync(join(tmpdir(), 'oko-cluster-scale-'))
  const [port, monitor] = [await freePort(), await freePort()]
  const server = spawn('/usr/sbin/nats-server', ['-js', '-sd', join(dir, 'nats'), '-a', '127.0.0.1', '-p', String(port), '-m', String(monitor)], { stdio: 'ignore' })
  const url = `nats://127.0.0.1:${port}`
  const kids = new Map<string, { child: ChildProcess; rss: number }>()
  try {
    await new Promise((r) => setTimeout(r, 1000))
    const nc = await connect({ servers: url })
    const store = await createClusterStore(nc, DEFAULT_TIMINGS, 1)
    await store.deploy.put('config', new TextEncoder().encode('{}'))
    const ids = Array.from({ length: cameras }, (_, i) => `sim-${String(i).padStart(4, '0')}`)
    for (let i = 0; i < ids.length; i += 500) await Promise.all(ids.slice(i, i + 500).map((id) => store.deploy.put(cameraKey(id), new TextEncoder().encode(JSON.stringify({ id, url: `rtsp://127.0.0.1:9/${id}` })))))
    const varz = async () => (await (await fetch(`http://127.0.0.1:${monitor}/varz`)).json()) as { in_msgs: number; out_msgs: number; in_bytes: number; out_bytes: number; mem: number; cpu: number }
    const spawnKid = (prefix: string) => {
      const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', '--nats', url, '--prefix', prefix, '--dir', dir], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
      child.stderr!.on('data', (c) => process.stderr.write(`[${prefix}] ${String(c).slice(0, 300)}`))
      const kid = { child, rss: 0 }
      child.on('message', (m: { rss: number }) => (kid.rss = m.rss))
      kids.set(prefix, kid)
    }
    const owners = async (s: ClusterBuckets) => {
      const st = await clusterStatus(s)
      return new Map(st.cameras.filter((c) => c.worker && c.state !== 'moving').map((c) => [c.id, c.worker!]))
    }
    /** Waits until every camera has a live owner and nothing changed for two polls; the time it took and the final owners. */
    const settle = async (fromMs: number, limitMs: number, live: (w: string) => boolean) => {
      let last = new Map<string, string>()
      let stableSince = 0
      let doneMs = 0
      for (;;) {
        // a status read can time out while the server is busy: it counts as no news
        const o = await owners(store).catch(() => last)
        const complete = o.size === cameras && [...o.values()].every(live)
        const same = o.size === last.size && [...o].every(([c, w]) => last.get(c) === w)
        if (complete && !same) doneMs = Date.now()
        if (complete && same) { if (!stableSince) stableSince = Date.now(); if (Date.now() - stableSince > 6000) return { ms: (doneMs || stableSince) - fromMs, owners: o } }
        else stableSince = 0
        last = o
        if (Date.now() - fromMs > limitMs) return { ms: Number.NaN, owners: o }
        await new Promise((r) => setTimeout(r, 1000))
      }
    }
    const rate = async (seconds: number) => {
      const a = await varz(); const t = Date.now()
      await new Promise((r) => setTimeout(r, seconds * 1000))
      const b = await varz(); const s = (Date.now() - t) / 1000
      return { inMsgsPerS: Math.round((b.in_msgs - a.in_msgs) / s), outMsgsPerS: Math.round((b.out_msgs - a.out_msgs) / s), inKBPerS: Math.round((b.in_bytes - a.in_bytes) / s / 1024), outKBPerS: Math.round((b.out_bytes - a.out_bytes) / s / 1024), serverCpuPercent: b.cpu, serverMemMB: Math.round(b.mem / 1048576) }
    }

    console.log(`${cameras} cameras in KV`)
    const t0 = Date.now()
    for (let p = 0; p < processes; p++) spawnKid(`p${p}`)
    const placed = await settle(t0, 600_000, () => true)
    console.log(`placed ${placed.owners.size}/${cameras} cameras on ${workerCount} workers in ${placed.ms} ms`)
    const steady = await rate(10)
    console.log('steady', steady)
    const rssMB = [...kids.values()].reduce((n, k) => n + k.rss, 0) / 1048576
    const perWorkerMB = rssMB / workerCount

    // one process of 20 workers dies (SIGKILL): 10 % of 200
    const victim = 'p0'
    kids.get(victim)!.child.kill('SIGKILL')
    kids.delete(victim)
    const t1 = Date.now()
    const died = await settle(t1, 300_000, (w) => !w.startsWith(`${victim}-`))
    const movedDie = [...died.owners].filter(([c, w]) => placed.owners.get(c) !== w).length
    const lostCams = [...placed.owners.values()].filter((w) => w.startsWith(`${victim}-`)).length
    console.log(`10 % died: ${movedDie} cameras moved (${lostCams} were on the dead workers), settled in ${died.ms} ms`)

    // a new process of 20 workers joins: 10 % of 200
    const t2 = Date.now()
    spawnKid('j0')
    // the joiners count once every one of them heart-beats; then the cluster must be still for 6 s
    for (;;) {
      const st = await clusterStatus(store).catch(() => ({ workers: [] as { id: string; lastSeenMs: number }[] }))
      if (st.workers.filter((w) => w.id.startsWith('j0-') && Date.now() - w.lastSeenMs < 3000).length === PER_PROCESS) break
      if (Date.now() - t2 > 120_000) break
      await new Promise((r) => setTimeout(r, 500))
    }
    const joinedSeenMs = Date.now() - t2
    const joined = await settle(t2, 300_000, () => true)
    const movedJoin = [...joined.owners].filter(([c, w]) => died.owners.get(c) !== w).length
    const onJoiners = [...joined.owners.values()].filter((w) => w.startsWith('j0-')).length
    console.log(`10 % joined: all heart-beating after ${joinedSeenMs} ms; ${movedJoin} cameras moved (${onJoiners} to the new workers), settled in ${joined.ms} ms`)
    const afterJoin = await rate(10)

    const result = {
      what: 'oko worker scale simulation: simulated cameras (no frames), real nats-server 2.9 -js (R1) on 127.0.0.1, runWorker as oko worker runs it',
      machine: '2 cores shared by every process (server and all workers), 24 GiB',
      cameras, workers: workerCount, workersPerProcess: PER_PROCESS, capacityPerWorker: 64, timings: DEFAULT_TIMINGS,
      placeAllMs: placed.ms,
      steadyNats: steady,
      memoryPerWorkerMB: Math.round(perWorkerMB * 10) / 10,
      workersDie: { fraction: PER_PROCESS / workerCount, camerasOnDeadWorkers: lostCams, camerasMoved: movedDie, settleMs: died.ms },
      workersJoin: { fraction: PER_PROCESS / workerCount, allHeartbeatingMs: joinedSeenMs, camerasMoved: movedJoin, camerasOnNewWorkers: onJoiners, settleMs: joined.ms, natsAfter: afterJoin },
      heartbeats: { note: 'every worker watches every heartbeat: deliveries grow as workers²; the heartbeat carries only id, capacity, state and load (camera states go to cams.<id>, watched by nobody)', deliveriesPerS: Math.round(workerCount ** 2 * 1000 / DEFAULT_TIMINGS.heartbeatMs) },
      command: 'nice node --conditions oko-source --import tsx bench/cluster-scale.ts',
      date: new Date().toISOString(),
    }
    if (arg('out', 'yes') !== 'no') writeFileSync(fileURLToPath(new URL('./results/cluster.json', import.meta.url)), `${JSON.stringify(result, null, 2)}\n`)
    console.log(JSON.stringify(result, null, 2))
    await nc.close()
  } finally {
    for (const k of kids.values()) k.child.kill('SIGKILL')
    server.kill('SIGTERM')
    await new Promise((r) => server.once('exit', r))
    rmSync(dir, { recursive: true, force: true })
  }
}
