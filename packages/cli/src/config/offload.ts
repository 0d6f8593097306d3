import type { EdgeOptions, Frame, Rect, Stage, StageContext } from '@oko/core'
import { frameFromMessage, workerStage, type FrameMessage, type PoolRunOptions, type TaskRunner, type WorkerDefinition, type WorkerStage } from '@oko/pipeline'

/** What an offloaded model stage gets: an owned copy of the frame and the motion regions (absent: whole frame). */
export interface OffloadInput {
  readonly frame: Frame
  readonly regions?: readonly Rect[]
}

interface OffloadJob {
  readonly message: FrameMessage
  readonly regions: readonly Rect[] | undefined
  readonly stage: Stage<OffloadInput, unknown>
  readonly ctx: StageContext
}

export interface OffloadOptions {
  readonly name: string
  /** Items processed at once over all cameras (the inner stage's model threads). */
  readonly concurrency: number
  /** The inner stage of a camera (it may share its model pool with other cameras' stages). */
  readonly stageFor: (cameraId: string) => Stage<OffloadInput, unknown>
  readonly edge?: EdgeOptions
}

/**
 * Puts an async model stage (plateStage, faceStage: their models already run on worker threads)
 * behind the pipeline's worker-stage machinery, so a camera's decode loop never waits for a model:
 * each frame that passed the gate is copied once (pooled buffer) onto a bounded per-camera edge
 * (`block` for files, `drop-oldest` for live sources, drops counted in the run summary and
 * reported as `dropped` events), and cameras take turns for the model threads. One item per
 * camera runs at a time, so per-camera state (plate voting, face tracks) sees frames in order.
 * Items that reach the end count as outputs (with latency); what the inner stage returns is dropped.
 */
export function offloadStage(options: OffloadOptions): OffloadStage {
  // Per camera: the seq of the newest item handed to the edge, and of the newest that settled.
  const handed = new Map<string, number>()
  const settled = new Map<string, number>()
  const runner = new StageRunner(options.name, options.concurrency, (cameraId, seq) => settled.set(cameraId, Math.max(seq, settled.get(cameraId) ?? -Infinity)))
  const stage = workerStage<unknown, WorkerDefinition<never, OffloadJob, true>, true>({
    name: options.name,
    pool: runner,
    maxInFlightPerCamera: 1,
    ...(options.edge ? { edge: options.edge } : {}),
    prepare(input, { frames, ctx }) {
      const { frame, regions } = unpack(input)
      if (regions && regions.length === 0) return undefined
      const message = frames.copy(frame).transfer()
      const job: OffloadJob = { message, regions, stage: options.stageFor(ctx.cameraId), ctx }
      handed.set(ctx.cameraId, frame.seq)
      return { job, transfer: [message.buffer] }
    },
    finish: () => true,
  })
  return Object.assign(stage, {
    idle: (cameraId: string) => (settled.get(cameraId) ?? -Infinity) >= (handed.get(cameraId) ?? -Infinity),
  })
}

/** A worker stage made by offloadStage. */
export interface OffloadStage extends WorkerStage<unknown, true> {
  /** true when every item of the camera handed to the edge has settled (none queued or running, except dropped ones). */
  idle(cameraId: string): boolean
}

function unpack(input: unknown): { frame: Frame; regions: readonly Rect[] | undefined } {
  const i = input as Frame | { frame: Frame; motion?: { regions: readonly Rect[] }; regions?: readonly Rect[] }
  if ('planes' in i) return { frame: i, regions: undefined }
  return { frame: i.frame, regions: i.motion?.regions ?? i.regions }
}

/** Runs jobs on this thread, at most `threads` at once; the inner stage sends the model work to its own pool. */
class StageRunner implements TaskRunner<OffloadJob, true> {
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

  tryRun(job: OffloadJob, options: PoolRunOptions = {}): Promise<true> | undefined {
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
