import { performance } from 'node:perf_hooks'
import type { DropReason, EdgeOptions, Envelope, EventInit, FrameRef, FrameSource, OkoEvent, OverflowPolicy, Rect, SourceNotice, Stage, StageContext } from '@oko/core'
import { AbortError, BoundedQueue, InvalidOptionError, OkoError, checkBoolean, checkEdgeOptions, checkKnownKeys, checkObject, checkOneOf, optionalNumber, serializeError } from '@oko/core'
import { Dispatcher, type DispatcherHooks, type Item } from './dispatcher.js'
import { EventBus, type SubscribeOptions, type Subscription } from './event-bus.js'
import type { FrameMessage } from './frame-message.js'
import { FramePool, OwnedFrame } from './frame-pool.js'
import { infoOnly } from './info-frame.js'
import { checkSource, type Step } from './pipeline.js'
import { StageCounter, type CStep } from './program.js'
import { LatencyRing, addCameraStats, addDrop, newCameraStats, totalDrops, type CameraStats, type DropCounts, type EdgeStats, type RunStats, type RunSummary, type StageStats } from './stats.js'
import { PASS, isWorkerStage, type PrepareTools, type WorkerStage } from './worker-stage.js'

export interface RunOptions {
  /** Stops the run: queued work is dropped (counted as `aborted`), running jobs finish, threads live on. */
  readonly signal?: AbortSignal
  /**
   * `run.events`, the default subscriber: capacity (default 1024) and overflow (default `block`
   * when every source is a file, else `drop-oldest`).
   */
  readonly events?: { readonly capacity?: number; readonly overflow?: OverflowPolicy }
  /** Defaults for every worker edge (a worker stage's own `edge` wins). */
  readonly edge?: EdgeOptions
  /** Pooled frame memory (default: one per run). */
  readonly frames?: FramePool
  /**
   * Keep the run going while it has no camera (cameras come and go with `addCamera` and
   * `removeCamera`) until it is closed. Default false: the run completes when its cameras end.
   */
  readonly keepOpen?: boolean
}

type CameraState = 'starting' | 'running' | 'done'

interface Camera {
  readonly id: string
  readonly source: FrameSource
  readonly ctx: StageContext
  readonly stats: CameraStats
  /** Aborts this camera's reading: it was removed, or the run stops. */
  readonly abort: AbortController
  /** Stages made for this camera by factories (closed when it is done). */
  readonly owned: Stage[]
  program: readonly CStep[]
  state: CameraState
  reading: boolean
  /** Items of this camera inside worker stages (queued, running, or in `finish` and after). */
  pending: number
  readonly done: Promise<void>
  resolveDone: () => void
  /** Coalesced drop counts not yet reported as events, per `edge\0reason`. */
  readonly unreported: Map<string, { edge: string; reason: DropReason; count: number; seq: number; ptsUs: number }>
}

/**
 * A running pipeline: events (for every subscriber), completion, live stats, and cameras that
 * come and go. Made by `Pipeline.run()`.
 */
export class PipelineRun implements AsyncDisposable {
  /** The default subscriber: typed events, bounded, one consumer. Make more with `subscribe()`. */
  readonly events: Subscription
  /**
   * Resolves with the summary when every camera ended (or the run was stopped) and all work
   * settled; rejects with the error when the run failed (a pool that broke, a stage that could not
   * be made).
   */
  readonly completion: Promise<RunSummary>
  readonly #bus = new EventBus()
  readonly #steps: readonly Step[]
  readonly #cameras = new Map<string, Camera>()
  readonly #retired = newCameraStats()
  readonly #dispatchers = new Map<WorkerStage, Dispatcher>()
  readonly #counters = new Map<string, StageCounter>()
  readonly #frames: FramePool
  readonly #latency = new LatencyRing()
  readonly #startMs = performance.now()
  readonly #edgeDefaults: EdgeOptions
  readonly #keepOpen: boolean
  readonly #tools: PrepareTools
  /** The owned copy of each envelope's frame, once a worker stage materialised it (stages may replace `frame`). */
  readonly #owned = new WeakMap<Envelope, OwnedFrame>()
  /** The worker step preparing now has a stage after it that reads the whole picture. */
  #wholeFrame = false
  #starting = 0
  #stopping = false
  #aborted = false
  #finished = false
  #fatal: { error: unknown } | undefined
  #resolve!: (summary: RunSummary) => void
  #reject!: (error: unknown) => void

