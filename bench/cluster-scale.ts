// Scale simulation of `oko worker` on one real nats-server -js: simulated cameras (sources that
// make no frames: no decoding) over simulated workers (runWorker, exactly as `oko worker` runs it,
// each with its own NATS connection, workers/10 of them per process in 10 processes). Measures
// the time to place every camera, what moves and how long the cluster takes to settle when 10 %
// of the workers die (SIGKILL of one process) and when 10 % join (one more process), NATS
// messages per second (the server's /varz) and memory per worker. Settled = every camera's key
// names exactly the worker placement computes for the live workers (the bench computes it too).
// Adds its figures to bench/results/cluster.json under `runs` (one entry per size). Not part of
// `pnpm bench` (minutes, and every core):
//   nice node --conditions oko-source --import tsx bench/cluster-scale.ts [--cameras 6500] [--workers 200]
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { setMaxListeners } from 'node:events'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FrameSource } from '@oko/core'
import { DEFAULT_TIMINGS, applyEntries, cameraOfKey, createClusterStore, place, runWorker, snapshot, type ClusterBuckets, type Heartbeat, type LeaseValue } from '@oko/cluster'
import { connect } from 'nats'

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}
const CAPACITY = 64

if (process.argv.includes('--child')) await child()
else await parent()

/**
 * A camera that never makes a frame and ends when the pipeline stops reading it (its signal) or
 * it is closed. (The last session's simulated source ignored the signal: removing a camera then
 * hung, so a worker never finished releasing one and workers that joined got none.)
 */
function simSource(cameraId: string): FrameSource {
  let wake!: () => void
  const closed = new Promise<void>((r) => (wake = r))
  return {
    cameraId, live: true,
    async *frames(options) {
      const signal = options?.signal
      if (signal?.aborted) return
      await new Promise<void>((resolve) => { void closed.then(resolve); signal?.addEventListener('abort', () => resolve(), { once: true }) })
    },
    async close() { wake() },
    async [Symbol.asyncDispose]() { wake() },
  }
}

async function child(): Promise<void> {
  const url = arg('nats', '')
  const prefix = arg('prefix', 'w')
  const dir = arg('dir', '')
  const count = Number(arg('count', '20'))
  const stop = new AbortController()
  setMaxListeners(0, stop.signal) // one signal for every worker of the process
  process.once('SIGTERM', () => stop.abort())
  process.once('disconnect', () => process.exit(1)) // the bench ended
  // what the workers did, counted from their log lines
  const counts: Record<string, number> = { created: 0, taken: 0, resumed: 0, released: 0, fenced: 0, removedMembers: 0, claimFailures: 0, startFailures: 0 }
  const count1 = (line: string) => {
    const m = /lease (created|taken|resumed)|stopped \((released|fenced)|(removed from the membership)|(claim failed)|(cannot start)/.exec(line)
    if (!m) return
    const k = m[1] ?? m[2] ?? (m[3] ? 'removedMembers' : m[4] ? 'claimFailures' : 'startFailures')
    counts[k]!++
  }
  const runs = Array.from({ length: count }, async (_, i) => {
    const id = `${prefix}-${String(i).padStart(2, '0')}`
    const nc = await connect({ servers: url, name: id, waitOnFirstConnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500, pingInterval: 2000, maxPingOut: 2 })
    mkdirSync(join(dir, id), { recursive: true })
    await runWorker({ nc, servers: [url], id, capacity: CAPACITY, dataDir: join(dir, id), signal: stop.signal, openSource: async (c) => simSource(c.id), log: (l) => { count1(l); if (/unexpected|cannot start/.test(l)) process.stderr.write(`${id}: ${l}\n`) } })
    await nc.drain()
  })
  // how late the event loop runs timers (what delays heartbeats): the worst second so far
  const lag = monitorEventLoopDelay({ resolution: 20 })
  lag.enable()
  setInterval(() => {
    const lagMaxMs = lag.max / 1e6
    lag.reset()
    const c = process.cpuUsage()
    process.send?.({ rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed, cpuMs: (c.user + c.system) / 1000, counts, lagMaxMs: Math.round(lagMaxMs) }) // the worst of the last second
  }, 1000).unref()
  await Promise.all(runs)
  process.exit(0)
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)) })
  })
}

interface Kid { child: ChildProcess; rss: number; heap: number; cpuMs: number; counts: Record<string, number>; lagMaxMs?: number }
interface Varz { in_msgs: number; out_msgs: number; in_bytes: number; out_bytes: number; mem: number; cpu: number }

