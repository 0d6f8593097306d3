import type { LeaseValue, ClusterBuckets, Heartbeat, WorkerReport } from './store.js'
import { cameraOfKey, snapshot } from './store.js'
import { DEFAULT_TIMINGS } from './lease.js'

export type ClusterCameraState = 'moving' | 'starting' | 'playing' | 'reconnecting' | 'failed' | 'ended'

export interface ClusterStatus {
  readonly cameras: { id: string; worker: string | null; state: ClusterCameraState; reason?: string }[]
  readonly workers: { id: string; cameras: number; capacity: number; lastSeenMs: number }[]
}

/**
 * Every camera with the worker holding its lease and the state that worker reports; `moving`
 * when no live worker holds it (none yet, or its worker stopped heart-beating). Every worker seen
 * within the last minute with its load, capacity and last heartbeat (ms since the epoch, the
 * server's clock).
 */
export async function clusterStatus(store: ClusterBuckets, timings = DEFAULT_TIMINGS): Promise<ClusterStatus> {
  const [deploy, leases, workers] = await Promise.all([snapshot(store.deploy), snapshot(store.leases), snapshot(store.workers)])
  const beats = new Map<string, { hb: Heartbeat; seenMs: number }>()
  const reports = new Map<string, WorkerReport>()
  let newestMs = 0
  for (const [key, e] of workers) {
    if (key.startsWith('cams.')) { reports.set(key.slice(5), e.json<WorkerReport>()); continue }
    beats.set(key, { hb: e.json<Heartbeat>(), seenMs: e.created.getTime() })
    newestMs = Math.max(newestMs, e.created.getTime())
  }
  const now = Math.max(Date.now(), newestMs)
  const load = new Map<string, number>()
  const cameras: ClusterStatus['cameras'] = []
  for (const key of [...deploy.keys()].filter((k) => k.startsWith('cam.')).sort()) {
    const id = cameraOfKey(key)
    const lease = leases.get(key)
    const worker = lease ? lease.json<LeaseValue>().worker : null
    const beat = worker ? beats.get(worker) : undefined
    const alive = beat !== undefined && beat.hb.state === 'running' && now - beat.seenMs < timings.workerTimeoutMs
    if (worker && alive) load.set(worker, (load.get(worker) ?? 0) + 1)
    const report = alive ? reports.get(worker!)?.cameras.find((c) => c.id === id) : undefined
    const state: ClusterCameraState = !alive ? 'moving' : (report?.state ?? 'starting')
    cameras.push({ id, worker, state, ...(state === 'failed' && report?.reason ? { reason: report.reason } : {}) })
  }
  const list = [...beats.values()].map((b) => ({ id: b.hb.id, cameras: load.get(b.hb.id) ?? 0, capacity: b.hb.capacity, lastSeenMs: b.seenMs })).sort((a, b) => (a.id < b.id ? -1 : 1))
  return { cameras, workers: list }
}
