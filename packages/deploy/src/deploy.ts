import type { FrameSource, OkoEvent, Stage } from '@oko/core'
import { EVENT_VERSION, InvalidOptionError, OkoError, newId, serializeError } from '@oko/core'
import { DeploymentAlarms } from './alarms.js'
import { LightInputs } from './lights.js'
import { DeploymentSearch, openLivePage } from './live.js'
import { EvidenceRecorder } from './evidence.js'
import { HttpEndpoint, deploymentMetrics } from './metrics.js'
import { RuleMetrics } from './rule-metrics.js'
import { Delivery, type DeliveryStats } from './delivery.js'
import { Pipeline, type PipelineRun, type RunStats, type RunSummary, type SubscribeOptions, type Subscription, type WorkerStage } from '@oko/pipeline'
import { Source, isLiveUrl } from '@oko/source'
import { LiveFrames, type LiveServer } from '@oko/live'
import { KernelModule } from '@oko/wasm'
import { ResourcePool } from './resources.js'
import { validateCamera, type CameraConfig, type DeploymentConfig } from './schema.js'
import { defaultStages, type StageRegistry } from './stages.js'

export interface DeploymentOptions {
  /** Opens one camera. Default: `Source.open` from @oko/source. */
  readonly openSource?: (camera: CameraConfig) => Promise<FrameSource>
  /** Stages configs may name. Default: `defaultStages()`. */
  readonly registry?: StageRegistry
  /** Stops the deployment like `close()`. */
  readonly signal?: AbortSignal
  /**
   * Keep running while no camera runs (a cluster worker, an application that adds cameras): it
   * ends when closed. Default false: the deployment ends when its cameras have ended.
   */
  readonly keepOpen?: boolean
  /** Folder relative paths of cameras added later are taken from. Default: the working directory. */
  readonly baseDir?: string
  /** A stage run first on every camera's frames, before the motion gate (the live page's pictures). */
  readonly firstStage?: (cameraId: string) => Stage
  /** A stage run last on every camera's frames that reach the end (what the live pictures hide). */
  readonly lastStage?: (cameraId: string) => Stage
}

/**
 * A running deployment: the cameras of a config, each with its stages, in one pipeline run, with
 * cameras added, removed and reconfigured at run time without touching the others. What cameras
 * share (model pools, readers, watchlists) is made once and closed with the last camera that
 * uses it. What `oko run`, an application and a cluster worker all use.
 *
 * ```ts
 * await using deployment = await Deployment.start(loadDeployment('deploy.yaml'))
 * for await (const event of deployment.events) console.log(event.type)
 * ```
 */
export class Deployment implements AsyncDisposable {
  readonly run: PipelineRun
  readonly #config: DeploymentConfig
  readonly #cameras: Map<string, { config: CameraConfig; source: FrameSource }>
  readonly #failed = new Set<string>()
  readonly #resources: ResourcePool
  readonly #open: (camera: CameraConfig) => Promise<FrameSource>
  readonly #registry: StageRegistry
  readonly #baseDir: string
  /** Camera changes, one at a time (add, remove, update of one camera never interleave). */
  #changes: Promise<unknown> = Promise.resolve()
  #closing: Promise<RunSummary> | undefined

  private constructor(config: DeploymentConfig, run: PipelineRun, resources: ResourcePool, cameras: Map<string, { config: CameraConfig; source: FrameSource }>, options: DeploymentOptions) {
    this.#config = config
    this.run = run
    this.#resources = resources
    this.#cameras = cameras
    this.#open = options.openSource ?? openCamera
    this.#registry = options.registry ?? defaultStages()
    this.#baseDir = options.baseDir ?? process.cwd()
  }

