import type { OkoEvent } from '@oko/core'
import type { Deployment } from '@oko/deploy'
import type { KvEntry } from 'nats'
import { OwnLease, ServerClock, decideClaim, type ClusterTimings, type LeaseView } from './lease.js'
import { place } from './placement.js'
import { memberTimedOut, ringSuccessors, type MemberView } from './roster.js'
import { CameraRuns, type CameraRun } from './runs.js'
import {
  DEPLOY_INDEX_KEY, cameraKey, encodeJson, reportKey,
  type CameraReport, type ClusterBuckets, type DeployIndex, type Heartbeat, type LeaseValue, type MemberValue, type WorkerReport,
} from './store.js'
import './events.js'

export interface MemberOptions {
  readonly id: string
  readonly capacity: number
}

/** A changed membership or camera list is placed once it has been quiet this long (a join wave of many workers is placed a few times, not once per worker). */
const PLACE_QUIET_MS = 500
/** …but at least this often while it keeps changing. */
const PLACE_MAX_WAIT_MS = 5000
/** A lease write whose answer timed out may still land this long after (a busy server's queue): its key is looked at again until then. */
const LATE_WRITE_MS = 10_000

/**
 * A worker's membership: its heartbeat (the lease of all its cameras), the membership watch,
 * placement, claims and releases, the audit of the next member on the ring, its cameras in the
 * deployment. Steady state costs NATS one heartbeat write and read-back per `renewMs`, one
 * heartbeat read per `heartbeatMs` (the audit) and a camera report when states change: nothing
 * grows with the number of cameras or (per worker) with the number of workers.
 */
export class Member {
  configChanged = false
  /** Claims that failed for a reason other than a lost race or an unreachable NATS (reported in the heartbeat). */
  claimErrors = 0
  readonly #s: ClusterBuckets
  readonly #d: Deployment
  readonly #o: MemberOptions
  readonly #t: ClusterTimings
  readonly #log: (line: string) => void
  readonly #lease: OwnLease
  readonly #clock = new ServerClock()
  readonly #configRevision: number
  /** Camera id → revision of its entry, from the deployment's index. */
  #index = new Map<string, number>()
  #indexReady = false
  #camerasVersion = 0
  readonly #members = new Map<string, MemberView>()
  #membersReady = false
  #membersVersion = 0
  /** Members that left or were removed: who ran a camera handed over to this one. */
  readonly #departed = new Map<string, MemberView>()
  /** Cameras whose key this worker holds → the key's revision (the fencing token of its next CAS). */
  readonly #owned = new Map<string, number>()
  /** Camera keys that may still name this worker though it runs them no more (fenced, a failed delete, a previous run): deleted by CAS once reachable. */
  readonly #orphans = new Map<string, number | undefined>()
  /** Orphans whose last write's outcome is unknown (it timed out) → since when (Date.now ms): it may still land. */
  readonly #unknownSince = new Map<string, number>()
  readonly #running: CameraRuns
  /** Cameras with a network operation under way (claim, release, restart): one at a time each. */
  readonly #busy = new Set<string>()
  /** Cameras not to claim again before this time (Date.now ms): their holder is alive. */
  readonly #retryAt = new Map<string, number>()
  readonly #reports = new Map<string, { report: WorkerReport | undefined; readMs: number }>()
  readonly #startedMs = Date.now()
  readonly #stops: (() => void)[] = []
  #placement: { key: string; mine: string[]; desired: Map<string, string>; atMs: number } | undefined
  #changedMs = 0
  #renewing = false
  #auditing = false
  #lastPeriodMs = -Infinity
  #lastMemberPutMs = -Infinity
  #lastReport = { text: '', ms: -Infinity }
  #leaving = false