async function parent(): Promise<void> {
  const cameras = Number(arg('cameras', '6500'))
  const workerCount = Number(arg('workers', '200'))
  const processes = 10
  const perProcess = Math.ceil(workerCount / processes)
  const limitMs = Number(arg('limit-s', '600')) * 1000
  const dir = mkdtempSync(join(tmpdir(), 'oko-cluster-scale-'))
  const [port, monitor] = [await freePort(), await freePort()]
  const server = spawn('/usr/sbin/nats-server', ['-js', '-sd', join(dir, 'nats'), '-a', '127.0.0.1', '-p', String(port), '-m', String(monitor)], { stdio: 'ignore' })
  const url = `nats://127.0.0.1:${port}`
  const kids = new Map<string, Kid>()
  const gone: Kid[] = []
  /** The worst event-loop lag of any worker process since the last takeLag(). */
  let lagPeakMs = 0
  const takeLag = () => { const v = lagPeakMs; lagPeakMs = 0; return v }
  const say = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`)
  const abandon = () => { for (const k of kids.values()) k.child.kill('SIGKILL'); server.kill('SIGKILL'); process.exit(1) }
  process.once('SIGINT', abandon)
  process.once('SIGTERM', abandon)
  try {
    await new Promise((r) => setTimeout(r, 1000))
    const nc = await connect({ servers: url })
    const store = await createClusterStore(nc, DEFAULT_TIMINGS, 1)
    const ids = Array.from({ length: cameras }, (_, i) => `sim-${String(i).padStart(4, '0')}`)
    await applyEntries(store, {}, ids.map((id) => ({ id, url: `rtsp://127.0.0.1:9/${id}` })))
    const varz = async () => (await (await fetch(`http://127.0.0.1:${monitor}/varz`)).json()) as Varz
    const spawnKid = (prefix: string) => {
      const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', '--nats', url, '--prefix', prefix, '--dir', dir, '--count', String(perProcess)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
      child.stderr!.on('data', (c) => process.stderr.write(`[${prefix}] ${String(c).slice(0, 300)}`))
      const kid: Kid = { child, rss: 0, heap: 0, cpuMs: 0, counts: {} }
      child.on('message', (m: Omit<Kid, 'child'>) => { Object.assign(kid, m); lagPeakMs = Math.max(lagPeakMs, m.lagMaxMs ?? 0) })
      kids.set(prefix, kid)
    }
    const workerIds = (prefix: string) => Array.from({ length: perProcess }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`)
    /** Each camera's worker as its key says, counting only workers whose heartbeat is fresh. */
    const owners = async (s: ClusterBuckets) => {
      const [leases, workers] = await Promise.all([snapshot(s.leases), snapshot(s.workers)])
      const newest = Math.max(0, ...[...workers.values()].map((e) => e.created.getTime()))
      const alive = new Set([...workers].filter(([k, e]) => !k.includes('.') && newest - e.created.getTime() < DEFAULT_TIMINGS.workerTimeoutMs && e.json<Heartbeat>().state === 'running').map(([k]) => k))
      return new Map([...leases].map(([k, e]) => [cameraOfKey(k), e.json<LeaseValue>().worker] as const).filter(([, w]) => alive.has(w)))
    }
    /**
     * Polls every 2 s until every camera is on the worker placement gives it among `live`, twice
     * in a row: when every camera first had a live owner, when placement was first exact, and the owners.
     */
    const settle = async (fromMs: number, live: string[]) => {
      const expected = place(ids, live.map((id) => ({ id, capacity: CAPACITY })))
      let allOwnedMs = Number.NaN
      let allMembersMs = Number.NaN
      let exactMs = Number.NaN
      let o = new Map<string, string>()
      const liveSet = new Set(live)
      for (;;) {
        // a read can time out while the server is busy: it counts as no news
        o = await owners(store).catch(() => o)
        const t = Date.now() - fromMs
        if (Number.isNaN(allMembersMs)) {
          const members = await snapshot(store.members).catch(() => new Map())
          if (live.every((w) => members.has(w))) allMembersMs = t
        }
        if (Number.isNaN(allOwnedMs) && ids.every((c) => liveSet.has(o.get(c)!))) allOwnedMs = t
        const wrong = ids.filter((c) => o.get(c) !== expected.get(c)).length
        if (wrong === 0) { if (!Number.isNaN(exactMs)) return { allMembersMs, allOwnedMs, exactMs, owners: o }; exactMs = t } else exactMs = Number.NaN
        if (t > limitMs) { say(`gave up after ${t} ms: ${o.size}/${cameras} owned, ${wrong} not where placement puts them`); return { allMembersMs, allOwnedMs, exactMs, owners: o } }
        if (Math.round(t / 2000) % 10 === 0) say(`  ${Math.round(t / 1000)} s: ${o.size}/${cameras} owned, ${wrong} not yet where placement puts them; ${JSON.stringify(work().counts)}`)
        await new Promise((r) => setTimeout(r, 2000))
      }
    }
    const rate = async (seconds: number) => {
      const a = await varz(); const t = Date.now()
      await new Promise((r) => setTimeout(r, seconds * 1000))
      const b = await varz(); const s = (Date.now() - t) / 1000
      return { inMsgsPerS: Math.round((b.in_msgs - a.in_msgs) / s), outMsgsPerS: Math.round((b.out_msgs - a.out_msgs) / s), inKBPerS: Math.round((b.in_bytes - a.in_bytes) / s / 1024), outKBPerS: Math.round((b.out_bytes - a.out_bytes) / s / 1024), serverCpuPercent: b.cpu, serverMemMB: Math.round(b.mem / 1048576) }
    }
    const msgsSince = (a: Varz, b: Varz) => ({ inMsgs: b.in_msgs - a.in_msgs, outMsgs: b.out_msgs - a.out_msgs })
    /** CPU seconds so far of the server and of all worker processes (also those killed), and the workers' log counts. */
    const serverCpuS = () => { const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) / 100 }
    const work = () => {
      const all = [...kids.values(), ...gone]
      const counts: Record<string, number> = {}
      for (const k of all) for (const [n, v] of Object.entries(k.counts)) counts[n] = (counts[n] ?? 0) + v
      return { serverCpuS: serverCpuS(), workersCpuS: all.reduce((n, k) => n + k.cpuMs, 0) / 1000, counts }
    }
    const workSince = (a: ReturnType<typeof work>) => {
      const b = work()
      const counts = Object.fromEntries(Object.entries(b.counts).map(([k, v]) => [k, v - (a.counts[k] ?? 0)]).filter(([, v]) => v !== 0))
      return { serverCpuS: Math.round((b.serverCpuS - a.serverCpuS) * 10) / 10, workersCpuS: Math.round(b.workersCpuS - a.workersCpuS), worstEventLoopLagMs: takeLag(), ...counts }
    }

    say(`${cameras} cameras in KV; starting ${workerCount} workers in ${processes} processes`)
    let live: string[] = []
    const v0 = await varz()
    const w0 = work()
    takeLag()
    const t0 = Date.now()
    for (let p = 0; p < processes; p++) { spawnKid(`p${p}`); live.push(...workerIds(`p${p}`)) }
    const placed = await settle(t0, live)
    const placeMsgs = msgsSince(v0, await varz())
    const placeWork = workSince(w0)
    say(`placed: all workers members after ${placed.allMembersMs} ms, every camera owned after ${placed.allOwnedMs} ms, exactly as placement says after ${placed.exactMs} ms; ${JSON.stringify(placeWork)}`)
    const ws = work()
    takeLag()
    const steady = await rate(10)
    const steadyWork = workSince(ws)
    say(`steady: ${JSON.stringify(steady)}`)
    const rssMB = [...kids.values()].reduce((n, k) => n + k.rss, 0) / 1048576
    const heapMB = [...kids.values()].reduce((n, k) => n + k.heap, 0) / 1048576

    const file = fileURLToPath(new URL('./results/cluster.json', import.meta.url))
    if (Number.isNaN(placed.exactMs)) {
      // not placed within the limit: the start-up is the figure, leaving and joining are not measured
      const wrong = ids.filter((c) => placed.owners.get(c) === undefined).length
      const run = {
        cameras, workers: workerCount, workersPerProcess: perProcess, processes, capacityPerWorker: CAPACITY,
        place: { notPlacedWithinMs: limitMs, allWorkersJoinedMs: placed.allMembersMs, camerasWithoutLiveOwnerAtTheEnd: wrong, natsMsgs: placeMsgs, work: placeWork },
        natsAtTheEnd: steady, memory: { rssPerProcessMB: Math.round(rssMB / processes), heapPerWorkerMB: Math.round(heapMB / workerCount * 10) / 10 },
        date: new Date().toISOString(),
      }
      if (arg('out', 'yes') !== 'no') saveRun(file, run)
      console.log(JSON.stringify(run, null, 2))
      await nc.close()
      return
    }

    // one process dies (SIGKILL): 10 % of the workers
    const victim = 'p0'
    kids.get(victim)!.child.kill('SIGKILL')
    gone.push(kids.get(victim)!)
    kids.delete(victim)
    live = live.filter((w) => !w.startsWith(`${victim}-`))
    const v1 = await varz()
    const w1 = work()
    takeLag()
    const t1 = Date.now()
    const died = await settle(t1, live)
    const dieMsgs = msgsSince(v1, await varz())
    const dieWork = workSince(w1)
    const lostCams = [...placed.owners.values()].filter((w) => w.startsWith(`${victim}-`)).length
    const movedDie = [...died.owners].filter(([c, w]) => placed.owners.get(c) !== w).length
    say(`10 % died: ${movedDie} cameras moved (${lostCams} were on the dead workers); every camera owned after ${died.allOwnedMs} ms, placement exact after ${died.exactMs} ms`)

    // one more process joins: 10 % of the workers
    spawnKid('j0')
    live.push(...workerIds('j0'))
    const v2 = await varz()
    const w2 = work()
    takeLag()
    const t2 = Date.now()
    const joined = await settle(t2, live)
    const joinMsgs = msgsSince(v2, await varz())
    const joinWork = workSince(w2)
    const movedJoin = [...joined.owners].filter(([c, w]) => died.owners.get(c) !== w).length
    const onJoiners = [...joined.owners.values()].filter((w) => w.startsWith('j0-')).length
    say(`10 % joined: ${movedJoin} cameras moved (${onJoiners} to the new workers); placement exact after ${joined.exactMs} ms (all of them members after ${joined.allMembersMs} ms)`)
    const afterJoin = await rate(10)

    const run = {
      cameras, workers: workerCount, workersPerProcess: perProcess, processes, capacityPerWorker: CAPACITY,
      place: { allWorkersJoinedMs: placed.allMembersMs, allOwnedMs: placed.allOwnedMs, exactMs: placed.exactMs, natsMsgs: placeMsgs, work: placeWork },
      steadyNats: steady,
      steadyCpuPercent: { server: Math.round(steadyWork.serverCpuS * 10), allWorkers: Math.round(steadyWork.workersCpuS * 10) },
      steadyWork,
      memory: { rssPerProcessMB: Math.round(rssMB / processes), rssPerWorkerMB: Math.round(rssMB / workerCount * 10) / 10, heapPerWorkerMB: Math.round(heapMB / workerCount * 10) / 10 },
      workersDie: { workers: perProcess, camerasOnDeadWorkers: lostCams, camerasMoved: movedDie, allOwnedMs: died.allOwnedMs, exactMs: died.exactMs, natsMsgs: dieMsgs, work: dieWork },
      workersJoin: { workers: perProcess, allJoinedMs: joined.allMembersMs, camerasMoved: movedJoin, camerasOnNewWorkers: onJoiners, fairShare: Math.round(cameras * perProcess / (workerCount)), exactMs: joined.exactMs, natsMsgs: joinMsgs, work: joinWork, natsAfter: afterJoin },
      date: new Date().toISOString(),
    }
    if (arg('out', 'yes') !== 'no') saveRun(file, run)
    console.log(JSON.stringify(run, null, 2))
    await nc.close()
  } finally {
    for (const k of kids.values()) k.child.kill('SIGKILL')
    server.kill('SIGTERM')
    await new Promise((r) => server.once('exit', r))
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Puts one run's figures into bench/results/cluster.json, replacing an earlier run of the same size. */
function saveRun(file: string, run: { cameras: number; workers: number }): void {
  const old = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as { runs?: { cameras: number; workers: number }[]; notes?: unknown } : {}
  const runs = [...(old.runs ?? []).filter((r) => !(r.cameras === run.cameras && r.workers === run.workers)), run].sort((a, b) => a.workers - b.workers)
  const result = {
    what: 'oko worker scale simulation: simulated cameras (no frames), real nats-server 2.9 -js (R1) on 127.0.0.1, runWorker as oko worker runs it (own NATS connection each), workers/10 per process in 10 processes; 10 % die = SIGKILL of one process, 10 % join = one more process',
    machine: '2 cores shared by every process (server, all workers, and other sessions on the machine), 24 GiB',
    timings: DEFAULT_TIMINGS,
    settled: 'every camera key names exactly the worker placement gives it among the live workers (computed by the bench), on two reads 2 s apart',
    command: 'nice node --conditions oko-source --import tsx bench/cluster-scale.ts --cameras <n> --workers <n>',
    // what was learnt from the runs, written by hand, kept
    ...(old.notes ? { notes: old.notes } : {}),
    runs,
  }
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
}
