import { join } from 'node:path'
import type { FrameSource } from '@oko/core'
import { parseDeployment, runDeployment, type CameraConfig, type DeploymentResult } from '@oko/deploy'
import type { KvEntry, NatsConnection } from 'nats'
import { DEFAULT_TIMINGS, checkTimings, type ClusterTimings } from './lease.js'
import { Member } from './member.js'
import { EVENTS_STREAM, EVENTS_SUBJECT, openClusterStore, type ClusterBuckets } from './store.js'

export interface WorkerOptions {
  readonly nc: NatsConnection
  /** The NATS servers (the events stream output connects to them itself). */
  readonly servers: readonly string[]
  readonly id: string
  /** Camera units this worker runs at most. */
  readonly capacity: number
  /** Where the outbox lives (kept across restarts of the same worker: undelivered events go out then). */
  readonly dataDir: string
  /** Also write every event to this local file (JSON lines). */
  readonly output?: string
  /** Where this worker serves the live page when the deployment has `http:` (default: its `http.listen`; workers on one host need one each). */
  readonly httpListen?: string
  readonly timings?: Partial<ClusterTimings>
  /** Opens a camera (default: as `oko run` does). */
  readonly openSource?: (camera: CameraConfig) => Promise<FrameSource>
  readonly log?: (line: string) => void
  /** Aborting hands every camera over (released at once, not left to time out) and ends the run. */
  readonly signal: AbortSignal
}

/**
 * One `oko worker`: joins the cluster, takes the cameras placement gives it by lease, runs them
 * in one @oko/deploy Deployment and sends their events to the events stream through the outbox.
 * Resolves when the signal aborted (after handing its cameras over) or when the deployment's
 * config changed (`restart: true`: the caller starts a new one).
 */
export async function runWorker(options: WorkerOptions): Promise<{ restart: boolean; result: DeploymentResult }> {
  const log = options.log ?? (() => undefined)
  const timings = checkTimings({ ...DEFAULT_TIMINGS, ...options.timings })
  let store: ClusterBuckets | undefined
  let config: KvEntry | null = null
  for (let said = false; !options.signal.aborted; said = true) {
    store ??= await openClusterStore(options.nc, timings.renewMs)
    config = store ? await store.deploy.get('config').catch(() => null) : null
    if (config?.operation === 'PUT') break
    if (!said) log('no deployment in NATS yet: waiting for `oko cluster apply`')
    await sleep(1000, options.signal)
  }
  if (!store || !config || options.signal.aborted) return { restart: false, result: await emptyResult() }
  const top = config.json<Record<string, unknown>>()
  const deploymentConfig = parseDeployment(JSON.stringify(workerConfig(top, options)), { allowNoCameras: true })
  const stop = new AbortController()
  let member: Member | undefined
  const resultPromise = runDeployment(deploymentConfig, {
    keepOpen: true,
    signal: stop.signal,
    stdout: { write: () => true } as unknown as NodeJS.WritableStream,
    ...(options.openSource ? { openSource: options.openSource } : {}),
    onStart: (deployment) => {
      member = new Member(store!, deployment, { id: options.id, capacity: options.capacity }, timings, config!.revision, log)
      member.start()
    },
  })
  let restart = false
  const done = new Promise<void>((resolve) => {
    const finish = () => void member?.leave().finally(() => { stop.abort(); resolve() })
    if (options.signal.aborted) finish()
    else options.signal.addEventListener('abort', finish, { once: true })
    const poll = setInterval(() => {
      if (member?.configChanged) { restart = true; clearInterval(poll); finish() }
    }, 250)
    options.signal.addEventListener('abort', () => clearInterval(poll), { once: true })
  })
  await Promise.race([done, resultPromise.then(() => undefined, () => undefined)])
  stop.abort()
  return { restart, result: await resultPromise }
}

/** The stored deployment with this worker's outputs: the cluster's events stream, its own outbox, an optional local file. */
function workerConfig(top: Record<string, unknown>, o: WorkerOptions): Record<string, unknown> {
  const outputs = (Array.isArray(top.outputs) ? top.outputs : []).filter((x) => x !== 'stdout' && !(typeof x === 'object' && x && 'stdout' in x))
  outputs.push({ nats: { servers: [...o.servers], stream: EVENTS_STREAM, subject: EVENTS_SUBJECT } })
  if (o.output) outputs.push({ file: o.output })
  const outbox = { ...(typeof top.outbox === 'object' && top.outbox ? top.outbox : {}), path: join(o.dataDir, 'outbox.sqlite') }
  const { output: _single, http, ...rest } = top
  return { name: o.id, ...rest, cameras: [], outputs, outbox, ...(http !== undefined ? { http: workerHttp(http, o) } : {}) }
}

/**
 * `http:` on a worker: the live page of the cameras it runs, at `--http` when given, its event
 * index in the worker's data folder (beside its outbox) unless the deployment turned search off.
 */
function workerHttp(http: unknown, o: WorkerOptions): unknown {
  if (typeof http !== 'object' || http === null || Array.isArray(http)) return http // the schema names the mistake
  const h = http as Record<string, unknown>
  const search = h.search === false ? false : { ...(typeof h.search === 'object' && h.search ? h.search : {}), path: join(o.dataDir, 'events.sqlite') }
  return { ...h, search, ...(o.httpListen !== undefined ? { listen: o.httpListen } : {}) }
}

async function emptyResult(): Promise<DeploymentResult> {
  return { summary: { framesIn: 0 } as DeploymentResult['summary'], failedCameras: [], delivery: { sinks: [] } }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
  })
}
