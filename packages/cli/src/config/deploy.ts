import type { FrameSource, OkoEvent } from '@oko/core'
import { OkoError, serializeError } from '@oko/core'
import { EventEncoder, Pipeline, type RunSummary, type StageLike } from '@oko/pipeline'
import { Source, isLiveUrl } from '@oko/source'
import { KernelModule } from '@oko/wasm'
import type { CameraConfig, DeploymentConfig } from './schema.js'
import { defaultStages, type StageRegistry } from './stages.js'

export interface DeploymentHooks {
  /** Opens one camera. Default: `Source.open` from @oko/source. */
  readonly openSource?: (camera: CameraConfig) => Promise<FrameSource>
  readonly registry?: StageRegistry
  readonly signal?: AbortSignal
  /** Receives each encoded event (the output's bytes). */
  readonly write: (bytes: Uint8Array) => void | Promise<void>
  /** Called for each event before it is written (for progress). */
  readonly onEvent?: (event: OkoEvent) => void
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
    await hooks.write(encoder.encode(event))
  }
  const sources: FrameSource[] = []
  const failed: string[] = []
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
    const byId = new Map(config.cameras.map((c) => [c.id, c]))
    // Stages are made up front, per camera (factories must be synchronous for the pipeline).
    const made = new Map<string, StageLike<unknown, unknown>[]>()
    for (const source of sources) {
      const camera = byId.get(source.cameraId) ?? config.cameras.find((c) => c.url === (source as { url?: string }).url)!
      const stages: StageLike<unknown, unknown>[] = []
      for (const s of config.stages) {
        stages.push(await registry[s.name]!.create({ ...s.options, ...camera.stages[s.name] }, camera, module ? { module } : {}))
      }
      made.set(source.cameraId, stages)
    }
    let pipeline: Pipeline<unknown> = Pipeline.from(sources)
    config.stages.forEach((s, i) => {
      pipeline = pipeline.pipe((cameraId: string) => perCamera(made.get(cameraId)![i]!, cameraId, s.name))
    })
    const run = pipeline.run({ ...(hooks.signal ? { signal: hooks.signal } : {}), edge: config.edge, events: config.events })
    for await (const event of run.events) await write(event)
    return { summary: await run.completion, failedCameras: failed }
  } finally {
    await Promise.allSettled(sources.map((s) => s.close()))
  }
}

function perCamera(stage: StageLike<unknown, unknown>, cameraId: string, name: string) {
  if (typeof stage === 'function') return stage(cameraId)
  if ('process' in stage) return stage
  throw new OkoError('ERR_UNSUPPORTED', `stage "${name}": worker stages are not yet supported in configs`)
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
