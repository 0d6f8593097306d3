import type { FrameSource, Stage } from '@oko/core'
import { InvalidOptionError, describeValue } from '@oko/core'
import { PipelineRun, type RunOptions } from './run.js'
import { isWorkerStage, type WorkerStage } from './worker-stage.js'

/**
 * Makes a camera's stage when the camera joins a run: a Stage of its own (the run closes it when
 * the camera is done), or a worker stage (shared by every camera it is returned for; its maker
 * closes it). May be async, and fails then, not on every frame.
 */
export type CameraStageFactory = (cameraId: string) => Stage | WorkerStage | Promise<Stage | WorkerStage>

/** What `pipe` and `fanOut` take: a stage (shared by every camera), a worker stage, or a per-camera factory. */
export type StageLike = Stage | WorkerStage | CameraStageFactory

/** @internal a step of the built pipeline. */
export type Step =
  | { readonly kind: 'inline'; readonly make: (cameraId: string) => Stage | WorkerStage | Promise<Stage | WorkerStage>; readonly owned: boolean }
  | { readonly kind: 'worker'; readonly stage: WorkerStage }
  | { readonly kind: 'fan'; readonly branches: readonly Step[] }

/**
 * An immutable pipeline description: `Pipeline.from(cameras).pipe(motion).pipe(plates)`. Each
 * call returns a new Pipeline; `run()` starts one run of it. Every stage gets the frame's
 * envelope (`{ frame, motion?, detections, tracks }`) and enriches it.
 */
export class Pipeline {
  readonly #sources: readonly FrameSource[]
  readonly #steps: readonly Step[]

  private constructor(sources: readonly FrameSource[], steps: readonly Step[]) {
    this.#sources = sources
    this.#steps = steps
  }

  /**
   * Starts a pipeline over one source or many (one process, shared pools, per-camera state).
   * An empty list is allowed: add cameras to the run later (`run({ keepOpen: true })`).
   */
  static from(source: FrameSource | readonly FrameSource[]): Pipeline {
    const list = Array.isArray(source) ? (source as readonly FrameSource[]) : [source as FrameSource]
    const seen = new Set<string>()
    list.forEach((s, i) => {
      checkSource(s, `sources[${i}]`)
      if (seen.has(s.cameraId)) throw new InvalidOptionError(`sources[${i}].cameraId`, `duplicate camera id "${s.cameraId}"; give each camera its own id`)
      seen.add(s.cameraId)
    })
    return new Pipeline(list, [])
  }

  /** Appends a stage. Pass a factory `(cameraId) => stage` for stages with per-camera state (the run closes what it makes). */
  pipe(stage: StageLike): Pipeline {
    return new Pipeline(this.#sources, [...this.#steps, toStep(stage, 'stage')])
  }

  /** Sends each envelope to every branch (a copy each); what follows runs on every branch's output. */
  fanOut(stages: readonly StageLike[]): Pipeline {
    if (!Array.isArray(stages) || stages.length === 0) throw new InvalidOptionError('stages', `expected a non-empty array of stages, received ${describeValue(stages)}`)
    const branches = stages.map((s, i) => toStep(s, `stages[${i}]`))
    return new Pipeline(this.#sources, [...this.#steps, { kind: 'fan', branches }])
  }

  /** Starts a run: read `run.events` (or `run.subscribe()`), await `run.completion`, or `close()` it. */
  run(options: RunOptions = {}): PipelineRun {
    return PipelineRun.start(this.#sources, this.#steps, options)
  }
}

/** @internal */
export function checkSource(s: unknown, path: string): asserts s is FrameSource {
  if (typeof s !== 'object' || s === null || typeof (s as FrameSource).frames !== 'function' || typeof (s as FrameSource).cameraId !== 'string') {
    throw new InvalidOptionError(path, `expected a FrameSource (from @oko/source), received ${describeValue(s)}`)
  }
}

function toStep(stage: unknown, path: string): Step {
  if (isWorkerStage(stage)) return { kind: 'worker', stage }
  if (typeof stage === 'function') {
    const factory = stage as CameraStageFactory
    return {
      kind: 'inline',
      owned: true,
      make: (id) => {
        const made = factory(id)
        const check = (s: Stage | WorkerStage) => (isWorkerStage(s) ? s : checkStage(s, `${path}(${JSON.stringify(id)})`))
        return made instanceof Promise ? made.then(check) : check(made)
      },
    }
  }
  const s = checkStage(stage, path)
  return { kind: 'inline', make: () => s, owned: false }
}

function checkStage(stage: unknown, path: string): Stage {
  const s = stage as Stage
  if (typeof s !== 'object' || s === null || typeof s.process !== 'function' || typeof s.name !== 'string') {
    throw new InvalidOptionError(path, `expected a Stage (defineStage({ name, process })), a factory (cameraId) => Stage, or a workerStage(...), received ${describeValue(stage)}`)
  }
  return s
}
