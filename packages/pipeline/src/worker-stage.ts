import type { EdgeOptions, FrameRef, StageContext } from '@oko/core'
import { InvalidOptionError, checkEdgeOptions, checkNumber, checkObject, checkString } from '@oko/core'
import type { FramePool } from './frame-pool.js'
import type { InferencePool, PoolRunOptions } from './pool.js'
import type { AnyWorker, JobOf, ReplyOf } from './protocol.js'

export interface PrepareTools {
  /** Pooled buffers: `frames.copy(frame)` materializes a borrowed frame once. */
  readonly frames: FramePool
  readonly ctx: StageContext
}

/** A job ready to send: list in `transfer` the buffers it carries (moved, not copied). */
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

export interface WorkerStageOptions<I, W extends AnyWorker, O> {
  readonly name: string
  /** An InferencePool (its worker module's type gives the job and reply types), or another TaskRunner. */
  readonly pool: InferencePool<W> | TaskRunner<JobOf<W>, ReplyOf<W>>
  /**
   * Runs on the decode thread with the borrowed input: copy what the worker needs (once) and
   * return the job, or `undefined` to stop the item here.
   */
  prepare(input: I, tools: PrepareTools): PreparedJob<JobOf<W>> | undefined
  /** Turns a reply into the stage's output (an event to emit, or a value for the next stage). Default: the reply. */
  finish?(reply: ReplyOf<W>, origin: FrameRef, ctx: StageContext): O | undefined | Promise<O | undefined>
  /** The bounded edge in front of the pool (per camera). */
  readonly edge?: EdgeOptions
  /** Most jobs of one camera on the pool's threads at once (a per-camera quota). Default: no quota, round-robin only. */
  readonly maxInFlightPerCamera?: number
}

/** A stage whose work runs on a worker pool; made by `workerStage()`. */
export interface WorkerStage<I, O> {
  readonly kind: 'worker'
  readonly name: string
  readonly edge: EdgeOptions
  readonly maxInFlightPerCamera: number
  /** @internal */
  readonly options: WorkerStageOptions<I, AnyWorker, O>
  /** Like an inline stage's (see core's Stage): frames gated before this stage, and the run's end, per camera. */
  tick?(frame: FrameRef, ctx: StageContext): void
  flush?(ctx: StageContext): void | Promise<void>
  /** Type-level only. */
  readonly __io?: (input: I) => O
}

/** Declares a stage that sends each item to a worker pool, behind a bounded per-camera edge. */
export function workerStage<I, W extends AnyWorker, O = ReplyOf<W>>(options: WorkerStageOptions<I, W, O>): WorkerStage<I, O> {
  const o = checkObject('options', options)
  const name = checkString('options.name', o.name)
  if (typeof o.prepare !== 'function') throw new InvalidOptionError('options.prepare', 'expected a function (input, { frames, ctx }) => { job, transfer } | undefined')
  if (o.finish !== undefined && typeof o.finish !== 'function') throw new InvalidOptionError('options.finish', 'expected a function (reply, origin, ctx) => output')
  if (typeof o.pool !== 'object' || o.pool === null || typeof (o.pool as { tryRun?: unknown }).tryRun !== 'function') {
    throw new InvalidOptionError('options.pool', 'expected an InferencePool (await InferencePool.create({ worker, threads, init })) or a TaskRunner')
  }
  const edge = checkEdgeOptions('options.edge', o.edge)
  const maxInFlightPerCamera = o.maxInFlightPerCamera === undefined ? Infinity : checkNumber('options.maxInFlightPerCamera', o.maxInFlightPerCamera, { min: 1, max: 4096, integer: true })
  return { kind: 'worker', name, edge, maxInFlightPerCamera, options: options as unknown as WorkerStageOptions<I, AnyWorker, O> }
}

export function isWorkerStage(value: unknown): value is WorkerStage<unknown, unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'worker'
}
