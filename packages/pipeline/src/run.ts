import { performance } from 'node:perf_hooks'
import type { DropReason, EdgeOptions, FrameRef, FrameSource, OkoEvent, OverflowPolicy, SourceNotice, Stage, StageContext } from '@oko/core'
import { AbortError, BoundedQueue, OkoError, checkEdgeOptions, checkKnownKeys, checkObject, checkOneOf, optionalNumber, serializeError } from '@oko/core'
import { EventStream, type EventOverflow } from './event-stream.js'
import { FairQueue } from './fair-queue.js'
import { FramePool } from './frame-pool.js'
import type { Step } from './pipeline.js'
import { LatencyRing, addDrop, newCameraStats, totalDrops, type CameraStats, type DropCounts, type RunStats, type RunSummary } from './stats.js'
import type { PreparedJob, WorkerStage } from './worker-stage.js'

export interface RunOptions {
  /** Cancels the run: queued work is dropped (counted as `aborted`), running jobs finish, threads live on. */
  readonly signal?: AbortSignal
  /** The event stream: capacity (default 1024) and overflow (default `block` when every source is a file, else `drop-oldest`). */
  readonly events?: { readonly capacity?: number; readonly overflow?: EventOverflow }
  /** Defaults for every worker edge (a worker stage's own `edge` wins). */
  readonly edge?: EdgeOptions
  /** Pooled frame buffers (default: one per run). */
  readonly frames?: FramePool
}

/** A compiled step for one camera. */
type CStep =
  | { readonly kind: 'inline'; readonly name: string; readonly stage: Stage<unknown, unknown> }
  | { readonly kind: 'worker'; readonly dispatcher: Dispatcher }
  | { readonly kind: 'fan'; readonly branches: readonly (readonly CStep[])[] }

interface Camera {
  readonly id: string
  readonly source: FrameSource
  readonly ctx: StageContext
  readonly stats: CameraStats
  readonly owned: Stage<unknown, unknown>[]
  program: readonly CStep[]
  /** Coalesced drop counts not yet reported as events, per `edge\0reason`. */
  readonly unreported: Map<string, { edge: string; reason: DropReason; count: number; seq: number; ptsUs: number }>
}

interface Item {
  readonly camera: Camera
  readonly prepared: PreparedJob<unknown>
  readonly origin: FrameRef
  readonly startMs: number
  /** The steps after the worker step: `steps[next..]` (no per-item copy of the program). */
  readonly steps: readonly CStep[]
  readonly next: number
}

/** A running pipeline: events, completion, live stats. Made by `Pipeline.run()`. */
export class PipelineRun implements AsyncDisposable {
  /** Typed events, bounded (one consumer). Overflow arrives as `dropped` events (stage `events`). */
  readonly events: AsyncIterable<OkoEvent>
  /** Resolves with the summary when every source ended (or the run was aborted/closed) and all work settled. */
  readonly completion: Promise<RunSummary>
  readonly #stream: EventStream
  readonly #cameras: Camera[] = []
  readonly #dispatchers = new Map<WorkerStage<unknown, unknown>, Dispatcher>()
  readonly #frames: FramePool
  readonly #latency = new LatencyRing()
  readonly #abort = new AbortController()
  readonly #startMs = performance.now()
  readonly #edgeDefaults: EdgeOptions
  #liveCameras = 0
  #pending = 0
  #aborted = false
  #finished = false
  #resolve!: (summary: RunSummary) => void
  #reject!: (error: unknown) => void

