import type { Frame, FrameSource, Stage, StageFactory } from '@oko/core'
import { InvalidOptionError, describeValue } from '@oko/core'
import { PipelineRun, type RunOptions } from './run.js'
import { isWorkerStage, type WorkerStage } from './worker-stage.js'

/** What `pipe` and `fanOut` take: a stage, a per-camera stage factory, or a worker stage. */
export type StageLike<I, O> = Stage<I, O> | StageFactory<I, O> | WorkerStage<I, O>

/** The output type of a StageLike. */
export type OutputOf<S> = S extends WorkerStage<never, infer O>
  ? O
  : S extends (cameraId: string) => Stage<never, infer O>
    ? O
    : S extends Stage<never, infer O>
      ? O
      : never

/** @internal a step of the built pipeline. */
export type Step =
  | { readonly kind: 'inline'; readonly name: string; readonly make: (cameraId: string) => Stage<unknown, unknown>; readonly owned: boolean }
  | { readonly kind: 'worker'; readonly stage: WorkerStage<unknown, unknown> }
  | { readonly kind: 'fan'; readonly branches: readonly Step[] }

/**
 * A typed, immutable pipeline description: `Pipeline.from(cameras).pipe(motion).pipe(plates)`.
 * Each call returns a new Pipeline; `run()` starts one run of it.
 */
export class Pipeline<T> {
  readonly #sources: readonly FrameSource[]
  readonly #steps: readonly Step[]

  private constructor(sources: readonly FrameSource[], steps: readonly Step[]) {
    this.#sources = sources
    this.#steps = steps
  }

  /** Starts a pipeline over one source or many (one process, shared pools, per-camera state). */
  static from(source: FrameSource | readonly FrameSource[]): Pipeline<Frame> {
    const list = Array.isArray(source) ? (source as readonly FrameSource[]) : [source as FrameSource]
    if (list.length === 0) throw new InvalidOptionError('sources', 'expected at least one FrameSource, received an empty array')
    const seen = new Set<string>()
    list.forEach((s, i) => {
      if (typeof s !== 'object' || s === null || typeof s.frames !== 'function' || typeof s.cameraId !== 'string') {
        throw new InvalidOptionError(`sources[${i}]`, `expected a FrameSource (from @oko/source), received ${describeValue(s)}`)
      }
      if (seen.has(s.cameraId)) throw new InvalidOptionError(`sources[${i}].cameraId`, `duplicate camera id "${s.cameraId}"; give each camera its own id`)
      seen.add(s.cameraId)
    })
    return new Pipeline<Frame>(list, [])
  }

  /** Appends a stage. Pass a factory `(cameraId) => stage` for stages with per-camera state. */
  pipe<O>(stage: StageLike<T, O>): Pipeline<O> {
    return new Pipeline<O>(this.#sources, [...this.#steps, toStep(stage, 'stage')])
  }

  /** Sends each item to every stage; what follows gets every branch's outputs. */
  fanOut<S extends readonly StageLike<T, unknown>[]>(stages: readonly [...S]): Pipeline<OutputOf<S[number]>> {
    if (!Array.isArray(stages) || stages.length === 0) throw new InvalidOptionError('stages', `expected a non-empty array of stages, received ${describeValue(stages)}`)
    const branches = stages.map((s, i) => toStep(s, `stages[${i}]`))
    return new Pipeline<OutputOf<S[number]>>(this.#sources, [...this.#steps, { kind: 'fan', branches }])
  }

  /** Starts a run. Read `run.events` (one consumer), await `run.completion`, or `close()` it. */
  run(options: RunOptions = {}): PipelineRun {
    return PipelineRun.start(this.#sources, this.#steps, options)
  }
}

function toStep(stage: unknown, path: string): Step {
  if (isWorkerStage(stage)) return { kind: 'worker', stage }
  if (typeof stage === 'function') {
    const factory = stage as StageFactory<unknown, unknown>
    return { kind: 'inline', name: factory.name || 'stage', make: (id) => checkStage(factory(id), `${path}(${JSON.stringify(id)})`), owned: true }
  }
  const s = checkStage(stage, path)
  return { kind: 'inline', name: s.name, make: () => s, owned: false }
}

function checkStage(stage: unknown, path: string): Stage<unknown, unknown> {
  const s = stage as Stage<unknown, unknown>
  if (typeof s !== 'object' || s === null || typeof s.process !== 'function' || typeof s.name !== 'string') {
    throw new InvalidOptionError(path, `expected a Stage ({ name, process(input, ctx) }), a factory (cameraId) => Stage, or a workerStage(...), received ${describeValue(stage)}`)
  }
  return s
}