  /**
   * Opens every camera of a validated config (one that fails is reported as an `error` event and
   * left out; the others run) and starts the pipeline. Rejects with ERR_SOURCE_UNREACHABLE when
   * no camera could be opened (unless `keepOpen`).
   */
  static async start(config: DeploymentConfig, options: DeploymentOptions = {}): Promise<Deployment> {
    const open = options.openSource ?? openCamera
    const registry = options.registry ?? defaultStages()
    const opened = await Promise.allSettled(config.cameras.map((c) => open(c)))
    const sources = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    if (sources.length === 0 && config.cameras.length > 0 && !options.keepOpen) {
      const reasons = opened.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : '')).filter(Boolean)
      throw new OkoError('ERR_SOURCE_UNREACHABLE', `no camera could be opened: ${reasons.join('; ')}`)
    }
    // one kernel module for every camera's motion detector and colour kernel
    const module = config.stages.some((s) => s.name === 'motion' || s.name === 'attributes') ? await KernelModule.load() : undefined
    const resources = new ResourcePool(module)
    const cameras = new Map<string, { config: CameraConfig; source: FrameSource }>()
    opened.forEach((r, i) => {
      if (r.status === 'fulfilled') cameras.set(config.cameras[i]!.id, { config: config.cameras[i]!, source: r.value })
    })
    // The pipeline is built once; each camera's stages come from its own config when it joins.
    const factory = (name: string) => (cameraId: string): Promise<Stage | WorkerStage> => {
      const camera = cameras.get(cameraId)?.config
      if (!camera) throw new OkoError('ERR_INVALID_INPUT', `camera ${cameraId} has no config in this deployment`)
      const stage = config.stages.find((s) => s.name === name)!
      return Promise.resolve(registry[name]!.create({ ...stage.options, ...camera.stages[name] }, camera, resources.scope(cameraId)))
    }
    let pipeline = Pipeline.from(sources)
    if (options.firstStage) pipeline = pipeline.pipe(options.firstStage)
    for (const step of config.order) {
      pipeline = typeof step === 'string' ? pipeline.pipe(factory(step)) : pipeline.fanOut(step.map((name) => factory(name)))
    }
    if (options.lastStage) pipeline = pipeline.pipe(options.lastStage)
    const run = pipeline.run({
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.keepOpen ? { keepOpen: true } : {}),
      edge: config.edge,
      events: config.events,
    })
    const deployment = new Deployment(config, run, resources, cameras, { ...options, openSource: open, registry })
    opened.forEach((r, i) => {
      if (r.status === 'rejected') deployment.#reportFailed(config.cameras[i]!.id, r.reason)
    })
    // When the run ends (its cameras ended, or it was stopped), what was opened is closed.
    void run.completion.then(() => deployment.#release(), () => deployment.#release())
    return deployment
  }

  /** The run's events: the default subscriber (bounded, one consumer). */
  get events(): Subscription {
    return this.run.events
  }

  get completion(): Promise<RunSummary> {
    return this.run.completion
  }

  /** Another consumer of the events with its own bounded queue (a sink, the live page). */
  subscribe(options?: SubscribeOptions): Subscription {
    return this.run.subscribe(options)
  }

  stats(): RunStats {
    return this.run.stats()
  }

  /** The cameras running now, by their config. */
  cameras(): readonly CameraConfig[] {
    return [...this.#cameras.values()].map((c) => c.config)
  }

  /** Cameras that could not be opened (each also reported as an `error` event). */
  failedCameras(): readonly string[] {
    return [...this.#failed]
  }

  /** Keys of shared resources with the number of cameras holding each (model pools, readers, stages). */
  sharedResources(): Record<string, number> {
    return this.#resources.holders()
  }

  /**
   * Adds a camera (a config entry as in `cameras:`, validated against the deployment's stages),
   * opens it and starts its stages; the other cameras are not touched. Rejects with a clear error
   * when it is invalid, its id is taken, or it cannot be opened.
   */
  addCamera(camera: unknown): Promise<CameraConfig> {
    return this.#serial(async () => {
      const config = validateCamera(camera, { path: 'camera', baseDir: this.#baseDir, stages: this.#config.stages, registry: this.#registry })
      if (this.#cameras.has(config.id)) throw new InvalidOptionError('camera.id', `camera "${config.id}" is already running; remove it first or give it another id`)
      await this.#start(config)
      return config
    })
  }

  /** Stops a camera: its queued work is dropped (counted), open tracks are reported, its stages closed, its source closed; shared resources it alone held are closed. */
  removeCamera(cameraId: string): Promise<void> {
    return this.#serial(() => this.#stop(cameraId))
  }

  /**
   * Reconfigures a camera: `patch` is merged over its config entry (`{ fps: 5 }`, `{ zones: […] }`,
   * `{ stages: { plates: { watchlist } } }`), validated, and the camera restarted with it. The
   * other cameras are not touched. On a bad patch the camera keeps running as it was.
   */
  updateCamera(cameraId: string, patch: Record<string, unknown>): Promise<CameraConfig> {
    return this.#serial(async () => {
      const current = this.#cameras.get(cameraId)
      if (!current) throw new InvalidOptionError('cameraId', `no camera "${cameraId}" is running`)
      if (patch.id !== undefined && patch.id !== cameraId) throw new InvalidOptionError('patch.id', 'a camera keeps its id; remove it and add a new one instead')
      const next = validateCamera({ ...entryOf(current.config), ...patch }, { path: 'patch', baseDir: this.#baseDir, stages: this.#config.stages, registry: this.#registry })
      await this.#stop(cameraId)
      await this.#start(next)
      return next
    })
  }

  /** Stops everything and waits for the summary. Idempotent. */
  close(): Promise<RunSummary> {
    this.#closing ??= this.run.close().finally(() => this.#release())
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close().catch(() => undefined)
  }

  async #start(config: CameraConfig): Promise<void> {
    const source = await this.#open(config)
    this.#cameras.set(config.id, { config, source })
    this.#failed.delete(config.id)
    try {
      await this.run.addCamera(source)
    } catch (error) {
      this.#cameras.delete(config.id)
      await source.close().catch(() => undefined)
      await this.#resources.release(config.id)
      throw error
    }
  }

  async #stop(cameraId: string): Promise<void> {
    const camera = this.#cameras.get(cameraId)
    if (!camera) throw new InvalidOptionError('cameraId', `no camera "${cameraId}" is running; running: ${[...this.#cameras.keys()].join(', ') || 'none'}`)
    await this.run.removeCamera(cameraId)
    this.#cameras.delete(cameraId)
    await camera.source.close().catch(() => undefined)
    await this.#resources.release(cameraId)
  }

  #reportFailed(cameraId: string, reason: unknown): void {
    this.#failed.add(cameraId)
    this.run.publish({ type: 'error', cameraId, stage: 'source', error: serializeError(reason), fatal: false })
  }

  #serial<T>(change: () => Promise<T>): Promise<T> {
    const next = this.#changes.then(change)
    this.#changes = next.catch(() => undefined)
    return next
  }

  /** After the run: sources closed, shared resources closed. */
  async #release(): Promise<void> {
    const sources = [...this.#cameras.values()].map((c) => c.source)
    this.#cameras.clear()
    await Promise.allSettled(sources.map((s) => s.close()))
    await this.#resources.closeAll()
  }
}

