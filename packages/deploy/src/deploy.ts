import type { FrameSource, OkoEvent, SerializedError, Stage } from '@oko/core'
import { OkoError, serializeError } from '@oko/core'
import { EventEncoder, Pipeline, isWorkerStage, type PipelineRun, type RunSummary, type StageLike } from '@oko/pipeline'
import { Source, isLiveUrl } from '@oko/source'
import { KernelModule } from '@oko/wasm'
import type { CameraConfig, DeploymentConfig } from './schema.js'
import { defaultStages, type SharedResources, type StageRegistry } from './stages.js'

export interface DeploymentHooks {
  /** Opens one camera. Default: `Source.open` from @oko/source. */
  readonly openSource?: (camera: CameraConfig) => Promise<FrameSource>
  readonly registry?: StageRegistry
  readonly signal?: AbortSignal
  /** Receives each encoded event (the output's bytes). */
  readonly write: (bytes: Uint8Array) => void | Promise<void>
  /** Called for each event before it is written (for progress). */
  readonly onEvent?: (event: OkoEvent) => void
  /** Called once the pipeline runs (for live stats). */
  readonly onStart?: (run: PipelineRun) => void
}

export interface DeploymentResult {
  readonly summary: RunSummary
  /** Cameras that could not be opened (each also reported as an `error` event). */
  readonly failedCameras: readonly string[]
}

/**
 * Runs a validated deployment: opens every camera (one that fails is reported and skipped, the
 * others run), builds one pipeline over all of them (stages made per camera), and writes every
 * event through one encoder. Closes what it opened.
 */
export async function runDeployment(config: DeploymentConfig, hooks: DeploymentHooks): Promise<DeploymentResult> {
  const registry = hooks.registry ?? defaultStages()
  const open = hooks.openSource ?? openCamera
  const encoder = new EventEncoder(config.output.format)
  const write = async (event: OkoEvent) => {
    hooks.onEvent?.(event)
    // Outputs go to command centres: error events carry code and message, not stacks.
    const out = event.type === 'error' ? { ...event, error: withoutStack(event.error) } : event
    await hooks.write(encoder.encode(out))
  }
  const sources: FrameSource[] = []
  const failed: string[] = []
  let cleanup = async (): Promise<void> => {}
  try {
    const opened = await Promise.allSettled(config.cameras.map((c) => open(c)))
    for (const [i, r] of opened.entries()) {
      const camera = config.cameras[i]!
      if (r.status === 'fulfilled') sources.push(r.value)
      else {
        failed.push(camera.id)
        await write({ type: 'error', cameraId: camera.id, seq: 0, ptsUs: 0, timeMs: Date.now(), stage: 'source', error: serializeError(r.reason), fatal: false })
      }
    }
    if (sources.length === 0) {
      const reasons = opened.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : '')).filter(Boolean)
      throw new OkoError('ERR_SOURCE_UNREACHABLE', `no camera could be opened: ${reasons.join('; ')}`)
    }
    const module = config.stages.some((s) => s.name === 'motion') ? await KernelModule.load() : undefined
    const made = new Map<string, Promise<unknown>>()
    const closers: (() => Promise<void>)[] = []
    const shared: SharedResources = {
      ...(module ? { module } : {}),
      once<T>(key: string, make: () => Promise<T>, close?: (value: T) => Promise<void>): Promise<T> {
        let p = made.get(key) as Promise<T> | undefined
        if (!p) {
          made.set(key, (p = make()))
          if (close) closers.push(async () => close(await p!))
        }
        return p
      },
    }
    // Shared resources close after the run, in reverse order of creation (stages before their pools).
    cleanup = async () => {
      for (const c of closers.reverse()) await c().catch(() => {})
    }
    const byId = new Map(config.cameras.map((c) => [c.id, c]))
    const steps: { name: string; branch: boolean; stage: StageLike<unknown, unknown> }[] = []
    for (const s of config.stages) {
      // Made up front for every camera (pipeline factories are synchronous).
      const perCamera = new Map<string, StageLike<unknown, unknown>>()
      for (const source of sources) {
        const camera = byId.get(source.cameraId)!
        perCamera.set(source.cameraId, await registry[s.name]!.create({ ...s.options, ...camera.stages[s.name] }, camera, shared))
      }
      const all = [...perCamera.values()]
      const branch = registry[s.name]!.branch === true
      if (all.every((x) => isWorkerStage(x))) {
        if (all.some((x) => x !== all[0])) throw new OkoError('ERR_UNSUPPORTED', `stage "${s.name}": a worker stage must be the same for every camera (make it once with shared.once)`)
        steps.push({ name: s.name, branch, stage: all[0]! })
      } else {
        steps.push({ name: s.name, branch, stage: (cameraId: string) => asStage(perCamera.get(cameraId)!, cameraId, s.name) })
      }
    }
    let pipeline: Pipeline<unknown> = Pipeline.from(sources)
    const branches = steps.filter((s) => s.branch)
    for (const s of steps.filter((x) => !x.branch)) pipeline = pipeline.pipe(s.stage)
    // Model stages run side by side on the frames that passed the gate.
    if (branches.length === 1) pipeline = pipeline.pipe(branches[0]!.stage)
    else if (branches.length > 1) pipeline = pipeline.fanOut(branches.map((b) => b.stage))
    const run = pipeline.run({ ...(hooks.signal ? { signal: hooks.signal } : {}), edge: config.edge, events: config.events })
    hooks.onStart?.(run)
    for await (const event of run.events) await write(event)
    return { summary: await run.completion, failedCameras: failed }
  } finally {
    await Promise.allSettled(sources.map((s) => s.close()))
    await cleanup()
  }
}

function asStage(stage: StageLike<unknown, unknown>, cameraId: string, name: string): Stage<unknown, unknown> {
  if (typeof stage === 'function') return stage(cameraId)
  if (!isWorkerStage(stage)) return stage
  throw new OkoError('ERR_UNSUPPORTED', `stage "${name}": mixes worker and inline stages across cameras`)
}

async function openCamera(camera: CameraConfig): Promise<FrameSource> {
  const live = camera.live ?? isLiveUrl(camera.url)
  return Source.open(camera.url, {
    id: camera.id,
    // A live camera that is down at start is retried with backoff (source events), not skipped.
    ...(live ? { connect: 'lazy' as const } : {}),
    ...(camera.fps !== undefined ? { fps: camera.fps } : {}),
    ...(camera.live !== undefined ? { live: camera.live } : {}),
    ...(camera.transport !== undefined ? { transport: camera.transport } : {}),
    ...(camera.scale !== undefined ? { scale: camera.scale } : {}),
    ...(camera.keyframesOnly !== undefined ? { keyframesOnly: camera.keyframesOnly } : {}),
    ...(camera.loop !== undefined ? { loop: camera.loop } : {}),
    ...(camera.realtime !== undefined ? { realtime: camera.realtime } : {}),
    ...(camera.main !== undefined ? { main: camera.main } : {}),
  })
}

function withoutStack(error: SerializedError): SerializedError {
  const { stack: _stack, cause, ...rest } = error
  return cause ? { ...rest, cause: withoutStack(cause) } : rest
}