  private constructor(sources: readonly FrameSource[], steps: readonly Step[], options: RunOptions) {
    const o = checkObject('options', options, {})
    checkKnownKeys('options', o, ['signal', 'events', 'edge', 'frames'])
    const ev = checkObject('options.events', o.events, {})
    checkKnownKeys('options.events', ev, ['capacity', 'overflow'])
    const anyLive = sources.some((s) => s.live)
    this.#stream = new EventStream(
      optionalNumber('options.events.capacity', ev.capacity, 1024, { min: 1, max: 1_000_000, integer: true }),
      checkOneOf('options.events.overflow', ev.overflow, ['block', 'drop-oldest'] as const, anyLive ? 'drop-oldest' : 'block'),
    )
    this.#edgeDefaults = checkEdgeOptions('options.edge', o.edge)
    this.#frames = options.frames ?? new FramePool()
    this.events = this.#stream
    this.completion = new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    for (const source of sources) {
      const camera: Camera = {
        id: source.cameraId,
        source,
        stats: newCameraStats(),
        owned: [],
        program: [],
        unreported: new Map(),
        ctx: { cameraId: source.cameraId, signal: this.#abort.signal, emit: (e) => this.#emit(e) },
      }
      camera.program = this.#compile(camera, steps)
      this.#cameras.push(camera)
    }
    const signal = options.signal
    if (signal) {
      if (signal.aborted) queueMicrotask(() => this.#stop(signal.reason))
      else signal.addEventListener('abort', () => this.#stop(signal.reason), { once: true })
    }
  }

  /** @internal use Pipeline.run() */
  static start(sources: readonly FrameSource[], steps: readonly Step[], options: RunOptions): PipelineRun {
    const run = new PipelineRun(sources, steps, options)
    run.#liveCameras = run.#cameras.length
    for (const d of run.#dispatchers.values()) d.loop().catch((error: unknown) => run.#dispatchFailed(d, error))
    for (const camera of run.#cameras) void run.#read(camera)
    return run
  }

  stats(): RunStats {
    const dropped: Record<string, DropCounts> = {}
    let framesIn = 0, gated = 0, inferred = 0, outputs = 0, errors = 0
    const cameras: Record<string, CameraStats> = {}
    for (const c of this.#cameras) {
      framesIn += c.stats.framesIn
      gated += c.stats.gated
      inferred += c.stats.inferred
      outputs += c.stats.outputs
      errors += c.stats.errors
      for (const [edge, counts] of Object.entries(c.stats.dropped)) {
        for (const [reason, n] of Object.entries(counts)) addDrop(dropped, edge, reason as DropReason, n ?? 0)
      }
      const cameraDrops = structuredClone(c.stats.dropped)
      const lost = this.#stream.droppedBy(c.id)
      if (lost > 0) {
        addDrop(cameraDrops, 'events', 'overflow', lost)
        addDrop(dropped, 'events', 'overflow', lost)
      }
      cameras[c.id] = { ...c.stats, dropped: cameraDrops }
    }
    const other = this.#stream.dropped - this.#cameras.reduce((n, c) => n + this.#stream.droppedBy(c.id), 0)
    if (other > 0) addDrop(dropped, 'events', 'overflow', other)
    let queued = 0, inFlight = 0
    for (const d of this.#dispatchers.values()) {
      queued += d.queue.size
      inFlight += d.inFlight
    }
    return {
      framesIn, gated, inferred, outputs, errors, dropped, droppedTotal: totalDrops(dropped), queued, inFlight,
      events: this.#stream.delivered, latencyMs: this.#latency.percentiles(), cameras,
      elapsedMs: Math.round(performance.now() - this.#startMs),
    }
  }

  /** Stops the run (like aborting its signal) and waits for the summary. Idempotent. */
  close(): Promise<RunSummary> {
    this.#stop(new AbortError('the run was closed'))
    return this.completion
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close().then(() => undefined)
  }

  #compile(camera: Camera, steps: readonly Step[]): CStep[] {
    const out: CStep[] = []
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!
      if (step.kind === 'inline') {
        const stage = step.make(camera.id)
        if (step.owned) camera.owned.push(stage)
        out.push({ kind: 'inline', name: stage.name, stage })
      } else if (step.kind === 'worker') {
        out.push({ kind: 'worker', dispatcher: this.#dispatcher(step.stage, camera) })
      } else {
        // What follows a fan-out is compiled once and shared by every branch.
        const rest = this.#compile(camera, steps.slice(i + 1))
        out.push({ kind: 'fan', branches: step.branches.map((b) => [...this.#compile(camera, [b]), ...rest]) })
        break
      }
    }
    return out
  }

  #dispatcher(stage: WorkerStage<unknown, unknown>, camera: Camera): Dispatcher {
    let d = this.#dispatchers.get(stage)
    if (!d) this.#dispatchers.set(stage, (d = new Dispatcher(stage, this.#frames, (item) => this.#onReply(item), this.#hooks())))
    if (!d.queue.queue(camera.id)) {
      const edge = { ...this.#edgeDefaults, ...stage.edge }
      const overflow: OverflowPolicy = edge.overflow ?? (camera.source.live ? 'drop-oldest' : 'block')
      d.maxAgeMs = edge.maxAgeMs
      d.queue.add(camera.id, new BoundedQueue<Item>({
        capacity: edge.capacity ?? 4,
        overflow,
        onDrop: (item) => this.#dropItem(item, stage.name, 'overflow'),
        onItem: () => d!.wake(),
      }))
    }
    return d
  }

  #hooks(): DispatcherHooks {
    return {
      stale: (item, stage) => this.#dropItem(item, stage, 'stale'),
      failed: (item, stage, error) => this.#fail(item.camera, stage, error, item.origin),
      settled: () => {
        this.#pending--
        this.#settle()
      },
      reported: (item, stage) => this.#reportDrops(item.camera, stage),
      aborted: () => this.#aborted,
    }
  }

  async #read(camera: Camera): Promise<void> {
    const onEvent = (e: SourceNotice) => {
      if (e.type === 'dropped') addDrop(camera.stats.dropped, e.stage, e.reason, e.count)
      this.#emit(e)
    }
    try {
      for await (const frame of camera.source.frames({ signal: this.#abort.signal, onEvent })) {
        if (this.#aborted) break
        camera.stats.framesIn++
        const origin: FrameRef = { cameraId: camera.id, seq: frame.seq, ptsUs: frame.ptsUs, wallMs: frame.wallMs }
        await this.#flow(camera, frame, camera.program, 0, origin, performance.now())
        const wait = this.#stream.whenWritable()
        if (wait) await wait
      }
    } catch (error) {
      if (!this.#aborted) this.#fail(camera, 'source', error, { cameraId: camera.id, seq: camera.stats.framesIn, ptsUs: 0, wallMs: Date.now() })
    } finally {
      this.#liveCameras--
      this.#settle()
    }
  }

  /** Runs an item through steps[i..]; frames stay borrowed until this returns. */
  async #flow(camera: Camera, input: unknown, steps: readonly CStep[], i: number, origin: FrameRef, startMs: number): Promise<void> {
    let value = input
    for (; i < steps.length; i++) {
      const step = steps[i]!
      if (step.kind === 'inline') {
        let out: unknown
        try {
          const result = step.stage.process(value, camera.ctx)
          // Synchronous stages (the usual gate) cost no extra microtask.
          out = result instanceof Promise ? await result : result
        } catch (error) {
          this.#fail(camera, step.name, error, origin)
          return
        }
        if (out === undefined) {
          camera.stats.gated++
          this.#tick(camera, steps, i + 1, origin)
          return
        }
        value = out
      } else if (step.kind === 'fan') {
        const v = value
        await Promise.all(step.branches.map((b) => this.#flow(camera, v, b, 0, origin, startMs)))
        return
      } else {
        const d = step.dispatcher
        let prepared: PreparedJob<unknown> | undefined
        try {
          prepared = d.stage.options.prepare(value, { frames: this.#frames, ctx: camera.ctx })
        } catch (error) {
          this.#fail(camera, d.stage.name, error, origin)
          return
        }
        if (prepared === undefined) {
          camera.stats.gated++
          this.#tick(camera, steps, i + 1, origin)
          return
        }
        if (this.#aborted) {
          this.#release(prepared)
          addDrop(camera.stats.dropped, d.stage.name, 'aborted', 1)
          return
        }
        this.#pending++
        const wait = d.queue.queue(camera.id)!.push({ camera, prepared, origin, startMs, steps, next: i + 1 })
        if (wait) await wait
        return
      }
    }
    camera.stats.outputs++
    this.#latency.add(performance.now() - startMs)
    if (isEvent(value)) this.#emit(value)
  }

  /** Tells the stages in steps[i..] (and in fan-out branches) that a frame stopped before them. */
  #tick(camera: Camera, steps: readonly CStep[], i: number, origin: FrameRef): void {
    for (; i < steps.length; i++) {
      const step = steps[i]!
      if (step.kind === 'fan') {
        for (const b of step.branches) this.#tick(camera, b, 0, origin)
        return
      }
      const stage = step.kind === 'inline' ? step.stage : step.dispatcher.stage
      if (!stage.tick) continue
      try {
        stage.tick(origin, camera.ctx)
      } catch (error) {
        this.#fail(camera, stage.name, error, origin)
      }
    }
  }

  /** Every item settled, events still open: each camera's stages emit what is pending. */
  async #flush(camera: Camera): Promise<void> {
    const stages = new Set<Pick<Stage<unknown, unknown>, 'name' | 'flush'>>()
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
        this.#fail(camera, stage.name, error, { cameraId: camera.id, seq: -1, ptsUs: 0, wallMs: Date.now() })
      }
    }
  }

  async #onReply(done: { item: Item; reply: unknown; stage: WorkerStage<unknown, unknown> }): Promise<void> {
    const { item, reply, stage } = done
    const camera = item.camera
    camera.stats.inferred++
    if (this.#aborted) return
    let out: unknown = reply
    try {
      if (stage.options.finish) out = await stage.options.finish(reply, item.origin, camera.ctx)
    } catch (error) {
      this.#fail(camera, stage.name, error, item.origin)
      return
    }
    if (out === undefined) {
      camera.stats.gated++
      return
    }
    await this.#flow(camera, out, item.steps, item.next, item.origin, item.startMs)
  }

  #emit(event: OkoEvent): void {
    this.#stream.push(event)
  }

  #fail(camera: Camera, stage: string, error: unknown, origin: FrameRef): void {
    camera.stats.errors++
    this.#emit({
      type: 'error', cameraId: camera.id, seq: origin.seq, ptsUs: origin.ptsUs, timeMs: Date.now(),
      stage, error: serializeError(error), fatal: false,
    })
  }

  /** A worker stage's runner failed outside a job (e.g. its `whenFree` rejected): nothing more can run on it, so the run stops. */
  #dispatchFailed(d: Dispatcher, error: unknown): void {
    this.#emit({ type: 'error', cameraId: '*', seq: -1, ptsUs: 0, timeMs: Date.now(), stage: d.stage.name, error: serializeError(error), fatal: true })
    this.#stop(error)
  }

  #dropItem(item: Item, edge: string, reason: DropReason): void {
    this.#release(item.prepared)
    addDrop(item.camera.stats.dropped, edge, reason, 1)
    const key = `${edge}\0${reason}`
    const entry = item.camera.unreported.get(key)
    if (entry) {
      entry.count++
      entry.seq = item.origin.seq
      entry.ptsUs = item.origin.ptsUs
    } else {
      item.camera.unreported.set(key, { edge, reason, count: 1, seq: item.origin.seq, ptsUs: item.origin.ptsUs })
    }
    this.#pending--
    this.#settle()
  }

  /** Emits the coalesced drop counts of one edge (or all edges) of a camera as `dropped` events. */
  #reportDrops(camera: Camera, edge?: string): void {
    for (const [key, d] of camera.unreported) {
      if (edge !== undefined && d.edge !== edge) continue
      camera.unreported.delete(key)
      this.#emit({ type: 'dropped', cameraId: camera.id, seq: d.seq, ptsUs: d.ptsUs, timeMs: Date.now(), stage: d.edge, count: d.count, reason: d.reason })
    }
  }

  #release(prepared: PreparedJob<unknown>): void {
    for (const b of prepared.transfer ?? []) this.#frames.release(b)
  }

  #stop(reason: unknown): void {
    if (this.#aborted || this.#finished) return
    this.#aborted = true
    this.#abort.abort(reason)
    this.#stream.unblock()
    for (const d of this.#dispatchers.values()) {
      for (const { item } of d.queue.clear()) this.#dropItem(item, d.stage.name, 'aborted')
    }
    this.#settle()
  }

  #settle(): void {
    if (this.#finished || this.#liveCameras > 0 || this.#pending > 0) return
    this.#finished = true
    void this.#finish()
  }

  async #finish(): Promise<void> {
    try {
      for (const d of this.#dispatchers.values()) d.stop()
      for (const c of this.#cameras) this.#reportDrops(c)
      for (const c of this.#cameras) await this.#flush(c)
      const closing: Promise<void>[] = []
      for (const c of this.#cameras) for (const s of c.owned) if (s.close) closing.push(s.close())
      const failures = (await Promise.allSettled(closing)).filter((r) => r.status === 'rejected')
      for (const f of failures) this.#emit({ type: 'error', cameraId: '*', seq: -1, ptsUs: 0, timeMs: Date.now(), stage: 'close', error: serializeError(f.reason), fatal: false })
      const stats = this.stats()
      this.#stream.end()
      this.#resolve({ ...stats, aborted: this.#aborted })
    } catch (error) {
      this.#stream.end()
      this.#reject(error)
    }
  }
}

interface DispatcherHooks {
  stale(item: Item, stage: string): void
  failed(item: Item, stage: string, error: unknown): void
  reported(item: Item, stage: string): void
  settled(): void
  aborted(): boolean
}

/** Moves items of one worker stage from the per-camera edges to its pool, fairly, when a thread is free. */
class Dispatcher {
  readonly queue = new FairQueue<Item>()
  maxAgeMs: number | undefined
  inFlight = 0
  readonly #perCamera = new Map<string, number>()
  #stopped = false
  #wake: (() => void) | undefined

  constructor(
    readonly stage: WorkerStage<unknown, unknown>,
    readonly frames: FramePool,
    readonly onReply: (done: { item: Item; reply: unknown; stage: WorkerStage<unknown, unknown> }) => Promise<void>,
    readonly hooks: DispatcherHooks,
  ) {}

  wake(): void {
    const w = this.#wake
    this.#wake = undefined
    w?.()
  }

  stop(): void {
    this.#stopped = true
    this.wake()
  }

  async loop(): Promise<void> {
    const pool = this.stage.options.pool
    while (!this.#stopped) {
      await pool.whenFree()
      if (this.#stopped) return
      if (pool.needsDrain) continue
      const quota = this.stage.maxInFlightPerCamera
      const next = this.queue.next(quota === Infinity ? undefined : (id) => (this.#perCamera.get(id) ?? 0) < quota)
      if (!next) {
        await new Promise<void>((resolve) => (this.#wake = resolve))
        continue
      }
      const item = next.item
      if (this.maxAgeMs !== undefined && performance.now() - item.startMs > this.maxAgeMs) {
        this.hooks.stale(item, this.stage.name)
        continue
      }
      this.hooks.reported(item, this.stage.name)
      this.#send(item)
    }
  }

  #send(item: Item): void {
    this.inFlight++
    const id = item.camera.id
    this.#perCamera.set(id, (this.#perCamera.get(id) ?? 0) + 1)
    const transfer = item.prepared.transfer ?? []
    // The loop checked needsDrain in this same tick, so tryRun sends at once.
    const sent = this.stage.options.pool.tryRun(item.prepared.job, { transfer, recycle: (b) => this.frames.release(b) })
    ;(sent ?? Promise.reject(new OkoError('ERR_CLOSED', `pool ${this.stage.options.pool.name} is closed`)))
      .then(
        (reply) => this.onReply({ item, reply, stage: this.stage }),
        (error) => this.hooks.failed(item, this.stage.name, error),
      )
      .catch((error) => this.hooks.failed(item, this.stage.name, error))
      .finally(() => {
        this.inFlight--
        this.#perCamera.set(id, this.#perCamera.get(id)! - 1)
        this.wake()
        this.hooks.settled()
      })
  }
}

function isEvent(value: unknown): value is OkoEvent {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' && typeof (value as { cameraId?: unknown }).cameraId === 'string'
}
