import type { EdgeOptions, Envelope, FrameRef, Stage, StageContext, StageFactory } from '@oko/core'
import { InvalidOptionError, checkNumber, checkObject, checkOneOf, checkString } from '@oko/core'
import type { WorkerDefinition } from './protocol.js'
import { PASS, workerStage, type TaskRunner, type WorkerStage } from './worker-stage.js'

export interface QueuedStageOptions {
  readonly name: string
  /** The inner stage (shared by every camera), or a factory called once per camera (the queued stage closes what it makes). */
  readonly stage: Stage | StageFactory
  /** Envelopes processed at once over all cameras (the inner stage's model threads). Default 1. */
  readonly concurrency?: number
  readonly edge?: EdgeOptions
  /**
   * What is materialised for the inner stage: `motion` (default) the regions the motion gate
   * found (the whole frame where there was no gate), `frame` the whole picture.
   */
  readonly pixels?: 'motion' | 'frame'
}

interface QueuedJob {
  readonly envelope: Envelope
  readonly ctx: StageContext
}

/**
 * Puts an async stage whose heavy work already runs elsewhere (its own model threads) on the
 * pipeline's one offload path, so a camera's decode loop never waits for it: each envelope that
 * reaches it is materialised once (shared memory, its regions or the whole frame) onto a bounded
 * per-camera edge (`block` for files, `drop-oldest` for live sources, drops counted and reported),
 * and cameras take turns. One envelope per camera runs at a time, in order, so per-camera state
 * sees frames in order. The inner stage's output goes on to the next stage; its `tick` runs for
 * gated frames once nothing of its camera is queued or running, its `flush` when the camera is
 * done (a stage made for that camera is then closed).
 */
export function queuedStage(options: QueuedStageOptions): WorkerStage {
  const o = checkObject('options', options)
  const name = checkString('options.name', o.name)
  const concurrency = o.concurrency === undefined ? 1 : checkNumber('options.concurrency', o.concurrency, { min: 1, max: 256, integer: true })
  const pixels = checkOneOf('options.pixels', o.pixels, ['motion', 'frame'] as const, 'motion')
  const shared = typeof o.stage === 'function' ? undefined : (o.stage as Stage | null)
  if (shared !== undefined && typeof shared?.process !== 'function') {
    throw new InvalidOptionError('options.stage', 'expected a Stage ({ name, process }) or a function (cameraId) => Stage')
  }
  const factory = shared ? undefined : (o.stage as StageFactory)
  // Per camera: the stage being made, and (for sync ticks) the stage once made.
  const making = new Map<string, Promise<Stage>>()
  const made = new Map<string, Stage>()
  const stageFor = (cameraId: string): Promise<Stage> => {
    if (shared) return Promise.resolve(shared)
    let p = making.get(cameraId)
    if (!p) {
      p = Promise.resolve(factory!(cameraId)).then((s) => {
        made.set(cameraId, s)
        return s
      })
      making.set(cameraId, p)
    }
    return p
  }
  const runner = new LocalRunner<QueuedJob, Envelope | undefined>(name, concurrency, (job) => stageFor(job.ctx.cameraId).then((s) => s.process(job.envelope, job.ctx)))
  return workerStage<WorkerDefinition<never, QueuedJob, Envelope | undefined>>({
    name,
    pool: runner,
    maxInFlightPerCamera: 1,
    ...(o.edge !== undefined ? { edge: o.edge as EdgeOptions } : {}),
    prepare(envelope, tools) {
      const regions = pixels === 'motion' ? envelope.motion?.regions : undefined
      if (regions && regions.length === 0) return PASS
      tools.own(envelope, regions)
      return { job: { envelope, ctx: tools.ctx } }
    },
    finish: (reply) => reply,
    tick(frame: FrameRef, ctx: StageContext) {
      ;(shared ?? made.get(ctx.cameraId))?.tick?.(frame, ctx)
    },
    async flush(ctx: StageContext) {
      if (shared) return shared.flush?.(ctx)
      const stage = making.has(ctx.cameraId) ? await making.get(ctx.cameraId) : undefined
      making.delete(ctx.cameraId)
      made.delete(ctx.cameraId)
      if (!stage) return
      try {
        await stage.flush?.(ctx)
      } finally {
        await stage.close()
      }
    },
    async close() {
      const stages = await Promise.allSettled(making.values())
      making.clear()
      made.clear()
      await Promise.allSettled(stages.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)))
    },
  })
}

/** Runs jobs on this thread, at most `threads` at once; the inner stage sends its model work to its own pool. */
class LocalRunner<Job, Reply> implements TaskRunner<Job, Reply> {
  #active = 0
  #waiters: (() => void)[] = []

  constructor(readonly name: string, readonly threads: number, readonly run: (job: Job) => Promise<Reply>) {}

  get needsDrain(): boolean {
    return this.#active >= this.threads
  }

  whenFree(): Promise<void> {
    if (!this.needsDrain) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  tryRun(job: Job): Promise<Reply> | undefined {
    if (this.needsDrain) return undefined
    this.#active++
    return this.run(job).finally(() => {
      this.#active--
      if (this.#waiters.length > 0) for (const w of this.#waiters.splice(0)) w()
    })
  }
}
