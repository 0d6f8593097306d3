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
  /** The job; absent: the stage PASSed the frame while earlier ones of its camera were still here, and it only keeps its place (no job, no thread). */
  readonly prepared?: PreparedJob<unknown>
  /** Its place in the camera's order at this stage (from `entered`). */
  readonly ticket: number
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
  /** A PASSed item's turn came (the camera's items before it have been handed on): it goes on. */
  passed(item: Item): Promise<void>
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

/** One camera at one worker stage: its items in the order they entered, and what waits on them. */
interface Line {
  /** Sent or PASSed items, in order, until handed on. */
  readonly handing: InFlight[]
  /** Tickets of the items queued, in `handing` or being handed on (increasing: a Set keeps insertion order). */
  readonly outstanding: Set<number>
  nextTicket: number
  /** Jobs in `handing` (the per-camera quota counts these, not PASSed items). */
  jobs: number
  /** PASSed items in `handing`. */
  passes: number
  /** The newest tick held, and the last ticket issued before it. */
  tick?: { readonly after: number; readonly resume: () => void }
  delivering: boolean
  advancing: boolean
}

/**
 * Moves the items of one worker stage from its per-camera edges to its pool, fairly, when a
 * thread is free; hands them on in the order each camera's items entered the stage (a reply that
 * overtook an earlier one waits for it, and so does a frame the stage PASSed behind a running
 * job), so per-camera state downstream (votes, tracks) sees frames in order.
 */
export class Dispatcher {
  readonly queue = new FairQueue<Item>()
  readonly #lines = new Map<string, Line>()
  #running = 0
  /** The loop took an item and has not put it in line yet (a blocked producer's item that refills the edge must wait for that). */
  #taking = false
  #stopped = false
  #wake: (() => void) | undefined
  maxAgeMs: number | undefined

  constructor(readonly stage: WorkerStage, readonly hooks: DispatcherHooks) {}

  get inFlight(): number {
    return this.#running
  }

  /** True when none of the camera's items is here: a PASSed frame goes on at once. */
  idle(cameraId: string): boolean {
    return (this.#lines.get(cameraId)?.outstanding.size ?? 0) === 0
  }

  /** Counts an item in (call when it enters the edge); returns its ticket. */
  entered(cameraId: string): number {
    const line = this.#line(cameraId)
    const ticket = line.nextTicket++
    line.outstanding.add(ticket)
    return ticket
  }

  /** Counts an item out (replied, failed, passed on or dropped), and releases a held tick once every item before it has left. */
  left(item: Item): void {
    const line = this.#lines.get(item.cameraId)
    if (!line) return
    line.outstanding.delete(item.ticket)
    const tick = line.tick
    if (!tick) return
    const oldest = line.outstanding.values().next()
    if (!oldest.done && oldest.value <= tick.after) return
    line.tick = undefined
    tick.resume()
  }

  /**
   * A tick (a frame gated before this stage) must not overtake the camera's items still queued
   * or running here: false and nothing held when there are none (tick now); else true, and
   * `resume` runs when the last of them has left (only the newest tick is kept: stream time).
   */
  holdTick(cameraId: string, resume: () => void): boolean {
    const line = this.#lines.get(cameraId)
    if (!line || line.outstanding.size === 0) return false
    line.tick = { after: line.nextTicket - 1, resume }
    return true
  }

  /** An item was added to the camera's edge: wake the loop, and move PASSed items at its head into line. */
  queued(cameraId: string): void {
    this.wake()
    this.#advance(cameraId)
  }

  /** Forgets a camera that left the run (its queue must be empty). */
  removeCamera(cameraId: string): void {
    this.queue.remove(cameraId)
    this.#lines.delete(cameraId)
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
      this.#taking = true
      const next = this.queue.next(quota === Infinity ? undefined : (id) => (this.#lines.get(id)?.jobs ?? 0) < quota)
      this.#taking = false
      if (!next) {
        await new Promise<void>((resolve) => (this.#wake = resolve))
        continue
      }
      const item = next.item
      if (this.maxAgeMs !== undefined && performance.now() - item.queuedMs > this.maxAgeMs) {
        this.hooks.stale(item)
        this.#advance(item.cameraId)
        continue
      }
      if (item.prepared === undefined) {
        this.#pass(item)
        this.#advance(item.cameraId)
        continue
      }
      this.hooks.sending(item)
      this.#send(item, item.prepared)
      this.#advance(item.cameraId)
    }
  }

  #line(cameraId: string): Line {
    let line = this.#lines.get(cameraId)
    if (!line) {
      line = { handing: [], outstanding: new Set(), nextTicket: 0, jobs: 0, passes: 0, delivering: false, advancing: false }
      this.#lines.set(cameraId, line)
    }
    return line
  }

  /**
   * Moves the PASSed items at the head of the camera's edge (every item before them was sent)
   * into line behind the sent ones, without a thread; at most the edge's capacity of them wait
   * there, the rest stay in the edge (its overflow policy bounds them).
   */
  #advance(cameraId: string): void {
    const line = this.#lines.get(cameraId)
    const queue = this.queue.queue(cameraId)
    if (!line || !queue || line.advancing || this.#taking) return
    line.advancing = true
    try {
      for (let head = queue.peek(); head !== undefined && head.prepared === undefined && line.passes < queue.capacity; head = queue.peek()) {
        queue.tryShift()
        this.#pass(head)
      }
    } finally {
      line.advancing = false
    }
  }

  #pass(item: Item): void {
    const line = this.#line(item.cameraId)
    line.handing.push({ item, done: true })
    line.passes++
    void this.#deliver(item.cameraId)
  }

  #send(item: Item, prepared: PreparedJob<unknown>): void {
    this.#running++
    const entry: InFlight = { item, done: false }
    const line = this.#line(item.cameraId)
    line.handing.push(entry)
    line.jobs++
    const pool = this.stage.options.pool
    // The loop checked needsDrain in this same tick, so tryRun sends at once.
    const sent = pool.tryRun(prepared.job, prepared.transfer ? { transfer: prepared.transfer } : {})
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

  /** Hands the camera's finished (and PASSed) items on, oldest first, stopping at the first still running. */
  async #deliver(cameraId: string): Promise<void> {
    const line = this.#lines.get(cameraId)
    if (!line || line.delivering) return // the running loop picks this one up
    line.delivering = true
    try {
      while (line.handing.length > 0 && line.handing[0]!.done) {
        const entry = line.handing.shift()!
        const passed = entry.item.prepared === undefined
        if (passed) line.passes--
        else line.jobs--
        try {
          if (passed) await this.hooks.passed(entry.item)
          else if (entry.error !== undefined) this.hooks.failed(entry.item, entry.error)
          else await this.hooks.replied(entry.item, entry.reply)
        } catch (error) {
          this.hooks.failed(entry.item, error)
        } finally {
          this.hooks.settled(entry.item)
        }
        // room in line for PASSed items still in the edge
        if (passed) this.#advance(cameraId)
      }
    } finally {
      line.delivering = false
    }
    // a quota slot came free
    this.wake()
  }
}
