import { join } from 'node:path'
import type { FrameSource, OkoEvent } from '@oko/core'
import { parseDeployment, runDeployment, type CameraConfig, type Deployment, type DeploymentResult } from '@oko/deploy'
import type { KvEntry, NatsConnection } from 'nats'
import { DEFAULT_TIMINGS, LeaseBook, ServerClock, checkTimings, decideClaim, type ClusterTimings, type LeaseView } from './lease.js'
import { place } from './placement.js'
import {
  BUCKETS, EVENTS_STREAM, EVENTS_SUBJECT, cameraKey, cameraOfKey, encodeJson, openClusterStore,
  reportKey, type CameraReport, type CameraState, type ClusterBuckets, type Heartbeat, type LeaseValue, type WorkerReport,
} from './store.js'
import './events.js'

export interface WorkerOptions {
  readonly nc: NatsConnection
  /** The NATS servers (the events stream output connects to them itself). */
  readonly servers: readonly string[]
  readonly id: string
  /** Camera units this worker runs at most. */
  readonly capacity: number
  /** Where the outbox lives (kept across restarts of the same worker: undelivered events go out then). */
  readonly dataDir: string
  /** Also write every event to this local file (JSON lines). */
  readonly output?: string
  /** Where this worker serves the live page when the deployment has `http:` (default: its `http.listen`; workers on one host need one each). */
  readonly httpListen?: string
  readonly timings?: Partial<ClusterTimings>
  /** Opens a camera (default: as `oko run` does). */
  readonly openSource?: (camera: CameraConfig) => Promise<FrameSource>
  readonly log?: (line: string) => void
  /** Aborting hands every camera over (released at once, not left to time out) and ends the run. */
  readonly signal: AbortSignal
}

interface WorkerView { hb: Heartbeat; createdMs: number; firstSeenMs: number }
interface Running { state: CameraState; reason?: string; lastFrameMs?: number; revision: number; retryAtMs?: number; gap?: { fromWorker: string; fromMs: number; reason: 'worker-lost' | 'handover' } }

/**
 * One `oko worker`: joins the cluster, takes the cameras placement gives it by lease, runs them
 * in one @oko/deploy Deployment and sends their events to the events stream through the outbox.
 * Resolves when the signal aborted (after handing its cameras over) or when the deployment's
 * config changed (`restart: true`: the caller starts a new one).
 */
export async function runWorker(options: WorkerOptions): Promise<{ restart: boolean; result: DeploymentResult }> {
  const log = options.log ?? (() => undefined)
  const timings = checkTimings({ ...DEFAULT_TIMINGS, ...options.timings })
  let store: ClusterBuckets | undefined
  let config: KvEntry | null = null
  for (let said = false; !options.signal.aborted; said = true) {
    store ??= await openClusterStore(options.nc, timings.renewMs)
    config = store ? await store.deploy.get('config').catch(() => null) : null
    if (config?.operation === 'PUT') break
    if (!said) log('no deployment in NATS yet: waiting for `oko cluster apply`')
    await sleep(1000, options.signal)
  }
  if (!store || !config || options.signal.aborted) return { restart: false, result: await emptyResult() }
  const top = config.json<Record<string, unknown>>()
  const deploymentConfig = parseDeployment(JSON.stringify(workerConfig(top, options)), { allowNoCameras: true })
  const stop = new AbortController()
  let member: Member | undefined
  const resultPromise = runDeployment(deploymentConfig, {
    keepOpen: true,
    signal: stop.signal,
    stdout: { write: () => true } as unknown as NodeJS.WritableStream,
    ...(options.openSource ? { openSource: options.openSource } : {}),
    onStart: (deployment) => {
      member = new Member(store!, deployment, options, timings, config!.revision, log)
      member.start()
    },
  })
  let restart = false
  const done = new Promise<void>((resolve) => {
    const finish = () => void member?.leave().finally(() => { stop.abort(); resolve() })
    if (options.signal.aborted) finish()
    else options.signal.addEventListener('abort', finish, { once: true })
    const poll = setInterval(() => {
      if (member?.configChanged) { restart = true; clearInterval(poll); finish() }
    }, 250)
    options.signal.addEventListener('abort', () => clearInterval(poll), { once: true })
  })
  await Promise.race([done, resultPromise.then(() => undefined, () => undefined)])
  stop.abort()
  return { restart, result: await resultPromise }
}

