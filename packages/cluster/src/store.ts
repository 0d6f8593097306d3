import { nanos, type JetStreamManager, type KV, type KvEntry, type NatsConnection } from 'nats'
import type { ClusterTimings } from './lease.js'

/** Names of what a cluster keeps in JetStream. */
export const BUCKETS = {
  /**
   * The deployment: `config` (everything but cameras), `cam.<id>` (one camera entry each) and
   * `index` (every camera id with the revision of its `cam.<id>`: what workers watch, so a
   * worker reads one key at start-up rather than every camera's entry).
   */
  deploy: 'oko_deploy',
  /**
   * Per worker: `<worker id>` → its heartbeat, which is also the lease of all its cameras
   * (renewed by CAS on its revision; read by nobody in steady state: by the worker auditing it,
   * by a worker taking one of its cameras, by status), `cams.<worker id>` → its cameras and their
   * states (read by status and by the worker that takes a camera over).
   */
  workers: 'oko_workers',
  /**
   * Membership: `<worker id>` → id, capacity and state, written when a worker joins, starts
   * leaving or leaves, and deleted by the worker before it on the ring once its heartbeat is older
   * than the worker timeout. Every worker watches this bucket, so deliveries grow with workers ×
   * membership changes, not workers² × heartbeats. No TTL: a member is removed, never expires.
   */
  members: 'oko_members',
  /** One key per placed camera: `cam.<id>` → the worker that runs it. No TTL: valid while its worker's heartbeat is. */
  leases: 'oko_leases',
} as const

/**
 * The deploy bucket's key listing every camera and the revision of its entry: ~20 bytes a camera
 * (6,500 cameras: ~130 KB), so NATS' default 1 MB max_payload holds a few tens of thousands.
 */
export const DEPLOY_INDEX_KEY = 'index'

/** What `index` holds: camera id → revision of its `cam.<id>` key, and the revision of `config` (so workers watch one key). */
export interface DeployIndex {
  readonly cameras: Readonly<Record<string, number>>
  readonly configRevision: number
}

export const EVENTS_STREAM = 'OKO_EVENTS'
export const EVENTS_SUBJECT = 'oko.events'
/** How long the stream remembers a Nats-Msg-Id to drop a resend of it. */
export const DUPLICATE_WINDOW_MS = 120_000

export interface ClusterBuckets {
  readonly deploy: KV
  readonly workers: KV
  readonly members: KV
  readonly leases: KV
}

/**
 * Makes (or updates) the buckets and the events stream with `replicas` copies: what
 * `oko cluster apply` does. R3 needs three servers; an R1 stream on one 2.9 server does not
 * sync each write to disk, so it can lose the last writes on power loss.
 */
export async function createClusterStore(nc: NatsConnection, timings: ClusterTimings, replicas: number): Promise<ClusterBuckets> {
  const js = nc.jetstream()
  const deploy = await js.views.kv(BUCKETS.deploy, { history: 5, replicas })
  const workers = await js.views.kv(BUCKETS.workers, { history: 1, replicas, ttl: BUCKET_TTL_MS.workers })
  const members = await js.views.kv(BUCKETS.members, { history: 1, replicas })
  const leases = await js.views.kv(BUCKETS.leases, { history: 1, replicas })
  const jsm = await nc.jetstreamManager()
  // a bucket made by an earlier layout keeps its settings (nats.js binds to it as it is): set its TTL
  for (const name of ['deploy', 'workers', 'members', 'leases'] as const) await ensureBucketTtl(jsm, BUCKETS[name], BUCKET_TTL_MS[name])
  await ensureEventsStream(jsm, replicas)
  return { deploy, workers, members, leases }
}

/**
 * Each bucket's TTL (0: none). Heartbeats stay a minute after a worker is gone, so status can say
 * when it was last seen. Camera keys have none: a key is valid while its worker's heartbeat is
 * (timings.leaseTtlMs), not by its own age; one that expired under a running worker would let a
 * second worker create it and run the camera too (the TTL an earlier layout gave `oko_leases`).
 */
export const BUCKET_TTL_MS = { deploy: 0, workers: 60_000, members: 0, leases: 0 } as const

/** Updates a bucket's stream to its TTL where it has another one (a bucket an earlier version made). */
async function ensureBucketTtl(jsm: JetStreamManager, bucket: string, ttlMs: number): Promise<void> {
  const info = await jsm.streams.info(`KV_${bucket}`)
  if (info.config.max_age === nanos(ttlMs)) return
  await jsm.streams.update(info.config.name, { ...info.config, max_age: nanos(ttlMs) })
}

