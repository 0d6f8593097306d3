import type { DroppedEvent, OkoEvent, OverflowPolicy } from '@oko/core'
import { EVENT_VERSION, IdFactory, OkoError, checkKnownKeys, checkObject, checkOneOf, checkString, optionalNumber } from '@oko/core'

export interface SubscribeOptions {
  /** Name in stats and in its `dropped` events (`events:<name>`). Default `subscriber-N`. */
  readonly name?: string
  /** Events the queue holds before its overflow policy applies. Default 1024. */
  readonly capacity?: number
  /**
   * `block` makes the cameras wait while this subscriber is behind (files; a sink that must see
   * everything), `drop-oldest` gives up the oldest queued event, `drop-newest` the incoming one.
   * Default `drop-oldest`.
   */
  readonly overflow?: OverflowPolicy
  /** Only events this returns true for are queued (the others are not drops). */
  readonly filter?: (event: OkoEvent) => boolean
}

export interface SubscriptionStats {
  readonly name: string
  readonly capacity: number
  readonly overflow: OverflowPolicy
  /** Events queued now. */
  readonly queued: number
  readonly delivered: number
  /** Events this subscriber lost to overflow (each also reported to it as a `dropped` event). */
  readonly dropped: number
}

/**
 * One consumer's bounded queue of the run's events, read with `for await` (once). Overflow is
 * counted per camera and delivered to this subscriber, ahead of its next event, as `dropped`
 * events with stage `events:<name>`. A `block` subscriber holds the cameras back only while it is
 * being iterated (a subscriber nobody reads cannot stall the run; a hard limit of 4× capacity
 * still holds).
 */
export class Subscription implements AsyncIterable<OkoEvent>, AsyncDisposable {
  readonly name: string
  readonly capacity: number
  readonly overflow: OverflowPolicy
  readonly #filter: ((event: OkoEvent) => boolean) | undefined
  readonly #bus: EventBus
  #items: OkoEvent[] = []
  #head = 0
  readonly #pendingDrops = new Map<string, number>()
  #dropped = 0
  #delivered = 0
  #ended = false
  #detached = false
  #iterating = false
  #reader: (() => void) | undefined

  /** @internal use EventBus.subscribe */
  constructor(bus: EventBus, name: string, capacity: number, overflow: OverflowPolicy, filter: ((event: OkoEvent) => boolean) | undefined) {
    this.#bus = bus
    this.name = name
    this.capacity = capacity
    this.overflow = overflow
    this.#filter = filter
  }

  get size(): number {
    return this.#items.length - this.#head
  }

  /** Events this subscriber lost to overflow. */
  get dropped(): number {
    return this.#dropped
  }