/** The stored deployment with this worker's outputs: the cluster's events stream, its own outbox, an optional local file. */
function workerConfig(top: Record<string, unknown>, o: WorkerOptions): Record<string, unknown> {
  const outputs = (Array.isArray(top.outputs) ? top.outputs : []).filter((x) => x !== 'stdout' && !(typeof x === 'object' && x && 'stdout' in x))
  outputs.push({ nats: { servers: [...o.servers], stream: EVENTS_STREAM, subject: EVENTS_SUBJECT } })
  if (o.output) outputs.push({ file: o.output })
  const outbox = { ...(typeof top.outbox === 'object' && top.outbox ? top.outbox : {}), path: join(o.dataDir, 'outbox.sqlite') }
  const { output: _single, http, ...rest } = top
  return { name: o.id, ...rest, cameras: [], outputs, outbox, ...(http !== undefined ? { http: workerHttp(http, o) } : {}) }
}

/**
 * `http:` on a worker: the live page of the cameras it runs, at `--http` when given, its event
 * index in the worker's data folder (beside its outbox) unless the deployment turned search off.
 */
function workerHttp(http: unknown, o: WorkerOptions): unknown {
  if (typeof http !== 'object' || http === null || Array.isArray(http)) return http // the schema names the mistake
  const h = http as Record<string, unknown>
  const search = h.search === false ? false : { ...(typeof h.search === 'object' && h.search ? h.search : {}), path: join(o.dataDir, 'events.sqlite') }
  return { ...h, search, ...(o.httpListen !== undefined ? { listen: o.httpListen } : {}) }
}

async function emptyResult(): Promise<DeploymentResult> {
  return { summary: { framesIn: 0 } as DeploymentResult['summary'], failedCameras: [], delivery: { sinks: [] } }
}

/** The worker's membership: heartbeats, leases, placement, its cameras in the deployment. */
class Member {
  readonly configChanged_: { value: boolean } = { value: false }
  readonly #s: ClusterBuckets
  readonly #d: Deployment
  readonly #o: WorkerOptions
  readonly #t: ClusterTimings
  readonly #log: (line: string) => void
  readonly #book: LeaseBook
  readonly #clock = new ServerClock()
  readonly #configRevision: number
  readonly #cameras = new Map<string, { entry: Record<string, unknown>; revision: number }>()
  readonly #workers = new Map<string, WorkerView>()
  /** The last heartbeat of workers that left (deleted their key): who ran a camera handed over to this one. */
  readonly #departed = new Map<string, WorkerView>()
  readonly #running = new Map<string, Running>()
  /** Cameras with a network operation under way (claim, release, restart): one at a time each. */
  readonly #busy = new Set<string>()
  readonly #renewing = new Set<string>()
  readonly #startedMs = Date.now()
  readonly #stops: (() => void)[] = []
  /** Claims that failed for a reason other than a lost race or an unreachable NATS (reported in the heartbeat). */
  claimErrors = 0
  #lastHeartbeatMs = -Infinity
  #hbSentMs = 0
  #leaving = false

  constructor(store: ClusterBuckets, deployment: Deployment, options: WorkerOptions, timings: ClusterTimings, configRevision: number, log: (line: string) => void) {
    this.#s = store
    this.#d = deployment
    this.#o = options
    this.#t = timings
    this.#log = log
    this.#book = new LeaseBook(timings)
    this.#configRevision = configRevision
  }

  get configChanged(): boolean {
    return this.configChanged_.value
  }

