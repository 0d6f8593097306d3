import type { EdgeOptions, Frame, FrameRef, Rect, Stage, StageContext } from '@oko/core'
import { InvalidOptionError, checkNumber, checkObject, checkString } from '@oko/core'
import { frameFromMessage, type FrameMessage } from './frame-message.js'
import type { PoolRunOptions } from './pool.js'
import type { WorkerDefinition } from './protocol.js'
import { workerStage, type TaskRunner, type WorkerStage } from './worker-stage.js'

/** What a queued stage's inner stage gets: an owned copy of the frame and the regions (absent: the whole frame). */
export interface QueuedInput {
  readonly frame: Frame
  readonly regions?: readonly Rect[]
}

interface QueuedJob {
  readonly message: FrameMessage
  readonly regions: readonly Rect[] | undefined
  readonly stage: Stage<QueuedInput, unknown>
  readonly ctx: StageContext
}

export interface QueuedStageOptions {
  readonly name: string
  /** Items processed at once over all cameras (the inner stages' model threads). Default 1. */
  readonly concurrency?: number
  /** The inner stage, or one per camera (they may share a model pool). */
  readonly stage: Stage<QueuedInput, unknown> | ((cameraId: string) => Stage<QueuedInput, unknown>)
  readonly edge?: EdgeOptions
}

/**
 * Puts an async model stage (plateStage, faceStage: their models already run on worker threads)
 * behind the pipeline's worker-stage machinery, so a camera's decode loop never waits for a model:
 * each frame that passed the gate (a Frame, a `{ frame, regions }` or the motion stage's
 * `{ frame, motion }`) is copied once (pooled buffer) onto a bounded per-camera edge (`block` for
 * files, `drop-oldest` for live sources, drops counted in the run summary and reported as
 * `dropped` events), and cameras take turns for the model threads. One item per camera runs at a
 * time, so per-camera state (plate voting, face tracks) sees frames in order. The inner stage's
 * `tick` runs for gated frames while nothing of its camera is queued or running, and its `flush`
 * when the run ends. Items that reach the end count as outputs (with latency); what the inner
 * stage returns is dropped.
 */
export function queuedStage(options: QueuedStageOptions): QueuedStage {
  const o = checkObject('options', options)
  const name = checkString('options.name', o.name)
  const concurrency = o.concurrency === undefined ? 1 : checkNumber('options.concurrency', o.concurrency, { min: 1, max: 256, integer: true })
  if (typeof o.stage !== 'function' && typeof (o.stage as { process?: unknown } | null)?.process !== 'function') {
    throw new InvalidOptionError('options.stage', 'expected a Stage ({ name, process }) or a function (cameraId) => Stage')
  }
  const stageFor = typeof o.stage === 'function' ? o.stage : () => o.stage as Stage<QueuedInput, unknown>
  // Per camera: the seq of the newest item handed to the edge, and of the newest that settled.
  const handed = new Map<string, number>()
  const settled = new Map<string, number>()
  const runner = new StageRunner(name, concurrency, (cameraId, seq) => settled.set(cameraId, Math.max(seq, settled.get(cameraId) ?? -Infinity)))
  const idle = (cameraId: string) => (settled.get(cameraId) ?? -Infinity) >= (handed.get(cameraId) ?? -Infinity)
  const stage = workerStage<unknown, WorkerDefinition<never, QueuedJob, true>, true>({
    name,
    pool: runner,
    maxInFlightPerCamera: 1,
    ...(options.edge ? { edge: options.edge } : {}),
    prepare(input, { frames, ctx }) {
      const { frame, regions } = unpack(input)
      if (regions && regions.length === 0) return undefined
      const message = frames.copy(frame).transfer()
      const job: QueuedJob = { message, regions, stage: stageFor(ctx.cameraId), ctx }
      handed.set(ctx.cameraId, frame.seq)
      return { job, transfer: [message.buffer] }
    },
    finish: () => true,
  })
  return Object.assign(stage, {
    idle,
    tick(frame: FrameRef, ctx: StageContext): void {
      if (idle(ctx.cameraId)) stageFor(ctx.cameraId).tick?.(frame, ctx)
    },
    flush(ctx: StageContext): void | Promise<void> {
      return stageFor(ctx.cameraId).flush?.(ctx)
    },
  })
}

/** A worker stage made by queuedStage. */
export interface QueuedStage extends WorkerStage<unknown, true> {
  /** true when every item of the camera handed to the edge has settled (none queued or running, except dropped ones). */
  idle(cameraId: string): boolean
  tick(frame: FrameRef, ctx: StageContext): void
  flush(ctx: StageContext): void | Promise<void>
}

function unpack(input: unknown): { frame: Frame; regions: readonly Rect[] | undefined } {
  const i = input as Frame | { frame: Frame; motion?: { regions: readonly Rect[] }; regions?: readonly Rect[] }
  if ('planes' in i) return { frame: i, regions: undefined }
  return { frame: i.frame, regions: i.motion?.regions ?? i.regions }
}

/** Runs jobs on this thread, at most `threads` at once; the inner stage sends the model work to its own pool. */
class StageRunner implements TaskRunner<QueuedJob, true> {
  #active = 0
  #waiters: (() => void)[] = []

  constructor(readonly name: string, readonly threads: number, readonly onSettled: (cameraId: string, seq: number) => void) {}

  get needsDrain(): boolean {
    return this.#active >= this.threads
  }

  whenFree(): Promise<void> {
    if (!this.needsDrain) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  tryRun(job: QueuedJob, options: PoolRunOptions = {}): Promise<true> | undefined {
    if (this.needsDrain) return undefined
    this.#active++
    return (async () => {
      try {
        const frame = frameFromMessage(job.message)
        await job.stage.process(job.regions ? { frame, regions: job.regions } : { frame }, job.ctx)
        return true as const
      } finally {
        this.onSettled(job.ctx.cameraId, job.message.info.seq)
        options.recycle?.(job.message.buffer)
        this.#active--
        if (this.#waiters.length > 0) for (const w of this.#waiters.splice(0)) w()
      }
    })()
  }
}