  stats(): SubscriptionStats {
    return { name: this.name, capacity: this.capacity, overflow: this.overflow, queued: this.size, delivered: this.#delivered, dropped: this.#dropped }
  }

  /** @internal */
  push(event: OkoEvent): void {
    if (this.#ended) return
    if (this.#filter && !this.#filter(event)) return
    if (this.#detached) return this.#countDrop(event)
    const limit = this.blocking ? this.capacity * 4 : this.capacity
    if (this.size >= limit) {
      if (this.overflow === 'drop-newest') return this.#countDrop(event)
      this.#countDrop(this.#take()!)
    }
    this.#items.push(event)
    this.#wakeReader()
  }

  /** @internal true while this subscriber holds producers back when full. */
  get blocking(): boolean {
    return this.overflow === 'block' && this.#iterating && !this.#detached && !this.#ended && !this.#bus.unblocked
  }

  /** @internal true when a blocking subscriber is full. */
  get full(): boolean {
    return this.blocking && this.size >= this.capacity
  }

  /** No more events; the consumer finishes after draining. */
  end(): void {
    this.#ended = true
    this.#wakeReader()
    this.#bus.wakeWriters()
  }

  /** Stops this subscriber: queued events are dropped (counted), later ones are not queued. Idempotent. */
  close(): Promise<void> {
    this.#detach()
    this.#bus.unsubscribe(this)
    return Promise.resolve()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  [Symbol.asyncIterator](): AsyncIterator<OkoEvent> {
    if (this.#iterating) throw new OkoError('ERR_INVALID_INPUT', `events of "${this.name}" have one consumer: iterate once, or make another subscriber with run.subscribe()`)
    this.#iterating = true
    return {
      next: () => this.#next(),
      return: async () => {
        await this.close()
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
        if (this.size < this.capacity) this.#bus.wakeWriters()
        return { done: false, value: event }
      }
      if (this.#ended || this.#detached) return { done: true, value: undefined }
      await new Promise<void>((resolve) => (this.#reader = resolve))
    }
  }

  #detach(): void {
    if (this.#detached) return
    this.#detached = true
    for (let i = this.#head; i < this.#items.length; i++) this.#countDrop(this.#items[i]!)
    this.#items = []
    this.#head = 0
    this.#wakeReader()
    this.#bus.wakeWriters()
  }

  #takeDropEvent(): DroppedEvent | undefined {
    for (const [cameraId, count] of this.#pendingDrops) {
      this.#pendingDrops.delete(cameraId)
      this.#delivered++
      return this.#bus.stamp<DroppedEvent>({ type: 'dropped', ...(cameraId ? { cameraId } : {}), stage: `events:${this.name}`, count, reason: 'overflow' })
    }
    return undefined
  }

  #countDrop(event: OkoEvent): void {
    this.#dropped++
    const key = 'cameraId' in event && typeof event.cameraId === 'string' ? event.cameraId : ''
    this.#pendingDrops.set(key, (this.#pendingDrops.get(key) ?? 0) + 1)
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
}

/**
 * The run's events: gives each event its id (a ULID, in order) and version, and hands it to every
 * subscriber's own bounded queue.
 */
export class EventBus {
  readonly #ids = new IdFactory()
  readonly #subscribers = new Set<Subscription>()
  #writers: (() => void)[] = []
  #count = 0
  #ended = false
  #unblocked = false

  /** @internal */
  get unblocked(): boolean {
    return this.#unblocked
  }

  /** Events emitted so far. */
  get emitted(): number {
    return this.#count
  }

  subscribe(options: SubscribeOptions = {}, defaults: { capacity?: number; overflow?: OverflowPolicy } = {}): Subscription {
    const o = checkObject('options', options, {})
    checkKnownKeys('options', o, ['name', 'capacity', 'overflow', 'filter'])
    const name = o.name === undefined ? `subscriber-${this.#subscribers.size + 1}` : checkString('options.name', o.name)
    const capacity = optionalNumber('options.capacity', o.capacity, defaults.capacity ?? 1024, { min: 1, max: 1_000_000, integer: true })
    const overflow = checkOneOf('options.overflow', o.overflow, ['block', 'drop-oldest', 'drop-newest'] as const, defaults.overflow ?? 'drop-oldest')
    if (o.filter !== undefined && typeof o.filter !== 'function') throw new OkoError('ERR_INVALID_OPTION', 'options.filter: expected a function (event) => boolean')
    const sub = new Subscription(this, name, capacity, overflow, o.filter as SubscribeOptions['filter'])
    if (this.#ended) sub.end()
    else this.#subscribers.add(sub)
    return sub
  }

  /** @internal */
  unsubscribe(sub: Subscription): void {
    this.#subscribers.delete(sub)
    this.wakeWriters()
  }

  /** A new ULID, in order with the event ids. */
  newId(): string {
    return this.#ids.next()
  }

  /** Gives an event its id, version and time. */
  stamp<E extends OkoEvent>(init: { readonly type: string; readonly timeMs?: number; readonly [key: string]: unknown }): E {
    const timeMs = init.timeMs ?? Date.now()
    return { id: this.#ids.next(timeMs), v: EVENT_VERSION, ...init, timeMs } as unknown as E
  }

  /** Stamps and delivers an event to every subscriber; returns it as sent. */
  emit<E extends OkoEvent>(init: { readonly type: string; readonly timeMs?: number; readonly [key: string]: unknown }): E {
    const event = this.stamp<E>(init)
    this.#count++
    for (const s of this.#subscribers) s.push(event)
    return event
  }

  /** Resolves when no blocking subscriber is full (undefined when none is: the usual case, no promise). */
  whenWritable(): Promise<void> | undefined {
    let full = false
    for (const s of this.#subscribers) if (s.full) { full = true; break }
    if (!full) return undefined
    return new Promise((resolve) => this.#writers.push(resolve))
  }

  /** Producers stop waiting from now on (the run is stopping); hard limits still hold. */
  unblock(): void {
    this.#unblocked = true
    this.wakeWriters()
  }

  /** No more events: every subscriber finishes after draining. */
  end(): void {
    this.#ended = true
    for (const s of this.#subscribers) s.end()
    this.wakeWriters()
  }

  subscriptions(): SubscriptionStats[] {
    return [...this.#subscribers].map((s) => s.stats())
  }

  /** @internal */
  wakeWriters(): void {
    if (this.#writers.length === 0) return
    // Writers re-check on wake; wake them all (few cameras wait at once).
    for (const w of this.#writers.splice(0)) w()
  }
}