export interface DeploymentHooks {
  /** Opens one camera. Default: `Source.open` from @oko/source. */
  readonly openSource?: (camera: CameraConfig) => Promise<FrameSource>
  readonly registry?: StageRegistry
  readonly signal?: AbortSignal
  /** Where `stdout` outputs write. Default `process.stdout`. */
  readonly stdout?: NodeJS.WritableStream
  /** Called for each event before it is written (for progress). */
  readonly onEvent?: (event: OkoEvent) => void
  /** Called once the deployment runs (for live stats and metrics; `alarms` and the live page when the config has them). */
  readonly onStart?: (deployment: Deployment, delivery: Delivery, alarms?: DeploymentAlarms, live?: LiveServer) => void
  /** Keep running with no camera until the signal (a cluster worker adds and removes cameras). */
  readonly keepOpen?: boolean
}

export interface DeploymentResult {
  readonly summary: RunSummary
  /** Cameras that could not be opened (each also reported as an `error` event). */
  readonly failedCameras: readonly string[]
  readonly delivery: DeliveryStats
}

/**
 * Runs a validated deployment to its end and sends every event to the config's outputs (files
 * and stdout as they come; webhooks and brokers through the durable outbox): what `oko run`
 * does. Output files are created before any camera opens. Closes what it opened; events not yet
 * delivered when it ends (after `outbox.drainSeconds`) stay in the outbox for the next start.
 */
