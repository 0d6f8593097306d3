import type { EdgeOptions, Envelope, FrameRef, Rect, StageContext } from '@oko/core'
import { InvalidOptionError, checkEdgeOptions, checkNumber, checkObject, checkString } from '@oko/core'
import type { FrameMessage } from './frame-message.js'
import type { InferencePool, PoolRunOptions } from './pool.js'
import type { AnyWorker, JobOf, ReplyOf } from './protocol.js'

export interface PrepareTools {
  /**
   * Materialises the envelope's frame (or `regions` of it, frame pixels) ONCE and returns what a
   * job carries: the copy lives in shared memory until the envelope leaves the pipeline, and every
   * later stage of the cascade reuses it (a region it already holds is never copied again).
   */
  own(envelope: Envelope, regions?: readonly Rect[]): FrameMessage
  readonly ctx: StageContext
}

/** A job ready to send: list in `transfer` any ArrayBuffers it carries (moved, not copied). */
export interface PreparedJob<Job> {
  readonly job: Job
  readonly transfer?: readonly ArrayBuffer[]
}

/**
 * Where a worker stage sends its jobs: an InferencePool, or anything with the same gating
 * surface (a job is sent only when `needsDrain` is false; `tryRun` never queues).
 */
export interface TaskRunner<Job, Reply> {
  readonly name: string
  readonly needsDrain: boolean
  whenFree(): Promise<void>
  tryRun(job: Job, options?: PoolRunOptions): Promise<Reply> | undefined
}

/** What `prepare` returns to let the envelope pass this stage without a job (nothing to do in this frame). */
export const PASS = 'pass' as const

export interface WorkerStageOptions<W extends AnyWorker> {
  readonly name: string
  /** An InferencePool (its worker module's type gives the job and reply types), or another TaskRunner. */
  readonly pool: InferencePool<W> | TaskRunner<JobOf<W>, ReplyOf<W>>
  /**
   * Runs on the decode thread with the envelope (its frame still borrowed): return the job
   * (`tools.own()` materialises the pixels it needs), `PASS` to let the envelope go on without a
   * job, or `undefined` to stop it here.
   */
  prepare(envelope: Envelope, tools: PrepareTools): PreparedJob<JobOf<W>> | typeof PASS | undefined
  /**
   * Back on the decode thread with the reply: enrich the envelope and return it to pass it on,
   * or `undefined` to stop it. Its frame is the owned copy (valid until the envelope leaves the
   * pipeline). Default: pass the envelope on.
   */
  finish?(reply: ReplyOf<W>, envelope: Envelope, ctx: StageContext): Envelope | undefined | Promise<Envelope | undefined>
  /** The bounded edge in front of the pool (per camera). */
  readonly edge?: EdgeOptions
  /**
   * Most jobs of one camera sent and not yet handed on (running, or finished and waiting for an
   * earlier one: replies go on in frame order). Default 4; 1 runs a camera's items one at a time.
   * It bounds each camera's owned frames to edge capacity + this.
   */
  readonly maxInFlightPerCamera?: number
  /** See core's Stage: frames gated before this stage, and a camera that is done. */
  tick?(frame: FrameRef, ctx: StageContext): void
  flush?(ctx: StageContext): void | Promise<void>
  /** Releases what the stage owns (a pool it created). */
  close?(): void | Promise<void>
  /** The stage's finish reads the whole picture (see core's Stage): stages before it materialise whole frames. */
  readonly wholeFrame?: boolean
  /**
   * Whether this stage may read the pixels of `envelope` (default: yes). Asked when an earlier
   * stage lets a frame pass without a job behind the camera's queued items, with the envelope as
   * it is there: if no later stage may read it, it is not copied (a frame the detector skipped,
   * for a stage that reads only detected vehicles). Answer yes when unsure.
   */
  readsPixels?(envelope: Envelope): boolean
}

/** A stage whose work runs on a worker pool; made by `workerStage()`. Shared by every camera of a run. */
export interface WorkerStage extends AsyncDisposable {
  readonly kind: 'worker'
  readonly name: string
  readonly edge: EdgeOptions
  readonly maxInFlightPerCamera: number
  readonly wholeFrame: boolean
  /** @internal */
  readonly options: WorkerStageOptions<AnyWorker>
  tick?(frame: FrameRef, ctx: StageContext): void
  flush?(ctx: StageContext): void | Promise<void>
  /** Idempotent. */
  close(): Promise<void>
}

/** Declares a stage that sends each envelope's job to a worker pool, behind a bounded per-camera edge. */
export function workerStage<W extends AnyWorker>(options: WorkerStageOptions<W>): WorkerStage {
  const o = checkObject('options', options)
  const name = checkString('options.name', o.name)
  if (typeof o.prepare !== 'function') throw new InvalidOptionError('options.prepare', 'expected a function (envelope, { own, ctx }) => { job } | PASS | undefined')
  if (o.finish !== undefined && typeof o.finish !== 'function') throw new InvalidOptionError('options.finish', 'expected a function (reply, envelope, ctx) => envelope | undefined')
  if (typeof o.pool !== 'object' || o.pool === null || typeof (o.pool as { tryRun?: unknown }).tryRun !== 'function') {
    throw new InvalidOptionError('options.pool', 'expected an InferencePool (await InferencePool.create({ worker, threads, init })) or a TaskRunner')
  }
  for (const hook of ['tick', 'flush', 'close', 'readsPixels'] as const) {
    if (o[hook] !== undefined && typeof o[hook] !== 'function') throw new InvalidOptionError(`options.${hook}`, 'expected a function')
  }
  const edge = checkEdgeOptions('options.edge', o.edge)
  const maxInFlightPerCamera = o.maxInFlightPerCamera === undefined ? 4 : checkNumber('options.maxInFlightPerCamera', o.maxInFlightPerCamera, { min: 1, max: 4096, integer: true })
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => (closing ??= Promise.resolve().then(() => options.close?.()))
  const stage: WorkerStage = {
    kind: 'worker', name, edge, maxInFlightPerCamera, wholeFrame: o.wholeFrame === true,
    options: options as unknown as WorkerStageOptions<AnyWorker>,
    close,
    [Symbol.asyncDispose]: close,
  }
  if (options.tick) stage.tick = options.tick.bind(options)
  if (options.flush) stage.flush = options.flush.bind(options)
  return stage
}

export function isWorkerStage(value: unknown): value is WorkerStage {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'worker'
}