  start(): void {
    this.#keepWatching('deployment', () => this.#watchDeploy())
    this.#keepWatching('workers', () => this.#watchWorkers())
    void this.#watchEvents()
    const tick = setInterval(() => this.#tick(), 250)
    this.#stops.push(() => clearInterval(tick))
    this.#tick()
  }

  /** Runs a watch again when it fails to start or ends (a JetStream timeout under load, a server restart) until the worker leaves. */
  #keepWatching(what: string, watch: () => Promise<void>): void {
    void (async () => {
      while (!this.#leaving) {
        try {
          await watch()
        } catch (error) {
          if (this.#leaving) return
          this.#log(`watch of the ${what} failed (${(error as Error)?.message ?? String(error)}): again in 1 s`)
        }
        await new Promise((r) => setTimeout(r, 1000))
      }
    })()
  }

  /** Clean handover: placement stops counting this worker, each camera is stopped and its lease deleted, the heartbeat removed. */
  async leave(): Promise<void> {
    if (this.#leaving) return
    this.#leaving = true
    await this.#heartbeat().catch(() => undefined)
    await Promise.allSettled(this.#book.ids().map((id) => this.#release(id, true)))
    await this.#s.workers.delete(this.#o.id).catch(() => undefined)
    for (const stop of this.#stops) stop()
    this.#log(`left the cluster: cameras handed over`)
  }

  #tick(): void {
    if (this.#leaving) return
    const mono = performance.now()
    if (Date.now() - this.#lastHeartbeatMs >= this.#t.heartbeatMs) void this.#heartbeat().catch(() => undefined)
    // self-fencing first: a camera whose lease this worker could not renew stops before anyone may take it
    for (const lease of this.#book.dueForFence(mono)) {
      this.#book.drop(lease.cameraId)
      const ageMs = Math.round(mono - lease.sentMs)
      void this.#stopCamera(lease.cameraId).then(() => this.#log(`camera ${lease.cameraId}: stopped (fenced: lease not renewed for ${ageMs} ms)`))
    }
    for (const lease of this.#book.dueForRenewal(mono)) void this.#renew(lease.cameraId)
    this.#placeAndClaim()
  }

  async #heartbeat(): Promise<void> {
    this.#lastHeartbeatMs = Date.now()
    const cameras: CameraReport[] = [...this.#running].map(([id, r]) => ({ id, state: r.state, ...(r.reason ? { reason: r.reason } : {}), ...(r.lastFrameMs ? { lastFrameMs: r.lastFrameMs } : {}) }))
    const hb: Heartbeat = { id: this.#o.id, capacity: this.#o.capacity, state: this.#leaving ? 'leaving' : 'running', startedMs: this.#startedMs, load: cameras.length, ...(this.claimErrors > 0 ? { claimErrors: this.claimErrors } : {}) }
    const report: WorkerReport = { id: this.#o.id, cameras }
    this.#hbSentMs = Date.now()
    await Promise.all([this.#s.workers.put(reportKey(this.#o.id), encodeJson(report)), this.#s.workers.put(this.#o.id, encodeJson(hb))])
  }

  async #renew(cameraId: string): Promise<void> {
    const lease = this.#book.get(cameraId)
    if (!lease || this.#renewing.has(cameraId)) return
    this.#renewing.add(cameraId)
    const sent = performance.now()
    const from = lease.revision
    try {
      const revision = await this.#s.leases.update(cameraKey(cameraId), encodeJson(this.#leaseValue()), from)
      this.#book.renewed(cameraId, from, revision, sent)
    } catch (error) {
      // another revision: the lease is someone else's now (this worker was fenced or too late); stop at once
      if (/wrong last sequence/i.test((error as Error).message) && this.#book.get(cameraId)?.revision === from) {
        this.#book.drop(cameraId)
        await this.#stopCamera(cameraId)
        this.#log(`camera ${cameraId}: stopped (lease lost: ${(error as Error).message})`)
      }
      // otherwise (disconnected, timeout) the next tick tries again; the fence stops the camera in time
    } finally {
      this.#renewing.delete(cameraId)
    }
  }

  #leaseValue(): LeaseValue {
    return { worker: this.#o.id, claimedMs: Date.now() }
  }

  /** Workers placement counts: heartbeat younger than the timeout on the server's clock, not leaving; this one always. */
  #liveWorkers(): { id: string; capacity: number }[] {
    const now = this.#clock.now()
    const live = [...this.#workers.values()].filter((w) => w.hb.id !== this.#o.id && w.hb.state === 'running' && now - w.createdMs < this.#t.workerTimeoutMs)
    return [...live.map((w) => ({ id: w.hb.id, capacity: w.hb.capacity })), { id: this.#o.id, capacity: this.#o.capacity }]
  }

  /** The placement for the cameras and workers it was computed for (place() is O(cameras × workers)). */
  #placement: { key: string; desired: Map<string, string> } | undefined
  #camerasVersion = 0

  #placeAndClaim(): void {
    const live = this.#liveWorkers()
    const key = `${this.#camerasVersion}|${live.map((w) => `${w.id}:${w.capacity}`).sort().join(',')}`
    if (this.#placement?.key !== key) this.#placement = { key, desired: place([...this.#cameras.keys()], live) }
    const desired = this.#placement.desired
    const me = this.#o.id
    for (const [cameraId, worker] of desired) {
      if (worker !== me || this.#book.has(cameraId) || this.#busy.has(cameraId)) continue
      void this.#claim(cameraId)
    }
    const now = this.#clock.now()
    for (const cameraId of this.#book.ids()) {
      if (this.#busy.has(cameraId)) continue
      const camera = this.#cameras.get(cameraId)
      if (!camera) { void this.#release(cameraId, false); continue }
      const target = desired.get(cameraId)
      const view = target ? this.#workers.get(target) : undefined
      // a rebalance waits until the new worker has been seen alive for two heartbeats (no flapping at a join)
      if (target && target !== me && view && now - view.firstSeenMs >= 2 * this.#t.heartbeatMs) { void this.#release(cameraId, false); continue }
      const running = this.#running.get(cameraId)
      if (running && running.revision !== camera.revision) void this.#restartCamera(cameraId)
      else if (running?.state === 'failed' && running.retryAtMs !== undefined && Date.now() >= running.retryAtMs) void this.#restartCamera(cameraId)
    }
  }

  async #claim(cameraId: string): Promise<void> {
    this.#busy.add(cameraId)
    try {
      const key = cameraKey(cameraId)
      const entry = await this.#s.leases.get(key)
      const view: LeaseView = entry && entry.operation === 'PUT'
        ? { kind: 'held', worker: entry.json<LeaseValue>().worker, revision: entry.revision, createdMs: entry.created.getTime() }
        : { kind: 'free', ...(entry ? { revision: entry.revision } : {}) }
      const decision = decideClaim(this.#o.id, view, this.#clock.now(), this.#t)
      if (decision.action === 'wait') return
      const sent = performance.now()
      const value = encodeJson(this.#leaseValue())
      const revision = decision.action === 'create' ? await this.#s.leases.create(key, value) : await this.#s.leases.update(key, value, decision.revision)
      this.#book.claimed(cameraId, revision, sent)
      const gap = await this.#previousOwner(cameraId, entry, decision.action === 'take' ? decision.from : undefined).catch(() => undefined)
      this.#log(`camera ${cameraId}: lease ${decision.action === 'create' ? 'created' : decision.action === 'take' ? `taken from ${decision.from}` : 'resumed'} (revision ${revision})`)
      await this.#startCamera(cameraId, gap)
    } catch (error) {
      // someone else was faster, or NATS is unreachable: the next tick looks again; anything else is a fault, counted and reported
      if (!isExpectedClaimError(error)) {
        this.claimErrors++
        this.#log(`camera ${cameraId}: claim failed (${this.claimErrors} unexpected so far): ${(error as Error)?.message ?? String(error)}`)
      }
    } finally {
      this.#busy.delete(cameraId)
    }
  }

  /**
   * Who ran the camera before and its last frame there, from the camera reports of the likely
   * previous owners: the one whose lease was taken, workers leaving or gone (a clean release
   * deletes the lease, so its holder is not in it) and, for a lease the bucket TTL expired,
   * workers whose heartbeat timed out. A camera released by a rebalance
   * from a worker still running is not looked for (that would read every worker's report).
   */
  async #previousOwner(cameraId: string, lease: KvEntry | null, takenFrom: string | undefined): Promise<Running['gap']> {
    const released = lease !== null && lease.operation !== 'PUT'
    const candidates = new Map<string, WorkerView | undefined>()
    if (takenFrom) candidates.set(takenFrom, this.#workers.get(takenFrom) ?? this.#departed.get(takenFrom))
    if (released) for (const w of this.#workers.values()) if (w.hb.state === 'leaving') candidates.set(w.hb.id, w)
    if (lease === null) {
      // expired by the bucket TTL: its holder stopped heart-beating too
      const now = this.#clock.now()
      for (const w of this.#workers.values()) if (now - w.createdMs >= this.#t.workerTimeoutMs) candidates.set(w.hb.id, w)
    }
    if (released || lease === null) for (const w of this.#departed.values()) candidates.set(w.hb.id, w)
    candidates.delete(this.#o.id)
    for (const [id, view] of candidates) {
      const entry = await this.#s.workers.get(reportKey(id))
      const report = entry?.operation === 'PUT' ? entry.json<WorkerReport>().cameras.find((c) => c.id === cameraId) : undefined
      if (!report) continue
      return { fromWorker: id, fromMs: released ? lease.created.getTime() : (report.lastFrameMs ?? view?.createdMs ?? lease!.created.getTime()), reason: released ? 'handover' : 'worker-lost' }
    }
    return undefined
  }

  async #startCamera(cameraId: string, gap?: Running['gap']): Promise<void> {
    const camera = this.#cameras.get(cameraId)
    if (!camera) return
    const running: Running = { state: 'starting', revision: camera.revision, ...(gap ? { gap } : {}) }
    this.#running.set(cameraId, running)
    try {
      await this.#d.addCamera(camera.entry)
    } catch (error) {
      running.state = 'failed'
      running.reason = (error as Error).message
      running.retryAtMs = Date.now() + 10_000
      this.#log(`camera ${cameraId}: cannot start: ${running.reason}`)
    }
  }

  async #stopCamera(cameraId: string): Promise<void> {
    const running = this.#running.get(cameraId)
    this.#running.delete(cameraId)
    if (running && running.state !== 'failed') await this.#d.removeCamera(cameraId).catch(() => undefined)
  }

  async #restartCamera(cameraId: string): Promise<void> {
    this.#busy.add(cameraId)
    try {
      await this.#stopCamera(cameraId)
      if (this.#book.has(cameraId)) await this.#startCamera(cameraId)
    } finally {
      this.#busy.delete(cameraId)
    }
  }

  /** Stops the camera, then deletes its lease (CAS on the revision held), so the next owner may create it at once. */
  async #release(cameraId: string, leaving: boolean): Promise<void> {
    if (!leaving && this.#busy.has(cameraId)) return
    this.#busy.add(cameraId)
    try {
      await this.#stopCamera(cameraId)
      const lease = this.#book.get(cameraId)
      this.#book.drop(cameraId)
      if (lease) await this.#s.leases.delete(cameraKey(cameraId), { previousSeq: lease.revision }).catch(() => undefined)
      this.#log(`camera ${cameraId}: stopped (released)`)
    } finally {
      this.#busy.delete(cameraId)
    }
  }

  async #watchDeploy(): Promise<void> {
    const watch = await this.#s.deploy.watch()
    this.#stops.push(() => watch.stop())
    for await (const e of watch) {
      if (e.key === 'config') {
        if (e.revision !== this.#configRevision) {
          this.#log('the deployment config changed: restarting this worker\'s pipeline')
          this.configChanged_.value = true
        }
      } else if (e.key.startsWith('cam.')) {
        const id = cameraOfKey(e.key)
        if (e.operation === 'PUT') this.#cameras.set(id, { entry: e.json<Record<string, unknown>>(), revision: e.revision })
        else this.#cameras.delete(id)
        this.#camerasVersion++
      }
    }
  }

  async #watchWorkers(): Promise<void> {
    // heartbeats only (one-token keys), not the camera reports
    const watch = await this.#s.workers.watch({ key: '*' })
    this.#stops.push(() => watch.stop())
    for await (const e of watch) {
      if (e.operation !== 'PUT') {
        const gone = this.#workers.get(e.key)
        this.#workers.delete(e.key)
        if (gone) this.#departed.set(e.key, gone)
        if (this.#departed.size > 1000) this.#departed.delete(this.#departed.keys().next().value!)
        continue
      }
      this.#departed.delete(e.key)
      const createdMs = e.created.getTime()
      if (e.key === this.#o.id) this.#clock.observe(createdMs, this.#hbSentMs)
      const hb = e.json<Heartbeat>()
      const known = this.#workers.get(e.key)
      // one that comes back after its timeout counts as new (the settle wait starts again)
      const fresh = !known || createdMs - known.createdMs >= this.#t.workerTimeoutMs
      this.#workers.set(e.key, { hb, createdMs, firstSeenMs: fresh ? createdMs : known.firstSeenMs })
    }
  }

  /** Camera states from the run's own events; the gap event once a moved camera plays here. */
  async #watchEvents(): Promise<void> {
    const sub = this.#d.subscribe({ name: 'cluster', capacity: 256, overflow: 'drop-oldest', filter: (e) => 'cameraId' in e && e.type !== 'gap' })
    this.#stops.push(() => void sub.close?.())
    for await (const event of sub as AsyncIterable<OkoEvent>) {
      const cameraId = (event as { cameraId?: string }).cameraId
      const running = cameraId ? this.#running.get(cameraId) : undefined
      if (!running || !cameraId) continue
      if ('seq' in event && event.type !== 'source') running.lastFrameMs = event.timeMs
      if (event.type === 'source') {
        const state = event.state
        if (state === 'playing') {
          running.state = 'playing'
          delete running.reason
          running.lastFrameMs = event.timeMs
          if (running.gap) {
            const g = running.gap
            delete running.gap
            this.#d.run.publish({ type: 'gap', cameraId, reason: g.reason, fromWorker: g.fromWorker, toWorker: this.#o.id, fromMs: g.fromMs, toMs: event.timeMs, gapMs: Math.max(0, event.timeMs - g.fromMs) })
          }
        } else if (state === 'reconnecting' || state === 'stalled' || state === 'connecting') {
          running.state = state === 'connecting' ? 'starting' : 'reconnecting'
        } else if (state === 'failed' || state === 'unauthorized') {
          running.state = 'failed'
          running.reason = event.detail ?? state
        } else if (state === 'ended') {
          running.state = 'ended'
        }
      }
    }
  }
}

/**
 * Errors a claim expects: another worker's write came first (`wrong last sequence`, or the key
 * exists for an exclusive create), or NATS cannot be reached now (timeout, disconnect, no
 * JetStream responders during a leader election or restart).
 */
export function isExpectedClaimError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined
  const code = typeof e?.code === 'string' ? e.code : ''
  if (['TIMEOUT', 'DISCONNECT', 'CONNECTION_CLOSED', 'CONNECTION_DRAINING', 'CONNECTION_REFUSED', '503', 'REQUEST_ERROR'].includes(code)) return true
  const message = typeof e?.message === 'string' ? e.message : ''
  return /wrong last sequence|key exists|timeout|no responders|disconnect|connection closed|jetstream not enabled|leader/i.test(message)
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
  })
}

export { BUCKETS }
