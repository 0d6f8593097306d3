import type { BoundedQueue } from '@oko/core'

/**
 * One bounded queue per camera, served round-robin: each `next()` takes from the camera after
 * the one served last, so a busy camera cannot starve a quiet one; each camera's overflow
 * policy applies to its own queue only.
 */
export class FairQueue<T> {
  readonly #ids: string[] = []
  readonly #queues: BoundedQueue<T>[] = []
  #cursor = 0

  add(cameraId: string, queue: BoundedQueue<T>): void {
    if (this.#ids.includes(cameraId)) return
    this.#ids.push(cameraId)
    this.#queues.push(queue)
  }

  /** Forgets a camera's queue (empty it first). */
  remove(cameraId: string): void {
    const i = this.#ids.indexOf(cameraId)
    if (i < 0) return
    this.#ids.splice(i, 1)
    this.#queues.splice(i, 1)
    if (this.#cursor > i) this.#cursor--
    if (this.#cursor >= this.#ids.length) this.#cursor = 0
  }

  queue(cameraId: string): BoundedQueue<T> | undefined {
    const i = this.#ids.indexOf(cameraId)
    return i < 0 ? undefined : this.#queues[i]
  }

  /** Cameras with a queue here. */
  get cameras(): number {
    return this.#ids.length
  }

  /** Items queued over all cameras. */
  get size(): number {
    let n = 0
    for (const q of this.#queues) n += q.size
    return n
  }

  /**
   * The next item in round-robin order, or undefined when every queue is empty (or every camera
   * with items is refused by `eligible`, e.g. because it is at its in-flight quota).
   */
  next(eligible?: (cameraId: string) => boolean): { cameraId: string; item: T } | undefined {
    const n = this.#queues.length
    for (let k = 0; k < n; k++) {
      const i = (this.#cursor + k) % n
      if (eligible && this.#queues[i]!.size > 0 && !eligible(this.#ids[i]!)) continue
      const item = this.#queues[i]!.tryShift()
      if (item !== undefined) {
        this.#cursor = (i + 1) % n
        return { cameraId: this.#ids[i]!, item }
      }
    }
    return undefined
  }

  /** Empties every queue (and releases blocked producers); returns what was queued. */
  clear(): { cameraId: string; item: T }[] {
    const out: { cameraId: string; item: T }[] = []
    this.#queues.forEach((q, i) => {
      for (const item of q.clear()) out.push({ cameraId: this.#ids[i]!, item })
    })
    return out
  }
}
