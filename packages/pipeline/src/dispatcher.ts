import { performance } from 'node:perf_hooks'
import type { Envelope, FrameRef, StageContext } from '@oko/core'
import { OkoError } from '@oko/core'
import { FairQueue } from './fair-queue.js'
import type { CStep } from './program.js'
import type { PreparedJob, WorkerStage } from './worker-stage.js'

/** One envelope on its way through a worker stage. */
export interface Item {
  readonly cameraId: string
  readonly ctx: StageContext
  readonly envelope: Envelope
  readonly prepared: PreparedJob<unknown>
  readonly origin: FrameRef
  /** When the frame entered the pipeline (for the end-to-end latency). */
  readonly startMs: number
  /** When it entered this stage's edge (for the stage's latency). */
  readonly queuedMs: number
  /** The steps after the worker step: `steps[next..]` (no per-item copy of the program). */
  readonly steps: readonly CStep[]
  readonly next: number
}

/** What the run does with items and replies (the dispatcher only moves them). */
export interface DispatcherHooks {
  /** The item left the edge older than `maxAgeMs`. */
  stale(item: Item): void
  /** Its job failed (ERR_WORKER_TASK, a crashed thread…). */
  failed(item: Item, error: unknown): void
  /** Its reply, in the order the camera's items were sent. */
  replied(item: Item, reply: unknown): Promise<void>
  /** The item is about to be sent: report drops coalesced so far for this edge. */
  sending(item: Item): void
  /** An item is done (replied, failed or dropped by the run): the run's pending count. */
  settled(item: Item): void
}

interface InFlight {
  readonly item: Item
  done: boolean
  reply?: unknown
  error?: unknown
}

/**
 * Moves the items of one worker stage from its per-camera edges to its pool, fairly, when a
 * thread is free; hands replies back in each camera's order (a reply that overtook an earlier one
 * waits for it), so per-camera state downstream (votes, tracks) sees frames in order.
 */
export class Dispatcher {
  readonly queue = new FairQueue<Item>()
  readonly #inFlight = new Map<string, InFlight[]>()
  /** Items of a camera queued or in flight here; a tick waits until none are. */
  readonly #outstanding = new Map<string, number>()
  readonly #heldTicks = new Map<string, () => void>()
  readonly #delivering = new Set<string>()
  #running = 0
  #stopped = false
  #wake: (() => void) | undefined
  maxAgeMs: number | undefined

  constructor(readonly stage: WorkerStage, readonly hooks: DispatcherHooks) {}

  get inFlight(): number {
    return this.#running
  }

  /** Counts an item in (call when it enters the edge). */
  entered(cameraId: string): void {
    this.#outstanding.set(cameraId, (this.#outstanding.get(cameraId) ?? 0) + 1)
  }

  /** Counts an item out (replied, failed or dropped), and releases a held tick when the camera is idle here. */
  left(cameraId: string): void {
    const n = (this.#outstanding.get(cameraId) ?? 1) - 1
    if (n > 0) {
      this.#outstanding.set(cameraId, n)
      return
    }
    this.#outstanding.delete(cameraId)
    const resume = this.#heldTicks.get(cameraId)
    if (resume) {
      this.#heldTicks.delete(cameraId)
      resume()
    }
  }

  /**
   * A tick (a frame gated before this stage) must not overtake the camera's items still queued
   * or running here: false and nothing held when there are none (tick now); else true, and
   * `resume` runs when the last of them has left (only the newest tick is kept: stream time).
   */
  holdTick(cameraId: string, resume: () => void): boolean {
    if (!this.#outstanding.has(cameraId)) return false
    this.#heldTicks.set(cameraId, resume)
    return true
  }

  /** Forgets a camera that left the run (its queue must be empty). */
  removeCamera(cameraId: string): void {
    this.queue.remove(cameraId)
    this.#heldTicks.delete(cameraId)
    this.#inFlight.delete(cameraId)
  }

  wake(): void {
    const w = this.#wake
    this.#wake = undefined
    w?.()
  }

  stop(): void {
    this.#stopped = true
    this.wake()
  }

  async loop(): Promise<void> {
    const pool = this.stage.options.pool
    while (!this.#stopped) {
      await pool.whenFree()
      if (this.#stopped) return
      if (pool.needsDrain) continue
      const quota = this.stage.maxInFlightPerCamera
      const next = this.queue.next(quota === Infinity ? undefined : (id) => (this.#inFlight.get(id)?.length ?? 0) < quota)
      if (!next) {
        await new Promise<void>((resolve) => (this.#wake = resolve))
        continue
      }
      const item = next.item
      if (this.maxAgeMs !== undefined && performance.now() - item.queuedMs > this.maxAgeMs) {
        this.hooks.stale(item)
        continue
      }
      this.hooks.sending(item)
      this.#send(item)
    }
  }

  #send(item: Item): void {
    this.#running++
    const entry: InFlight = { item, done: false }
    let list = this.#inFlight.get(item.cameraId)
    if (!list) this.#inFlight.set(item.cameraId, (list = []))
    list.push(entry)
    const pool = this.stage.options.pool
    // The loop checked needsDrain in this same tick, so tryRun sends at once.
    const sent = pool.tryRun(item.prepared.job, item.prepared.transfer ? { transfer: item.prepared.transfer } : {})
    ;(sent ?? Promise.reject(new OkoError('ERR_CLOSED', `pool ${pool.name} is closed`))).then(
      (reply) => { entry.reply = reply },
      (error: unknown) => { entry.error = error ?? new Error('job failed') },
    ).finally(() => {
      this.#running--
      entry.done = true
      this.wake()
      void this.#deliver(item.cameraId)
    })
  }

  /** Hands the camera's finished items on, oldest first, stopping at the first still running. */
  async #deliver(cameraId: string): Promise<void> {
    if (this.#delivering.has(cameraId)) return // the running loop picks this one up
    this.#delivering.add(cameraId)
    try {
      const list = this.#inFlight.get(cameraId)
      while (list && list.length > 0 && list[0]!.done) {
        const entry = list.shift()!
        try {
          if (entry.error !== undefined) this.hooks.failed(entry.item, entry.error)
          else await this.hooks.replied(entry.item, entry.reply)
        } catch (error) {
          this.hooks.failed(entry.item, error)
        } finally {
          this.hooks.settled(entry.item)
        }
      }
    } finally {
      this.#delivering.delete(cameraId)
    }
  }
}
