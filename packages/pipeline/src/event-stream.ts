import type { DroppedEvent, OkoEvent } from '@oko/core'
import { OkoError } from '@oko/core'

export type EventOverflow = 'block' | 'drop-oldest'

/**
 * The run's bounded event stream: one consumer, `for await`. With `drop-oldest` the oldest
 * events give way when `capacity` is reached; with `block` producers wait (`whenWritable`)
 * before decoding more once a consumer is iterating (until then, and after it stops, the
 * oldest give way), and a hard limit of 4× capacity still holds. Dropped events are counted
 * per camera and delivered as `dropped` events (stage `events`) ahead of the next event.
 */
export class EventStream implements AsyncIterable<OkoEvent> {
  readonly capacity: number
  readonly overflow: EventOverflow
  #items: OkoEvent[] = []
  #head = 0
  #pendingDrops = new Map<string, number>()
  #droppedBy = new Map<string, number>()
  #dropped = 0
  #delivered = 0
  #ended = false
  #detached = false
  #iterating = false
  #unblocked = false
  #reader: (() => void) | undefined
  #writers: (() => void)[] = []

  constructor(capacity: number, overflow: EventOverflow) {
    this.capacity = capacity
    this.overflow = overflow
  }

  get size(): number {
    return this.#items.length - this.#head
  }

  /** Events dropped so far (stream overflow only). */
  get dropped(): number {
    return this.#dropped
  }

  /** Events dropped so far, per camera. */
  droppedBy(cameraId: string): number {
    return this.#droppedBy.get(cameraId) ?? 0
  }

  get delivered(): number {
    return this.#delivered
  }

  push(event: OkoEvent): void {
    if (this.#ended) return
    if (this.#detached) {
      this.#countDrop(event.cameraId)
      return
    }
    const limit = this.#blocking() ? this.capacity * 4 : this.capacity
    if (this.size >= limit) this.#countDrop(this.#take()!.cameraId)
    this.#items.push(event)
    this.#wakeReader()
  }

  /** Resolves when the stream has room (always at once for drop-oldest or a detached consumer). */
  whenWritable(): Promise<void> | undefined {
    if (!this.#blocking() || this.size < this.capacity) return undefined
    return new Promise((resolve) => this.#writers.push(resolve))
  }

  /** Producers stop waiting for room from now on (the run is stopping); the hard limit still holds. */
  unblock(): void {
    this.#unblocked = true
    this.#wakeWriters()
  }

  /** No more events; the consumer finishes after draining. */
  end(): void {
    this.#ended = true
    this.#wakeReader()
    this.#wakeWriters()
  }

  [Symbol.asyncIterator](): AsyncIterator<OkoEvent> {
    if (this.#iterating) throw new OkoError('ERR_INVALID_INPUT', 'run.events has one consumer: iterate it once and fan out yourself')
    this.#iterating = true
    return {
      next: () => this.#next(),
      return: async () => {
        this.#detach()
        return { done: true, value: undefined }
      },
    }
  }

  async #next(): Promise<IteratorResult<OkoEvent>> {
    for (;;) {
      const drop = this.#takeDropEvent()
      if (drop) return { done: false, value: drop }
      const event = this.#take()
      if (event) {
        this.#delivered++
        if (this.size < this.capacity) this.#wakeWriters()
        return { done: false, value: event }
      }
      if (this.#ended || this.#detached) return { done: true, value: undefined }
      await new Promise<void>((resolve) => (this.#reader = resolve))
    }
  }

  /** Producers wait only while a consumer is attached: a run nobody reads still completes (dropping, counted). */
  #blocking(): boolean {
    return this.overflow === 'block' && this.#iterating && !this.#unblocked && !this.#detached && !this.#ended
  }

  #detach(): void {
    this.#detached = true
    for (const e of this.#items.slice(this.#head)) this.#countDrop(e.cameraId)
    this.#items = []
    this.#head = 0
    this.#wakeWriters()
  }

  #takeDropEvent(): DroppedEvent | undefined {
    for (const [cameraId, count] of this.#pendingDrops) {
      this.#pendingDrops.delete(cameraId)
      this.#delivered++
      return { type: 'dropped', cameraId, seq: -1, ptsUs: 0, timeMs: Date.now(), stage: 'events', count, reason: 'overflow' }
    }
    return undefined
  }

  #countDrop(cameraId: string): void {
    this.#dropped++
    this.#droppedBy.set(cameraId, (this.#droppedBy.get(cameraId) ?? 0) + 1)
    this.#pendingDrops.set(cameraId, (this.#pendingDrops.get(cameraId) ?? 0) + 1)
  }

  #take(): OkoEvent | undefined {
    if (this.#head >= this.#items.length) return undefined
    const e = this.#items[this.#head]!
    this.#items[this.#head] = undefined as unknown as OkoEvent
    this.#head++
    if (this.#head > 256 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return e
  }

  #wakeReader(): void {
    const r = this.#reader
    this.#reader = undefined
    r?.()
  }

  #wakeWriters(): void {
    if (this.#writers.length === 0) return // the usual case: no array copy per delivered event
    for (const w of this.#writers.splice(0)) w()
  }
}