export async function runDeployment(config: DeploymentConfig, hooks: DeploymentHooks = {}): Promise<DeploymentResult> {
  const delivery = Delivery.open(config.delivery, hooks.stdout ? { stdout: hooks.stdout } : {})
  let search: DeploymentSearch | undefined
  let evidence: EvidenceRecorder | undefined
  try {
    // what the live page searches: every delivered event, kept after the outputs took it
    search = config.http?.search ? new DeploymentSearch(config.http.search) : undefined
    evidence = config.delivery.evidence ? new EvidenceRecorder(config.delivery.evidence) : undefined
  } catch (error) {
    search?.close()
    await delivery.close(0).catch(() => undefined)
    throw error
  }
  const deliver = async (batch: readonly OkoEvent[]): Promise<void> => {
    await delivery.deliver(batch)
    search?.add(batch)
  }
  const open = hooks.openSource ?? openCamera
  const openSource = async (camera: CameraConfig): Promise<FrameSource> => {
    const source = await open(camera)
    const ring = evidence?.ringFor(camera.id)
    if (ring && source instanceof Source) source.recordPackets(ring)
    return source
  }
  let started: Deployment | undefined
  const endpoints: HttpEndpoint[] = []
  let alarms: DeploymentAlarms | undefined
  let live: LiveServer | undefined
  // the live pictures: for the page, and for the snapshots of an alarm's linked cameras
  const frames = config.http || config.alarms ? new LiveFrames(config.http?.live) : undefined
  const ruleMetrics = new RuleMetrics()
  // stop lines whose light is set from outside: their engines listen to the alarm inputs' signals
  const lights = config.alarms && config.alarms.lights.length > 0 ? new LightInputs(config.alarms.lights) : undefined
  const registry = lights ? lights.registry(hooks.registry ?? defaultStages()) : hooks.registry
  try {
    started = await Deployment.start(config, {
      openSource,
      ...(frames ? { firstStage: frames.stage } : {}),
      ...(frames?.redacts ? { lastStage: frames.boxesStage } : {}),
      ...(registry ? { registry } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      ...(hooks.keepOpen ? { keepOpen: true } : {}),
    })
    endpoints.push(...(await openEndpoints(config, started, delivery, evidence, ruleMetrics)))
    const run = started.run
    const alarmEvidence = evidence ? (cameras: readonly string[], _atMs: number, alarmId: string) => evidence.alarmEvidence(cameras, alarmId, frames && ((c) => frames.picture(c).then((p) => p?.jpeg))) : undefined
    if (config.alarms) alarms = await DeploymentAlarms.open(config.alarms, (e) => run.publish(e), alarmEvidence, lights)
    if (config.http && frames) live = await openLivePage(config.http, config.delivery.name, started, frames, alarms?.desk, search)
  } catch (error) {
    await live?.close().catch(() => undefined)
    await alarms?.close().catch(() => undefined)
    await Promise.allSettled(endpoints.map((e) => e.close()))
    await started?.close().catch(() => undefined)
    await delivery.close(0).catch(() => undefined)
    evidence?.close()
    search?.close()
    throw error
  }
  const deployment = started
  let failure: unknown
  const ticker = evidence ? setInterval(() => void evidence.tick(), 250) : undefined
  try {
    delivery.start((event) => deployment.run.publish(event))
    // clip events come when a clip is written, which can be after the run's bus has ended: they go straight to the outputs
    let clipWrites: Promise<void> = Promise.resolve()
    evidence?.start((init) => {
      const event = { id: newId(), v: EVENT_VERSION, timeMs: Date.now(), ...init } as OkoEvent
      hooks.onEvent?.(event)
      clipWrites = clipWrites.then(() => deliver([event]))
      // a failed write is thrown where the run awaits clipWrites, not as an unhandled rejection
      clipWrites.catch(() => undefined)
    })
    hooks.onStart?.(deployment, delivery, alarms, live)
    const events = deployment.events
    let batch: OkoEvent[] = []
    for await (const raw of events) {
      const event = evidence ? evidence.process(raw) : raw
      ruleMetrics.observe(event)
      hooks.onEvent?.(event)
      batch.push(event)
      // what is queued now goes in one outbox transaction
      if (events.size === 0 || batch.length >= 256) {
        await deliver(batch)
        batch = []
        void evidence?.tick()
      }
    }
    if (batch.length > 0) await deliver(batch)
    // clips still waiting for their post-roll are cut from what the rings hold
    await evidence?.finish()
    await clipWrites
    const summary = await deployment.completion
    return { summary, failedCameras: deployment.failedCameras(), delivery: delivery.stats() }
  } catch (error) {
    failure = error
    throw error
  } finally {
    clearInterval(ticker)
    await live?.close().catch(() => undefined)
    await alarms?.close().catch(() => undefined)
    await deployment.close().catch(() => undefined)
    await Promise.allSettled(endpoints.map((e) => e.close()))
    evidence?.close()
    search?.close()
    // a lost write to a local output must not end as success
    const closing = delivery.close()
    if (failure === undefined) await closing
    else await closing.catch(() => undefined)
  }
}

/** The metrics and evidence endpoints the config asks for (one server where they share host:port). */
async function openEndpoints(config: DeploymentConfig, deployment: Deployment, delivery: Delivery, evidence: EvidenceRecorder | undefined, rules: RuleMetrics): Promise<HttpEndpoint[]> {
  const m = config.delivery.metrics
  const e = config.delivery.evidence?.listen
  const registry = m ? deploymentMetrics(() => deployment.stats(), () => delivery.stats(), rules) : undefined
  const out: HttpEndpoint[] = []
  try {
    if (m && e && m.host === e.host && m.port === e.port) {
      out.push(await HttpEndpoint.listen(m, { metrics: registry!, evidence: evidence!.store }))
    } else {
      if (m) out.push(await HttpEndpoint.listen(m, { metrics: registry! }))
      if (e) out.push(await HttpEndpoint.listen(e, { evidence: evidence!.store }, 'evidence.listen'))
    }
  } catch (error) {
    await Promise.allSettled(out.map((x) => x.close()))
    throw error
  }
  return out
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

/** A validated camera as the config entry it came from (polygons as point lists), to merge a patch over. */
function entryOf(camera: CameraConfig): Record<string, unknown> {
  const { masks, zones, ...rest } = camera
  return {
    ...rest,
    masks: masks.map((m) => m.map((p) => [p.x, p.y])),
    zones: zones.map((z) => ({ ...z, polygon: z.polygon.map((p) => [p.x, p.y]) })),
  }
}