  constructor(store: ClusterBuckets, deployment: Deployment, options: MemberOptions, timings: ClusterTimings, configRevision: number, log: (line: string) => void) {
    this.#s = store
    this.#d = deployment
    this.#o = options
    this.#t = timings
    this.#log = log
    this.#lease = new OwnLease(timings)
    this.#configRevision = configRevision
    this.#running = new CameraRuns({
      entry: async (cameraId) => {
        const entry = await this.#s.deploy.get(cameraKey(cameraId))
        return entry?.operation === 'PUT' ? { config: entry.json<Record<string, unknown>>(), revision: entry.revision } : undefined
      },
      addCamera: (config) => this.#d.addCamera(config),
      removeCamera: (cameraId) => this.#d.removeCamera(cameraId),
      owns: (cameraId) => this.#owned.has(cameraId) && !this.#leaving,
      log,
    })
  }

  start(): void {
    this.#keepWatching('camera index', () => this.#watchIndex())
    this.#keepWatching('membership', () => this.#watchMembers())
    void this.#watchEvents()
    void this.#recoverPreviousRun()
    const tick = setInterval(() => this.#tick(), 250)
    this.#stops.push(() => clearInterval(tick))
    this.#tick()
  }

  /** Runs a watch again when it fails to start or ends (a JetStream timeout under load, a server restart) until the worker leaves. */
  #keepWatching(what: string, watch: () => Promise<void>): void {
    void (async () => {
      for (let failures = 0; !this.#leaving; failures++) {
        const startedMs = Date.now()
        try {
          await watch()
        } catch (error) {
          if (this.#leaving) return
          // a watch that ran a while starts again at once; failures back off (1, 2, 4… 16 s, jittered) so hundreds of workers do not retry in step
          if (Date.now() - startedMs > 60_000) failures = 0
          const waitMs = Math.round(1000 * 2 ** Math.min(failures, 4) * (0.5 + Math.random()))
          this.#log(`watch of the ${what} failed (${(error as Error)?.message ?? String(error)}): again in ${(waitMs / 1000).toFixed(1)} s`)
          await new Promise((r) => setTimeout(r, waitMs))
          continue
        }
        failures = -1
        await new Promise((r) => setTimeout(r, 1000))
      }
    })()
  }

  /** Clean handover: placement stops counting this worker, each camera is stopped and its key deleted, then the heartbeat and membership. */
  async leave(): Promise<void> {
    if (this.#leaving) return
    this.#leaving = true
    await this.#s.members.put(this.#o.id, encodeJson(this.#memberValue('leaving'))).catch(() => undefined)
    await Promise.allSettled([...this.#owned.keys()].map((id) => this.#release(id, true)))
    await this.#s.workers.delete(this.#o.id).catch(() => undefined)
    await this.#s.members.delete(this.#o.id).catch(() => undefined)
    for (const stop of this.#stops) stop()
    this.#log('left the cluster: cameras handed over')
  }

  #tick(): void {
    if (this.#leaving) return
    const mono = performance.now()
    // self-fencing first: with its heartbeat not renewed, this worker stops every camera before anyone may take one
    if (this.#lease.stale(mono) && this.#owned.size > 0) this.#fenceAll(`heartbeat not renewed for ${Math.round(mono - this.#lease.sentMs)} ms`)
    if (this.#lease.due(mono)) void this.#renew()
    if (!this.#fresh()) return
    if (Date.now() - this.#lastPeriodMs >= this.#t.heartbeatMs) {
      this.#lastPeriodMs = Date.now()
      void this.#report().catch(() => undefined)
      void this.#audit()
      void this.#ensureMember()
    }
    this.#placeAndClaim()
    this.#cleanOrphans()
  }

  /** Whether this worker may run and claim cameras: its heartbeat was renewed within the fence. */
  #fresh(): boolean {
    return this.#lease.revision > 0 && !this.#lease.stale(performance.now())
  }

  #fenceAll(reason: string): void {
    for (const [cameraId, revision] of this.#owned) {
      this.#owned.delete(cameraId)
      this.#orphans.set(cameraId, revision)
      // busy until stopped: a claim that resumes it must not start it again while it still runs
      this.#busy.add(cameraId)
      void this.#running.stop(cameraId).then(() => {
        this.#busy.delete(cameraId)
        this.#log(`camera ${cameraId}: stopped (fenced: ${reason})`)
      })
    }
  }

  #memberValue(state: MemberValue['state']): MemberValue {
    return { id: this.#o.id, capacity: this.#o.capacity, state, startedMs: this.#startedMs }
  }

  /** Renews the heartbeat by CAS on its revision (creates it on the first run), then reads the server's stamp on it for the clock. */
  async #renew(): Promise<void> {
    if (this.#renewing) return
    this.#renewing = true
    const sent = performance.now()
    const sentWallMs = Date.now()
    const from = this.#lease.revision
    const hb: Heartbeat = { id: this.#o.id, capacity: this.#o.capacity, state: this.#leaving ? 'leaving' : 'running', startedMs: this.#startedMs, load: this.#running.size, ...(this.claimErrors > 0 ? { claimErrors: this.claimErrors } : {}) }
    const value = encodeJson(hb)
    const workers = this.#s.workers
    try {
      let revision: number
      if (from > 0) revision = await workers.update(this.#o.id, value, from)
      else {
        // a previous run of this id left its heartbeat: carry on from its revision
        const previous = await workers.get(this.#o.id)
        revision = previous?.operation === 'PUT' ? await workers.update(this.#o.id, value, previous.revision) : await workers.create(this.#o.id, value)
      }
      this.#lease.written(from, revision, sent)
      const stamped = await workers.get(this.#o.id)
      if (stamped?.revision === revision) this.#clock.observe(stamped.created.getTime(), sentWallMs)
    } catch (error) {
      if (/wrong last sequence|key exists/i.test((error as Error).message) && this.#lease.revision === from) {
        // an earlier renewal that timed out here may have landed: then the key holds this run's own
        // heartbeat, and its revision is adopted (its freshness is not: the next renewal gives that)
        const now = await workers.get(this.#o.id).catch(() => null)
        const own = now?.operation === 'PUT' && now.json<Heartbeat>().startedMs === this.#startedMs
        if (own) this.#lease.written(from, now.revision, this.#lease.sentMs)
        else {
          // some other writer changed this worker's heartbeat: stop everything and start a new one
          this.#fenceAll(`heartbeat changed by another writer: ${(error as Error).message}`)
          this.#lease.lost()
        }
      }
      // otherwise (disconnected, timeout) the next tick tries again; the fence stops the cameras in time
    } finally {
      this.#renewing = false
    }
  }

  /** Puts this worker's membership when it is missing (first start, or removed while it was cut off). */
  async #ensureMember(): Promise<void> {
    if (!this.#membersReady || this.#members.get(this.#o.id)?.value.state === 'running') return
    if (Date.now() - this.#lastMemberPutMs < this.#t.workerTimeoutMs) return
    this.#lastMemberPutMs = Date.now()
    await this.#s.members.put(this.#o.id, encodeJson(this.#memberValue('running'))).catch(() => { this.#lastMemberPutMs = -Infinity })
  }

  /** The camera report, written when it changed (and every 20 s, so the workers bucket's TTL keeps it). */
  async #report(): Promise<void> {
    const cameras: CameraReport[] = [...this.#running.entries()].map(([id, r]) => ({ id, state: r.state, ...(r.reason ? { reason: r.reason } : {}), ...(r.lastFrameMs ? { lastFrameMs: r.lastFrameMs } : {}) }))
    const text = JSON.stringify({ id: this.#o.id, cameras } satisfies WorkerReport)
    if (text === this.#lastReport.text && Date.now() - this.#lastReport.ms < 20_000) return
    this.#lastReport = { text, ms: Date.now() }
    await this.#s.workers.put(reportKey(this.#o.id), new TextEncoder().encode(text)).catch((error: unknown) => { this.#lastReport = { text: '', ms: -Infinity }; throw error })
  }

  /**
   * Reads the heartbeat of the next member on the ring; one that timed out is removed from the
   * membership (CAS on its key's revision) and the next one read, until a live one.
   */
  async #audit(): Promise<void> {
    if (this.#auditing || !this.#membersReady) return
    this.#auditing = true
    try {
      for (const id of ringSuccessors(this.#o.id, this.#members.keys())) {
        const view = this.#members.get(id)
        if (!view) continue
        const hb = await this.#s.workers.get(id)
        const hbMs = hb?.operation === 'PUT' ? hb.created.getTime() : -Infinity
        const now = this.#clock.now()
        if (!memberTimedOut(view, hbMs, now, this.#t.workerTimeoutMs)) break
        await this.#s.members.delete(id, { previousSeq: view.revision })
        this.#log(`worker ${id}: no heartbeat for ${Math.round(now - Math.max(hbMs, view.joinedMs))} ms: removed from the membership`)
      }
    } catch {
      // unreachable, or a lost race with another auditor or a rejoin: the next period looks again
    } finally {
      this.#auditing = false
    }
  }

  /** Workers placement counts: members running; this one always. */
  #liveWorkers(): { id: string; capacity: number }[] {
    const live = [...this.#members.values()].filter((m) => m.value.id !== this.#o.id && m.value.state === 'running').map((m) => ({ id: m.value.id, capacity: m.value.capacity }))
    return [...live, { id: this.#o.id, capacity: this.#o.capacity }]
  }

  #placeAndClaim(): void {
    if (!this.#membersReady || !this.#indexReady) return
    const key = `${this.#camerasVersion}|${this.#membersVersion}`
    const nowMs = Date.now()
    const quiet = nowMs - this.#changedMs >= PLACE_QUIET_MS
    if (!this.#placement || (this.#placement.key !== key && (quiet || nowMs - this.#placement.atMs >= PLACE_MAX_WAIT_MS))) {
      const desired = place([...this.#index.keys()], this.#liveWorkers())
      const mine: string[] = []
      for (const [cameraId, worker] of desired) if (worker === this.#o.id) mine.push(cameraId)
      this.#placement = { key, mine, desired, atMs: nowMs }
    }
    const { mine, desired } = this.#placement
    const serverNow = this.#clock.now()
    // a worker claims once it has been a member for two heartbeats, as long as the others wait
    // before handing it cameras: workers that start together see each other first (no churn)
    const self = this.#members.get(this.#o.id)
    const settledIn = self !== undefined && serverNow - self.joinedMs >= 2 * this.#t.heartbeatMs
    for (const cameraId of settledIn ? mine : []) {
      if (this.#owned.has(cameraId) || this.#busy.has(cameraId) || (this.#retryAt.get(cameraId) ?? 0) > nowMs) continue
      void this.#claim(cameraId)
    }
    for (const cameraId of this.#owned.keys()) {
      if (this.#busy.has(cameraId)) continue
      const revision = this.#index.get(cameraId)
      if (revision === undefined) { void this.#release(cameraId, false); continue }
      const target = desired.get(cameraId)
      const view = target ? this.#members.get(target) : undefined
      // a rebalance waits until the new worker has been a member for two heartbeats (no flapping at a join)
      if (target && target !== this.#o.id && view && serverNow - view.joinedMs >= 2 * this.#t.heartbeatMs) { void this.#release(cameraId, false); continue }
      const running = this.#running.get(cameraId)
      if (running && running.revision !== revision) void this.#restartCamera(cameraId)
      else if (running?.state === 'failed' && running.retryAtMs !== undefined && nowMs >= running.retryAtMs) void this.#restartCamera(cameraId)
    }
  }

  async #claim(cameraId: string): Promise<void> {
    this.#busy.add(cameraId)
    try {
      const key = cameraKey(cameraId)
      const entry = await this.#s.leases.get(key)
      let view: LeaseView = { kind: 'free', ...(entry ? { revision: entry.revision } : {}) }
      if (entry?.operation === 'PUT') {
        const worker = entry.json<LeaseValue>().worker
        const hb = worker === this.#o.id ? null : await this.#s.workers.get(worker)
        view = { kind: 'held', worker, revision: entry.revision, heartbeatMs: hb?.operation === 'PUT' ? hb.created.getTime() : -Infinity }
      }
      const decision = decideClaim(this.#o.id, view, this.#clock.now(), this.#t)
      if (decision.action === 'wait' && view.kind === 'held') {
        // its holder is alive: look again when it may have released it (a leaving one soon), at the latest when its heartbeat may be stale
        const leaving = this.#members.get(view.worker)?.value.state !== 'running'
        const untilStaleMs = view.heartbeatMs + this.#t.leaseTtlMs - this.#clock.now()
        this.#retryAt.set(cameraId, Date.now() + (leaving ? 250 : Math.min(1000, Math.max(250, untilStaleMs))))
        return
      }
      if (decision.action === 'wait' || !this.#fresh()) return
      const sent = performance.now()
      const value = encodeJson({ worker: this.#o.id, claimedMs: Date.now() } satisfies LeaseValue)
      const revision = decision.action !== 'create' ? await this.#s.leases.update(key, value, decision.revision)
        : entry ? await this.#s.leases.update(key, value, entry.revision) // a deleted key: CAS on its delete marker
        : await this.#s.leases.create(key, value)
      // claimed while the heartbeat went stale, or leaving: give it straight back
      if (!this.#fresh() || this.#leaving || performance.now() - sent > this.#t.fenceMs) { this.#orphans.set(cameraId, revision); return }
      this.#owned.set(cameraId, revision)
      this.#orphans.delete(cameraId)
      this.#unknownSince.delete(cameraId)
      this.#retryAt.delete(cameraId)
      const gap = await this.#previousOwner(cameraId, entry, decision.action === 'take' ? decision.from : undefined, view.kind === 'held' ? view.heartbeatMs : undefined).catch(() => undefined)
      this.#log(`camera ${cameraId}: lease ${decision.action === 'create' ? 'created' : decision.action === 'take' ? `taken from ${decision.from}` : 'resumed'} (revision ${revision})`)
      await this.#running.start(cameraId, gap)
    } catch (error) {
      // a write that timed out may have landed: the key may name this worker, so it is looked at again (resumed or deleted)
      if (outcomeUnknown(error)) { this.#orphans.set(cameraId, undefined); this.#unknownSince.set(cameraId, Date.now()) }
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
   * previous owners: the one whose camera was taken, or, for a key deleted by a clean release
   * (which names nobody), members leaving or gone. A camera released by a rebalance from a
   * worker still running is not looked for (that would read every worker's report).
   */
  async #previousOwner(cameraId: string, lease: KvEntry | null, takenFrom: string | undefined, takenHeartbeatMs: number | undefined): Promise<CameraRun['gap']> {
    const released = lease !== null && lease.operation !== 'PUT'
    const candidates = new Set<string>()
    if (takenFrom) candidates.add(takenFrom)
    if (released) {
      for (const m of this.#members.values()) if (m.value.state === 'leaving') candidates.add(m.value.id)
      for (const id of this.#departed.keys()) candidates.add(id)
    }
    candidates.delete(this.#o.id)
    for (const id of candidates) {
      const report = (await this.#reportOf(id))?.cameras.find((c) => c.id === cameraId)
      if (!report) continue
      const lastSeenMs = Number.isFinite(takenHeartbeatMs) ? takenHeartbeatMs! : lease!.created.getTime()
      return { fromWorker: id, fromMs: released ? lease.created.getTime() : (report.lastFrameMs ?? lastSeenMs), reason: released ? 'handover' : 'worker-lost' }
    }
    return undefined
  }

  /** A worker's camera report, read at most once a second (a failover takes many of its cameras at once). */
  async #reportOf(workerId: string): Promise<WorkerReport | undefined> {
    const cached = this.#reports.get(workerId)
    if (cached && Date.now() - cached.readMs < 1000) return cached.report
    const entry = await this.#s.workers.get(reportKey(workerId))
    const report = entry?.operation === 'PUT' ? entry.json<WorkerReport>() : undefined
    this.#reports.set(workerId, { report, readMs: Date.now() })
    if (this.#reports.size > 1000) this.#reports.delete(this.#reports.keys().next().value!)
    return report
  }

  async #restartCamera(cameraId: string): Promise<void> {
    this.#busy.add(cameraId)
    try {
      await this.#running.restart(cameraId)
    } finally {
      this.#busy.delete(cameraId)
    }
  }

  /** Stops the camera, then deletes its key (CAS on the revision held), so the next owner may create it at once. */
  async #release(cameraId: string, leaving: boolean): Promise<void> {
    if (!leaving && this.#busy.has(cameraId)) return
    this.#busy.add(cameraId)
    try {
      await this.#running.stop(cameraId)
      const revision = this.#owned.get(cameraId)
      this.#owned.delete(cameraId)
      this.#log(`camera ${cameraId}: stopped (released)`)
      if (revision !== undefined) await this.#deleteKey(cameraId, revision)
    } finally {
      this.#busy.delete(cameraId)
    }
  }

  /** Deletes a camera key this worker held (CAS on its revision); unreachable: kept as an orphan for later. */
  async #deleteKey(cameraId: string, revision: number): Promise<void> {
    try {
      await this.#s.leases.delete(cameraKey(cameraId), { previousSeq: revision })
      // a late write of this worker's expected an older revision: it cannot land now
      this.#orphans.delete(cameraId)
      this.#unknownSince.delete(cameraId)
    } catch (error) {
      // another revision: someone took it meanwhile (nothing to delete), or a write of this worker's
      // that timed out landed since (the key names it still: no one else may take the camera);
      // the key is read again to tell
      if (/wrong last sequence/i.test((error as Error)?.message ?? '')) this.#orphans.set(cameraId, undefined)
      else { this.#orphans.set(cameraId, revision); this.#retryAt.set(cameraId, Date.now() + 1000) }
    }
  }

  /** Deletes the keys of orphaned cameras placement does not give back to this worker (those it does are resumed by a claim). */
  #cleanOrphans(): void {
    const mine = new Set(this.#placement?.mine)
    const nowMs = Date.now()
    for (const [cameraId, revision] of this.#orphans) {
      // claimed back meanwhile: its key is this worker's lease again
      if (this.#owned.has(cameraId)) { this.#orphans.delete(cameraId); this.#unknownSince.delete(cameraId); continue }
      if (this.#busy.has(cameraId) || mine.has(cameraId) || (this.#retryAt.get(cameraId) ?? 0) > nowMs) continue
      this.#busy.add(cameraId)
      void (async () => {
        try {
          let held = revision
          if (held === undefined) {
            const entry = await this.#s.leases.get(cameraKey(cameraId))
            if (entry?.operation !== 'PUT' || entry.json<LeaseValue>().worker !== this.#o.id) {
              // not this worker's: unless a write of its that timed out may still land (then the key would name it, and no one else could take the camera)
              if (Date.now() - (this.#unknownSince.get(cameraId) ?? -Infinity) < LATE_WRITE_MS) { this.#retryAt.set(cameraId, Date.now() + 1000); return }
              this.#orphans.delete(cameraId)
              this.#unknownSince.delete(cameraId)
              return
            }
            held = entry.revision
          }
          await this.#deleteKey(cameraId, held)
        } catch {
          this.#retryAt.set(cameraId, Date.now() + 1000)
        } finally {
          this.#busy.delete(cameraId)
        }
      })()
    }
  }

  /** A restarted worker (same id): the cameras of its last report may still name it; each is resumed or deleted. */
  async #recoverPreviousRun(): Promise<void> {
    const previous = await this.#reportOf(this.#o.id).catch(() => undefined)
    for (const c of previous?.cameras ?? []) if (!this.#owned.has(c.id)) this.#orphans.set(c.id, undefined)
  }

  async #watchIndex(): Promise<void> {
    const watch = await this.#s.deploy.watch({ key: DEPLOY_INDEX_KEY, initializedFn: () => { this.#indexReady = true } })
    this.#stops.push(() => watch.stop())
    for await (const e of watch) {
      const index = e.operation === 'PUT' ? e.json<DeployIndex>() : undefined
      // a newer config than this pipeline's (an older one: an apply between its config and index writes)
      if (index && index.configRevision > this.#configRevision && !this.configChanged) {
        this.#log('the deployment config changed: restarting this worker\'s pipeline')
        this.configChanged = true
      }
      this.#index = new Map(Object.entries(index?.cameras ?? {}))
      this.#camerasVersion++
      this.#changedMs = Date.now()
    }
  }

  async #watchMembers(): Promise<void> {
    const watch = await this.#s.members.watch({ initializedFn: () => { this.#membersReady = true } })
    this.#stops.push(() => watch.stop())
    for await (const e of watch) {
      if (e.operation !== 'PUT') {
        const gone = this.#members.get(e.key)
        this.#members.delete(e.key)
        if (gone) this.#departed.set(e.key, gone)
        if (this.#departed.size > 1000) this.#departed.delete(this.#departed.keys().next().value!)
      } else {
        this.#departed.delete(e.key)
        this.#members.set(e.key, { value: e.json<MemberValue>(), revision: e.revision, joinedMs: e.created.getTime() })
      }
      this.#membersVersion++
      this.#changedMs = Date.now()
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

/** A request whose answer never came (timeout, disconnect): the write may or may not have happened. */
function outcomeUnknown(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined
  return ['TIMEOUT', 'DISCONNECT', 'CONNECTION_CLOSED'].includes(String(e?.code)) || /timeout|disconnect|connection closed/i.test(String(e?.message))
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