  private constructor(sources: readonly FrameSource[], steps: readonly Step[], options: RunOptions) {
    const o = checkObject('options', options, {})
    checkKnownKeys('options', o, ['signal', 'events', 'edge', 'frames', 'keepOpen'])
    const ev = checkObject('options.events', o.events, {})
    checkKnownKeys('options.events', ev, ['capacity', 'overflow'])
    const anyLive = sources.length === 0 || sources.some((s) => s.live)
    this.#keepOpen = checkBoolean('options.keepOpen', o.keepOpen, false)
    this.events = this.#bus.subscribe({
      name: 'events',
      capacity: optionalNumber('options.events.capacity', ev.capacity, 1024, { min: 1, max: 1_000_000, integer: true }),
      overflow: checkOneOf('options.events.overflow', ev.overflow, ['block', 'drop-oldest', 'drop-newest'] as const, anyLive ? 'drop-oldest' : 'block'),
    })
    this.#edgeDefaults = checkEdgeOptions('options.edge', o.edge)
    this.#frames = options.frames ?? new FramePool()
    this.#steps = steps
    this.completion = new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    // A failed run also says so as a fatal error event: an application that only reads events must not crash on an unhandled rejection.
    this.completion.catch(() => undefined)
    this.#tools = { own: (envelope, regions) => this.#own(envelope, regions), ctx: undefined as unknown as StageContext }
    const signal = options.signal
    if (signal) {
      if (signal.aborted) queueMicrotask(() => this.#stop(signal.reason))
      else signal.addEventListener('abort', () => this.#stop(signal.reason), { once: true })
    }
  }

  /** @internal use Pipeline.run() */
  static start(sources: readonly FrameSource[], steps: readonly Step[], options: RunOptions): PipelineRun {
    const run = new PipelineRun(sources, steps, options)
    for (const source of sources) {
      run.#addCamera(source).catch((error: unknown) => run.#failRun(`camera ${source.cameraId}`, error))
    }
    if (sources.length === 0) queueMicrotask(() => run.#maybeFinish())
    return run
  }

  /** Another consumer of the run's events, with its own bounded queue and overflow policy (see Subscription). */
  subscribe(options: SubscribeOptions = {}): Subscription {
    return this.#bus.subscribe(options)
  }

  /**
   * Sends an event that comes from outside the stages (an alarm input, a camera that could not be
   * opened) to every subscriber; the run gives it its id. Returns it as sent.
   */
  publish<E extends OkoEvent = OkoEvent>(event: EventInit<E>): E {
    return this.#emit(event)
  }

  /** Ids of the cameras in the run now (starting, running, or ended and not removed). */
  cameraIds(): string[] {
    return [...this.#cameras.keys()]
  }

  /**
   * Adds a camera to the running pipeline: its stages are made (factories per camera; shared
   * stages and worker stages are shared) and it starts reading. Rejects when its stages cannot be
   * made, its id is taken, or the run is stopping. The other cameras are not touched.
   */
  addCamera(source: FrameSource): Promise<void> {
    checkSource(source, 'source')
    return this.#addCamera(source)
  }

  /**
   * Stops a camera and takes it out of the run: it reads no more frames, its queued items are
   * dropped (counted as `aborted`), those running finish, its stages are flushed (open tracks
   * are reported) and its per-camera stages closed. Resolves when that is done. The source is not
   * closed: whoever opened it closes it.
   */
  async removeCamera(cameraId: string): Promise<void> {
    const camera = this.#cameras.get(cameraId)
    if (!camera) throw new InvalidOptionError('cameraId', `no camera "${cameraId}" in this run; it has ${this.cameraIds().map((id) => `"${id}"`).join(', ') || 'none'}`)
    this.#stopCamera(camera, new AbortError(`camera ${cameraId} was removed`))
    await camera.done
    if (this.#cameras.get(cameraId) !== camera) return
    this.#cameras.delete(cameraId)
    addCameraStats(this.#retired, camera.stats)
    for (const [stage, d] of this.#dispatchers) {
      d.removeCamera(cameraId)
      // a worker stage no camera uses any more (its maker may close it): its dispatcher goes too
      if (d.queue.cameras === 0) {
        d.stop()
        this.#dispatchers.delete(stage)
      }
    }
    this.#maybeFinish()
  }

  stats(): RunStats {
    const totals = newCameraStats()
    addCameraStats(totals, this.#retired)
    const cameras: Record<string, RunStats['cameras'][string]> = {}
    for (const c of this.#cameras.values()) {
      addCameraStats(totals, c.stats)
      const source = c.source.stats?.()
      cameras[c.id] = { ...c.stats, dropped: structuredClone(c.stats.dropped), ...(source ? { source } : {}) }
    }
    const dropped: Record<string, DropCounts> = structuredClone(totals.dropped)
    const subscribers = this.#bus.subscriptions()
    for (const s of subscribers) if (s.dropped > 0) addDrop(dropped, `events:${s.name}`, 'overflow', s.dropped)
    let queued = 0, inFlight = 0
    const edges: Record<string, EdgeStats> = {}
    for (const d of this.#dispatchers.values()) {
      const depth = d.queue.size
      queued += depth
      inFlight += d.inFlight
      edges[d.stage.name] = { depth, capacity: d.stage.edge.capacity ?? this.#edgeDefaults.capacity ?? 4, inFlight: d.inFlight }
    }
    const stages: Record<string, StageStats> = {}
    for (const [name, c] of this.#counters) stages[name] = { items: c.items, errors: c.errors, latency: c.latency.snapshot() }
    return {
      framesIn: totals.framesIn, gated: totals.gated, inferred: totals.inferred, outputs: totals.outputs, errors: totals.errors,
      dropped, droppedTotal: totalDrops(dropped), queued, inFlight, events: this.#bus.emitted,
      latencyMs: this.#latency.percentiles(), cameras, stages, edges, subscribers,
      elapsedMs: Math.round(performance.now() - this.#startMs),
    }
  }

  /** Stops the run (like aborting its signal) and waits for the summary. Idempotent. */
  close(): Promise<RunSummary> {
    this.#stop(new AbortError('the run was closed'))
    return this.completion
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async #addCamera(source: FrameSource): Promise<void> {
    if (this.#stopping || this.#finished) throw new OkoError('ERR_CLOSED', `cannot add camera ${source.cameraId}: the run is stopping`)
    if (this.#cameras.has(source.cameraId)) throw new InvalidOptionError('source.cameraId', `camera "${source.cameraId}" is already in the run; remove it first or give it another id`)
    let resolveDone!: () => void
    const abort = new AbortController()
    const camera: Camera = {
      id: source.cameraId, source, stats: newCameraStats(), abort, owned: [], program: [], state: 'starting',
      reading: false, pending: 0, unreported: new Map(), resolveDone: () => resolveDone(),
      done: new Promise((resolve) => (resolveDone = resolve)),
      ctx: { cameraId: source.cameraId, signal: abort.signal, emit: (e) => this.#emit(e), newId: () => this.#bus.newId() },
    }
    this.#cameras.set(camera.id, camera)
    this.#starting++
    try {
      camera.program = await this.#compile(camera, this.#steps)
    } catch (error) {
      this.#cameras.delete(camera.id)
      await Promise.allSettled(camera.owned.map((s) => s.close()))
      for (const d of this.#dispatchers.values()) d.removeCamera(camera.id)
      camera.state = 'done'
      camera.resolveDone()
      throw error
    } finally {
      this.#starting--
    }
    if (this.#stopping) {
      // stopped while its stages were being made: it reads nothing, and is done
      camera.abort.abort()
    }
    camera.state = 'running'
    camera.reading = true
    void this.#read(camera)
  }

  async #compile(camera: Camera, steps: readonly Step[]): Promise<CStep[]> {
    const out: CStep[] = []
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!
      if (step.kind === 'inline') {
        const stage = await step.make(camera.id)
        if (isWorkerStage(stage)) {
          out.push({ kind: 'worker', dispatcher: this.#dispatcher(stage, camera), counter: this.#counter(stage.name), wholeFrame: false, pixelsLater: never })
          continue
        }
        if (step.owned) camera.owned.push(stage)
        out.push({ kind: 'inline', stage, counter: this.#counter(stage.name) })
      } else if (step.kind === 'worker') {
        out.push({ kind: 'worker', dispatcher: this.#dispatcher(step.stage, camera), counter: this.#counter(step.stage.name), wholeFrame: false, pixelsLater: never })
      } else {
        // What follows a fan-out is compiled once and shared by every branch.
        const rest = await this.#compile(camera, steps.slice(i + 1))
        const branches: CStep[][] = []
        for (const b of step.branches) branches.push(markWholeFrames([...(await this.#compile(camera, [b])), ...rest], false))
        out.push({ kind: 'fan', branches })
        break
      }
    }
    return markWholeFrames(out, false)
  }

  #counter(name: string): StageCounter {
    let c = this.#counters.get(name)
    if (!c) this.#counters.set(name, (c = new StageCounter()))
    return c
  }

  #dispatcher(stage: WorkerStage, camera: Camera): Dispatcher {
    let d = this.#dispatchers.get(stage)
    if (!d) {
      d = new Dispatcher(stage, this.#hooks())
      this.#dispatchers.set(stage, d)
      d.loop().catch((error: unknown) => this.#failRun(stage.name, error))
    }
    if (!d.queue.queue(camera.id)) {
      const edge = { ...this.#edgeDefaults, ...stage.edge }
      const overflow: OverflowPolicy = edge.overflow ?? (camera.source.live ? 'drop-oldest' : 'block')
      d.maxAgeMs = edge.maxAgeMs
      const dispatcher = d
      d.queue.add(camera.id, new BoundedQueue<Item>({
        capacity: edge.capacity ?? 4,
        overflow,
        onDrop: (item) => this.#dropItem(item, dispatcher, 'overflow'),
        onItem: () => dispatcher.queued(camera.id),
      }))
    }
    return d
  }

  #hooks(): DispatcherHooks {
    return {
      stale: (item) => this.#dropItem(item, this.#dispatcherOf(item), 'stale'),
      failed: (item, error) => {
        const camera = this.#cameras.get(item.cameraId)
        const step = item.steps[item.next - 1] as Extract<CStep, { kind: 'worker' }>
        step.counter.errors++
        if (camera) this.#fail(camera, step.dispatcher.stage.name, error, item.origin)
        this.#release(item.envelope)
      },
      replied: (item, reply) => this.#onReply(item, reply),
      passed: (item) => this.#onPassed(item),
      sending: (item) => {
        const camera = this.#cameras.get(item.cameraId)
        if (camera) this.#reportDrops(camera, this.#dispatcherOf(item).stage.name)
      },
      settled: (item) => this.#settleItem(item, this.#dispatcherOf(item)),
    }
  }

  #dispatcherOf(item: Item): Dispatcher {
    return (item.steps[item.next - 1] as Extract<CStep, { kind: 'worker' }>).dispatcher
  }

  async #read(camera: Camera): Promise<void> {
    const onEvent = (e: SourceNotice) => {
      if (e.type === 'dropped') addDrop(camera.stats.dropped, e.stage, e.reason, e.count)
      else if (e.type === 'error') camera.stats.errors++
      this.#emit(e)
    }
    let seq = -1
    try {
      for await (const frame of camera.source.frames({ signal: camera.abort.signal, onEvent })) {
        if (camera.abort.signal.aborted) break
        camera.stats.framesIn++
        seq = frame.seq
        const origin: FrameRef = { cameraId: camera.id, seq: frame.seq, ptsUs: frame.ptsUs, wallMs: frame.wallMs }
        const envelope: Envelope = { frame, detections: [], tracks: [] }
        await this.#flow(camera, envelope, camera.program, 0, origin, performance.now())
        for (let wait = this.#bus.whenWritable(); wait; wait = this.#bus.whenWritable()) await wait
      }
    } catch (error) {
      if (!camera.abort.signal.aborted) this.#fail(camera, 'source', error, seq < 0 ? undefined : { cameraId: camera.id, seq, ptsUs: 0, wallMs: 0 })
    } finally {
      camera.reading = false
      this.#maybeCameraDone(camera)
    }
  }

  /** Runs an envelope through steps[i..]; its frame stays borrowed until this returns (or until a worker stage owns it). */
  async #flow(camera: Camera, envelope: Envelope, steps: readonly CStep[], i: number, origin: FrameRef, startMs: number): Promise<void> {
    let env = envelope
    for (; i < steps.length; i++) {
      const step = steps[i]!
      if (step.kind === 'inline') {
        let out: Envelope | undefined
        const t0 = performance.now()
        try {
          const result = step.stage.process(env, camera.ctx)
          // Synchronous stages (the usual gate) cost no extra microtask.
          out = result instanceof Promise ? await result : result
        } catch (error) {
          step.counter.errors++
          this.#fail(camera, step.stage.name, error, origin)
          this.#release(env)
          return
        }
        step.counter.items++
        step.counter.latency.observe(performance.now() - t0)
        if (out === undefined) {
          camera.stats.gated++
          this.#tick(camera, steps, i + 1, origin)
          this.#release(env)
          return
        }
        if (out !== env) this.#handOver(env, out)
        env = out
      } else if (step.kind === 'fan') {
        // copies first: a branch's stages change its envelope
        const copies = step.branches.map((_, k) => (k === 0 ? env : this.#copy(env)))
        await Promise.all(step.branches.map((b, k) => this.#flow(camera, copies[k]!, b, 0, origin, startMs)))
        return
      } else {
        const d = step.dispatcher
        let prepared
        try {
          this.#toolsFor(camera, step.wholeFrame)
          prepared = d.stage.options.prepare(env, this.#tools)
        } catch (error) {
          step.counter.errors++
          this.#fail(camera, d.stage.name, error, origin)
          this.#release(env)
          return
        }
        // No job, and none of the camera's items here to overtake: on at once.
        if (prepared === PASS && d.idle(camera.id)) continue
        if (prepared === undefined) {
          camera.stats.gated++
          this.#tick(camera, steps, i + 1, origin)
          this.#release(env)
          return
        }
        if (this.#stopping) {
          addDrop(camera.stats.dropped, d.stage.name, 'aborted', 1)
          this.#release(env)
          return
        }
        const job = prepared === PASS ? undefined : prepared
        if (!this.#owned.has(env)) {
          // A frame PASSed behind the camera's items waits its turn in the edge: a later stage that may read it gets the whole picture, copied once now.
          if (!job && step.pixelsLater(env)) {
            try {
              this.#own(env)
            } catch (error) {
              this.#fail(camera, d.stage.name, error, origin)
              this.#release(env)
              return
            }
          } else {
            // The decode loop moves on: a frame no stage owned keeps only its info from here.
            env.frame = infoOnly(env.frame)
          }
        }
        camera.pending++
        const wait = d.queue.queue(camera.id)!.push({
          cameraId: camera.id, ctx: camera.ctx, envelope: env, ...(job ? { prepared: job } : {}), ticket: d.entered(camera.id),
          origin, startMs, queuedMs: performance.now(), steps, next: i + 1,
        })
        if (wait) await wait
        return
      }
    }
    camera.stats.outputs++
    this.#latency.add(performance.now() - startMs)
    this.#release(env)
  }

  #toolsFor(camera: Camera, wholeFrame: boolean): void {
    (this.#tools as { ctx: StageContext }).ctx = camera.ctx
    this.#wholeFrame = wholeFrame
  }

  #own(envelope: Envelope, regions?: readonly Rect[]): FrameMessage {
    const frame = this.#owned.get(envelope)
    if (frame) {
      const missing = regions?.find((r) => !frame.covers(r))
      if (missing) {
        throw new OkoError('ERR_INVALID_INPUT', `frame ${frame.cameraId}#${frame.seq} was materialised by an earlier stage for ${JSON.stringify(frame.regions)}; ${JSON.stringify(missing)} is not inside it (ask for regions within what the earlier stages saw)`)
      }
      return frame.message()
    }
    // a later stage reads the whole picture: copy it all now, while the frame is still borrowed
    const owned = this.#frames.own(envelope.frame, regions && !this.#wholeFrame ? { regions } : {})
    this.#owned.set(envelope, owned)
    envelope.frame = owned
    return owned.message()
  }

  /** A copy for a fan-out branch: its own arrays, the same frame (held once more when owned). */
  #copy(env: Envelope): Envelope {
    const copy = { ...env, detections: [...env.detections], tracks: [...env.tracks] }
    const owned = this.#owned.get(env)
    if (owned) this.#owned.set(copy, owned.retain())
    return copy
  }

  /** A stage returned another envelope object: the owned frame goes with it. */
  #handOver(from: Envelope, to: Envelope): void {
    const owned = this.#owned.get(from)
    if (!owned) return
    this.#owned.delete(from)
    this.#owned.set(to, owned)
  }

  /** The envelope left the pipeline: its owned frame (if any) loses a holder. */
  #release(env: Envelope): void {
    const owned = this.#owned.get(env)
    if (!owned) return
    this.#owned.delete(env)
    owned.release()
  }

  /** Tells the stages in steps[i..] (and in fan-out branches) that a frame stopped before them. */
  #tick(camera: Camera, steps: readonly CStep[], i: number, origin: FrameRef): void {
    for (; i < steps.length; i++) {
      const step = steps[i]!
      if (step.kind === 'fan') {
        for (const b of step.branches) this.#tick(camera, b, 0, origin)
        return
      }
      if (step.kind === 'worker') {
        // Not ahead of the camera's items still at this stage: held until they have left.
        const next = i
        if (step.dispatcher.holdTick(camera.id, () => this.#tickFrom(camera, steps, next, origin))) return
        this.#tickStage(camera, step.dispatcher.stage, origin)
        continue
      }
      this.#tickStage(camera, step.stage, origin)
    }
  }

  #tickFrom(camera: Camera, steps: readonly CStep[], i: number, origin: FrameRef): void {
    if (camera.state === 'done') return
    const step = steps[i] as Extract<CStep, { kind: 'worker' }>
    this.#tickStage(camera, step.dispatcher.stage, origin)
    this.#tick(camera, steps, i + 1, origin)
  }

  #tickStage(camera: Camera, stage: Pick<Stage, 'name' | 'tick'>, origin: FrameRef): void {
    if (!stage.tick) return
    try {
      stage.tick(origin, camera.ctx)
    } catch (error) {
      this.#fail(camera, stage.name, error, origin)
    }
  }

  async #onReply(item: Item, reply: unknown): Promise<void> {
    const camera = this.#cameras.get(item.cameraId)
    const step = item.steps[item.next - 1] as Extract<CStep, { kind: 'worker' }>
    const stage = step.dispatcher.stage
    if (!camera) {
      this.#release(item.envelope)
      return
    }
    camera.stats.inferred++
    let out: Envelope | undefined = item.envelope
    try {
      if (stage.options.finish) out = await stage.options.finish(reply, item.envelope, camera.ctx)
    } catch (error) {
      step.counter.errors++
      this.#fail(camera, stage.name, error, item.origin)
      this.#release(item.envelope)
      return
    }
    step.counter.items++
    step.counter.latency.observe(performance.now() - item.queuedMs)
    if (out === undefined) {
      camera.stats.gated++
      this.#release(item.envelope)
      return
    }
    if (out !== item.envelope) this.#handOver(item.envelope, out)
    await this.#flow(camera, out, item.steps, item.next, item.origin, item.startMs)
  }

  /** A frame the stage PASSed behind the camera's items: their turn is over, it goes on. */
  async #onPassed(item: Item): Promise<void> {
    const camera = this.#cameras.get(item.cameraId)
    if (!camera) {
      this.#release(item.envelope)
      return
    }
    await this.#flow(camera, item.envelope, item.steps, item.next, item.origin, item.startMs)
  }

  #settleItem(item: Item, d: Dispatcher): void {
    const camera = this.#cameras.get(item.cameraId)
    d.left(item)
    if (!camera) return
    camera.pending--
    this.#maybeCameraDone(camera)
  }

  #emit<E extends OkoEvent>(init: EventInit<E> | SourceNotice): E {
    return this.#bus.emit<E>(init as { type: string })
  }

  #fail(camera: Camera, stage: string, error: unknown, origin: FrameRef | undefined): void {
    camera.stats.errors++
    this.#emit({
      type: 'error', cameraId: camera.id, ...(origin ? { seq: origin.seq, ptsUs: origin.ptsUs } : {}),
      stage, error: serializeError(error), fatal: false,
    })
  }

  /** Something the whole run depends on failed (a pool broke, a camera's stages could not be made at start): the run stops and `completion` rejects. */
  #failRun(stage: string, error: unknown): void {
    if (this.#finished) return
    this.#emit({ type: 'error', stage, error: serializeError(error), fatal: true })
    this.#fatal ??= { error }
    this.#stop(error)
    this.#maybeFinish()
  }

  #dropItem(item: Item, d: Dispatcher, reason: DropReason): void {
    this.#release(item.envelope)
    const camera = this.#cameras.get(item.cameraId)
    if (camera) {
      const edge = d.stage.name
      addDrop(camera.stats.dropped, edge, reason, 1)
      const key = `${edge}\0${reason}`
      const entry = camera.unreported.get(key)
      if (entry) {
        entry.count++
        entry.seq = item.origin.seq
        entry.ptsUs = item.origin.ptsUs
      } else {
        camera.unreported.set(key, { edge, reason, count: 1, seq: item.origin.seq, ptsUs: item.origin.ptsUs })
      }
    }
    this.#settleItem(item, d)
  }

  /** Emits the coalesced drop counts of one edge (or all edges) of a camera as `dropped` events. */
  #reportDrops(camera: Camera, edge?: string): void {
    if (camera.unreported.size === 0) return
    for (const [key, d] of camera.unreported) {
      if (edge !== undefined && d.edge !== edge) continue
      camera.unreported.delete(key)
      this.#emit({ type: 'dropped', cameraId: camera.id, seq: d.seq, ptsUs: d.ptsUs, stage: d.edge, count: d.count, reason: d.reason })
    }
  }

  /** Stops one camera's reading and drops its queued items. */
  #stopCamera(camera: Camera, reason: unknown): void {
    camera.abort.abort(reason)
    for (const d of this.#dispatchers.values()) {
      const queue = d.queue.queue(camera.id)
      if (queue) for (const item of queue.clear()) this.#dropItem(item, d, 'aborted')
    }
    this.#maybeCameraDone(camera)
  }

  #stop(reason: unknown): void {
    if (this.#stopping || this.#finished) return
    this.#stopping = true
    this.#bus.unblock()
    for (const camera of this.#cameras.values()) {
      if (camera.state === 'done') continue
      this.#aborted = true
      this.#stopCamera(camera, reason)
    }
    this.#maybeFinish()
  }

  #maybeCameraDone(camera: Camera): void {
    if (camera.state !== 'running' || camera.reading || camera.pending > 0) return
    camera.state = 'done'
    void this.#finishCamera(camera)
  }

  /** Every item of the camera settled: report its drops, flush its stages (events still open), close what was made for it. */
  async #finishCamera(camera: Camera): Promise<void> {
    this.#reportDrops(camera)
    const stages = new Set<Pick<Stage, 'name' | 'flush'>>()
    const collect = (steps: readonly CStep[]) => {
      for (const step of steps) {
        if (step.kind === 'inline') stages.add(step.stage)
        else if (step.kind === 'worker') stages.add(step.dispatcher.stage)
        else for (const b of step.branches) collect(b)
      }
    }
    collect(camera.program)
    for (const stage of stages) {
      try {
        await stage.flush?.(camera.ctx)
      } catch (error) {
        this.#fail(camera, stage.name, error, undefined)
      }
    }
    const closing = await Promise.allSettled(camera.owned.map((s) => s.close()))
    for (const r of closing) if (r.status === 'rejected') this.#fail(camera, 'close', r.reason, undefined)
    camera.resolveDone()
    this.#maybeFinish()
  }

  #maybeFinish(): void {
    if (this.#finished || this.#starting > 0) return
    if (this.#keepOpen && !this.#stopping) return
    for (const c of this.#cameras.values()) if (c.state !== 'done') return
    void this.#camerasDone().then(() => this.#finish())
  }

  /** Waits for the cameras' flush and close (their `done`). */
  async #camerasDone(): Promise<void> {
    await Promise.all([...this.#cameras.values()].map((c) => c.done))
  }

  #finish(): void {
    if (this.#finished) return
    this.#finished = true
    for (const d of this.#dispatchers.values()) d.stop()
    const summary: RunSummary = { ...this.stats(), aborted: this.#aborted }
    this.#bus.end()
    if (this.#fatal) this.#reject(this.#fatal.error)
    else this.#resolve(summary)
  }
}

const always = (): boolean => true
const never = (): boolean => false

/**
 * Marks each worker step after which some stage reads the whole picture (so it materialises the
 * whole frame) and says whether a later stage may read an envelope's pixels; `later` says
 * whether a step after these does. Returns the same steps.
 */
function markWholeFrames(steps: CStep[], later: boolean): CStep[] {
  let needed = later
  // after this step: a stage that may read any envelope's pixels, and those that say per envelope
  let anyReads = later
  let readers: ((envelope: Envelope) => boolean)[] = []
  const ask = (reads: (envelope: Envelope) => boolean, self: object) => (env: Envelope): boolean => {
    // a stage whose answer throws may read it
    try { return reads.call(self, env) !== false } catch { return true }
  }
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!
    if (step.kind === 'worker') {
      const after = readers
      steps[i] = { ...step, wholeFrame: needed, pixelsLater: needed || anyReads ? always : after.length === 0 ? never : (env) => after.some((reads) => reads(env)) }
      if (step.dispatcher.stage.wholeFrame) needed = true
      const { options } = step.dispatcher.stage
      if (options.readsPixels) readers = [ask(options.readsPixels, options), ...readers]
      else anyReads = true
    } else if (step.kind === 'inline') {
      if (step.stage.wholeFrame) needed = true
      if (step.stage.readsPixels) readers = [ask(step.stage.readsPixels, step.stage), ...readers]
    } else {
      // branches were compiled with what follows them
      for (const b of step.branches) if (b.some((s) => (s.kind === 'inline' && s.stage.wholeFrame) || (s.kind === 'worker' && (s.wholeFrame || s.dispatcher.stage.wholeFrame)))) needed = true
      if (step.branches.some((b) => b.some((s) => s.kind === 'worker' || (s.kind === 'inline' && s.stage.readsPixels)))) anyReads = true
    }
  }
  return steps
}
