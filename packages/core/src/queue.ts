import { InvalidOptionError } from './errors.js'
import { checkKnownKeys, checkNumber, checkObject, checkOneOf } from './validate.js'

/**
 * What an edge does when it is full: `block` makes the producer wait (files), `drop-oldest`
 * discards the oldest queued item (live cameras: the newest frame matters), `drop-newest`
 * discards the item being pushed.
 */
export type OverflowPolicy = 'block' | 'drop-oldest' | 'drop-newest'

export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['block', 'drop-oldest', 'drop-newest']

/** A bounded edge between two steps of a pipeline. */
export interface EdgeOptions {
  /** Items the edge holds before its overflow policy applies. Default 4. */
  readonly capacity?: number
  /** Default: `block` for file sources, `drop-oldest` for live ones. */
  readonly overflow?: OverflowPolicy
  /** Items older than this when they leave the edge are dropped as `stale`. Default: no limit. */
  readonly maxAgeMs?: number
}

/** Checks edge options at the boundary; `path` names them in messages. */
export function checkEdgeOptions(path: string, value: unknown): EdgeOptions {
  const o = checkObject(path, value, {})
  checkKnownKeys(path, o, ['capacity', 'overflow', 'maxAgeMs'])
  const out: { capacity?: number; overflow?: OverflowPolicy; maxAgeMs?: number } = {}
  if (o.capacity !== undefined) out.capacity = checkNumber(`${path}.capacity`, o.capacity, { min: 1, max: 1_000_000, integer: true })
  if (o.overflow !== undefined) out.overflow = checkOneOf(`${path}.overflow`, o.overflow, OVERFLOW_POLICIES)
  if (o.maxAgeMs !== undefined) out.maxAgeMs = checkNumber(`${path}.maxAgeMs`, o.maxAgeMs, { min: 0, exclusiveMin: true })
  return out
}

export interface BoundedQueueOptions<T> {
  readonly capacity: number
  readonly overflow: OverflowPolicy
  /** Called for every item the policy discards (never for items taken or cleared). */
  readonly onDrop?: (item: T) => void
  /** Called after an item became available to `tryShift`. */
  readonly onItem?: () => void
}

interface Waiter<T> {
  readonly item: T
  readonly resolve: () => void
}

/**
 * A FIFO with a fixed capacity and a declared overflow policy. Producers call `push`; a `block`
 * queue returns a promise to await while it is full. Memory is bounded by `capacity` plus one
 * waiting item per blocked producer.
 */
export class BoundedQueue<T> {
  readonly capacity: number
  readonly overflow: OverflowPolicy
  #items: T[] = []
  #head = 0
  #waiters: Waiter<T>[] = []
  #takers: ((item: T | undefined) => void)[] = []
  #closed = false
  #dropped = 0
  readonly #onDrop: ((item: T) => void) | undefined
  readonly #onItem: (() => void) | undefined

  constructor(options: BoundedQueueOptions<T>) {
    this.capacity = checkNumber('options.capacity', options.capacity, { min: 1, integer: true })
    this.overflow = checkOneOf('options.overflow', options.overflow, OVERFLOW_POLICIES)
    this.#onDrop = options.onDrop
    this.#onItem = options.onItem
  }

  /** Items queued (not counting blocked producers). */
  get size(): number {
    return this.#items.length - this.#head
  }

  /** Items the overflow policy has discarded so far. */
  get dropped(): number {
    return this.#dropped
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * Adds an item. Returns `undefined` when the item was queued or dropped at once, or a promise
   * (only for `block` when full) that resolves once it is queued or the queue was cleared/closed.
   */
  push(item: T): Promise<void> | undefined {
    if (this.#closed) throw new InvalidOptionError('queue', 'push after close(); stop producing when the run ends')
    const taker = this.#takers.shift()
    if (taker) {
      taker(item)
      return undefined
    }
    if (this.size < this.capacity) {
      this.#append(item)
      return undefined
    }
    switch (this.overflow) {
      case 'drop-newest':
        this.#drop(item)
        return undefined
      case 'drop-oldest':
        this.#drop(this.#take()!)
        this.#append(item)
        return undefined
      case 'block':
        return new Promise<void>((resolve) => this.#waiters.push({ item, resolve }))
    }
  }

  /** Takes the oldest item, or `undefined` when empty. */
  tryShift(): T | undefined {
    const item = this.#take()
    if (item !== undefined) this.#refill()
    return item
  }

  /** Waits for the next item; `undefined` once the queue is closed and empty. */
  shift(): Promise<T | undefined> {
    const item = this.tryShift()
    if (item !== undefined || this.#closed) return Promise.resolve(item)
    return new Promise((resolve) => this.#takers.push(resolve))
  }

  /** Looks at the oldest item without taking it. */
  peek(): T | undefined {
    return this.size > 0 ? this.#items[this.#head] : undefined
  }

  /** No more pushes; waiting consumers get `undefined` once the queue is empty. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const taker of this.#takers.splice(0)) taker(undefined)
  }

  /** Removes and returns every queued item and every blocked producer's item (those producers resume). */
  clear(): T[] {
    const out = this.#items.slice(this.#head)
    this.#items = []
    this.#head = 0
    for (const w of this.#waiters.splice(0)) {
      out.push(w.item)
      w.resolve()
    }
    return out
  }

  #append(item: T): void {
    this.#items.push(item)
    this.#onItem?.()
  }

  #take(): T | undefined {
    if (this.#head >= this.#items.length) return undefined
    const item = this.#items[this.#head]!
    this.#items[this.#head] = undefined as T
    this.#head++
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }

  #refill(): void {
    const w = this.#waiters.shift()
    if (!w) return
    this.#append(w.item)
    w.resolve()
  }

  #drop(item: T): void {
    this.#dropped++
    this.#onDrop?.(item)
  }
}