async function ensureEventsStream(jsm: JetStreamManager, replicas: number): Promise<void> {
  try {
    await jsm.streams.info(EVENTS_STREAM)
  } catch {
    await jsm.streams.add({ name: EVENTS_STREAM, subjects: [`${EVENTS_SUBJECT}.>`], duplicate_window: nanos(DUPLICATE_WINDOW_MS), num_replicas: replicas })
  }
}

/**
 * Binds to the buckets `oko cluster apply` made; undefined while they do not exist yet.
 * `requestTimeoutMs` bounds each write's wait for its answer: a worker passes its renewal period,
 * so a renewal lost in a server restart is retried at once rather than after the client's 5 s
 * default (which is longer than the fence, and would stop the camera).
 */
export async function openClusterStore(nc: NatsConnection, requestTimeoutMs?: number): Promise<ClusterBuckets | undefined> {
  // heartbeat and lease writes get the short timeout; watches a long one: when hundreds of workers
  // start at once the server takes seconds to create their consumers, and a retry only adds more
  const js = nc.jetstream({ timeout: 30_000 })
  const leaseJs = requestTimeoutMs ? nc.jetstream({ timeout: requestTimeoutMs }) : nc.jetstream()
  try {
    const timeout = requestTimeoutMs ? { timeout: requestTimeoutMs } : {}
    const [deploy, workers, members, leases] = await Promise.all([
      js.views.kv(BUCKETS.deploy, { bindOnly: true }),
      leaseJs.views.kv(BUCKETS.workers, { bindOnly: true, ...timeout }),
      js.views.kv(BUCKETS.members, { bindOnly: true }),
      leaseJs.views.kv(BUCKETS.leases, { bindOnly: true, ...timeout }),
    ])
    return { deploy, workers, members, leases }
  } catch {
    return undefined
  }
}

/**
 * Every live key of a bucket with its entry, read through a watch of last values. Bounded by
 * `timeoutMs`: while a JetStream cluster elects a new leader for the bucket's stream (a node was
 * lost) the watch gets no answer, and the error says so instead of hanging; the caller retries.
 */
export async function snapshot(kv: KV, key?: string, timeoutMs = 10_000): Promise<Map<string, KvEntry>> {
  const out = new Map<string, KvEntry>()
  let done!: () => void
  const initialized = new Promise<void>((r) => (done = r))
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a bucket of the cluster did not answer within ${timeoutMs} ms (its stream may be electing a leader after a NATS node was lost): try again`)), timeoutMs)
  })
  const opening = kv.watch({ ...(key ? { key } : {}), initializedFn: () => done() })
  try {
    const watch = await Promise.race([opening, deadline])
    void (async () => {
      for await (const e of watch) {
        if (e.operation === 'PUT') out.set(e.key, e)
        else out.delete(e.key)
      }
    })()
    try {
      await Promise.race([initialized, deadline])
    } finally {
      watch.stop()
    }
    return out
  } catch (err) {
    // a watch that opens after the deadline is stopped at once
    opening.then((w) => w.stop(), () => undefined)
    throw err
  } finally {
    clearTimeout(timer)
  }
}

/** A camera id as a KV key token (KV keys allow `-/_=.a-zA-Z0-9`). */
export function cameraKey(cameraId: string): string {
  return `cam.${encodeURIComponent(cameraId).replace(/%/g, '=')}`
}

export function cameraOfKey(key: string): string {
  return decodeURIComponent(key.slice(4).replace(/=/g, '%'))
}

/** What a worker's membership key says. */
export interface MemberValue {
  readonly id: string
  readonly capacity: number
  readonly state: 'running' | 'leaving'
  readonly startedMs: number
}

/** What a worker's heartbeat (and the lease of its cameras) says. */
export interface Heartbeat {
  readonly id: string
  readonly capacity: number
  readonly state: 'running' | 'leaving'
  readonly startedMs: number
  /** Cameras it runs now (their states are under `cams.<id>`). */
  readonly load: number
  /** Claims that failed for an unexpected reason since the worker started (absent: none). */
  readonly claimErrors?: number
}

/** The key of a worker's camera report in the workers bucket. */
export const reportKey = (workerId: string): string => `cams.${workerId}`

/** What a worker reports of its cameras, beside each heartbeat. */
export interface WorkerReport {
  readonly id: string
  readonly cameras: readonly CameraReport[]
}

export type CameraState = 'starting' | 'playing' | 'reconnecting' | 'failed' | 'ended'

export interface CameraReport {
  readonly id: string
  readonly state: CameraState
  readonly reason?: string
  /** Wall-clock ms of its last frame here. */
  readonly lastFrameMs?: number
}

/** What a lease key holds. */
export interface LeaseValue {
  readonly worker: string
  readonly claimedMs: number
}

export const encodeJson = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))
