import type { CameraState } from './store.js'

export interface CameraRun {
  state: CameraState
  reason?: string
  lastFrameMs?: number
  /** Revision of the camera's deployment entry it was started with. */
  revision: number
  retryAtMs?: number
  gap?: { fromWorker: string; fromMs: number; reason: 'worker-lost' | 'handover' }
}

/** What the runs need of the deployment and of the worker's leases. */
export interface CameraRunsHost {
  /** The camera's deployment entry now, or undefined when it was removed. */
  entry(cameraId: string): Promise<{ config: Record<string, unknown>; revision: number } | undefined>
  addCamera(config: Record<string, unknown>): Promise<unknown>
  removeCamera(cameraId: string): Promise<void>
  /** Whether this worker holds the camera's lease (and may run it) at this moment. */
  owns(cameraId: string): boolean
  log(line: string): void
}

/** A camera that failed to start is tried again after this long. */
const START_RETRY_MS = 10_000

/**
 * The cameras this worker runs in its deployment. Starts, stops and restarts of one camera run one
 * after the other, never overlapping, and a start checks the lease when its turn comes: a fence or
 * a release that came while a claim was still on its way to the start leaves the camera stopped
 * (not running without a lease, nor failing later with "already running").
 */
export class CameraRuns {
  readonly #host: CameraRunsHost
  readonly #runs = new Map<string, CameraRun>()
  /** Per camera: the tail of its queued starts and stops. */
  readonly #queues = new Map<string, Promise<void>>()
  /** Cameras added to the deployment and not removed since. */
  readonly #added = new Set<string>()

  constructor(host: CameraRunsHost) {
    this.#host = host
  }

  get size(): number {
    return this.#runs.size
  }

  get(cameraId: string): CameraRun | undefined {
    return this.#runs.get(cameraId)
  }

  entries(): IterableIterator<[string, CameraRun]> {
    return this.#runs.entries()
  }

  /**
   * Starts the camera when its turn comes, if the lease is still held then and it does not run
   * already (a start after a restart that started it: nothing to do); a failure is kept as its
   * state (retried by the owner).
   */
  start(cameraId: string, gap?: CameraRun['gap']): Promise<void> {
    return this.#queue(cameraId, () => this.#start(cameraId, gap))
  }

  /** Stops the camera when its turn comes (also one that failed to start: whatever part of it runs stops). */
  stop(cameraId: string): Promise<void> {
    return this.#queue(cameraId, () => this.#stop(cameraId))
  }

  /** Stops the camera and starts it again (a changed entry, a failed start's retry), if still held. */
  restart(cameraId: string): Promise<void> {
    return this.#queue(cameraId, async () => {
      await this.#stop(cameraId)
      await this.#start(cameraId)
    })
  }

  async #start(cameraId: string, gap?: CameraRun['gap']): Promise<void> {
    if (!this.#host.owns(cameraId) || this.#added.has(cameraId)) return
    const run: CameraRun = { state: 'starting', revision: 0, ...(gap ? { gap } : {}) }
    this.#runs.set(cameraId, run)
    try {
      const entry = await this.#host.entry(cameraId)
      if (!entry) throw new Error('no entry in the deployment (removed meanwhile)')
      run.revision = entry.revision
      await this.#host.addCamera(entry.config)
      this.#added.add(cameraId)
    } catch (error) {
      run.state = 'failed'
      run.reason = (error as Error)?.message ?? String(error)
      run.retryAtMs = Date.now() + START_RETRY_MS
      this.#host.log(`camera ${cameraId}: cannot start: ${run.reason}`)
    }
  }

  async #stop(cameraId: string): Promise<void> {
    this.#runs.delete(cameraId)
    this.#added.delete(cameraId)
    // not running in the deployment: an error, ignored
    await this.#host.removeCamera(cameraId).catch(() => undefined)
  }

  #queue(cameraId: string, step: () => Promise<void>): Promise<void> {
    const done = (this.#queues.get(cameraId) ?? Promise.resolve()).then(step)
    const tail = done.catch(() => undefined)
    this.#queues.set(cameraId, tail)
    void tail.then(() => { if (this.#queues.get(cameraId) === tail) this.#queues.delete(cameraId) })
    return done
  }
}
