/**
 * Decides which decoded frames meet a target frame rate, from their timestamps alone, so that
 * dropped frames are never converted. Keeps the average rate exact (25 → 10 fps keeps 2 of 5).
 */
export class RateLimiter {
  readonly #intervalUs: number
  #nextUs: number | undefined

  /** `fps` undefined keeps every frame. */
  constructor(fps: number | undefined) {
    this.#intervalUs = fps === undefined ? 0 : 1e6 / fps
  }

  /** True when the frame at `ptsUs` should be delivered. */
  accept(ptsUs: number): boolean {
    if (this.#intervalUs === 0) return true
    const next = this.#nextUs
    // Half a millisecond of slack absorbs timestamp rounding (30000/1001 fps streams).
    if (next !== undefined && ptsUs < next - 500 && ptsUs >= next - 2 * this.#intervalUs) return false
    // First frame, or a jump (gap, reconnect, backwards timestamps): restart the schedule here.
    this.#nextUs = next === undefined || ptsUs >= next + this.#intervalUs || ptsUs < next - 2 * this.#intervalUs
      ? ptsUs + this.#intervalUs
      : next + this.#intervalUs
    return true
  }

  reset(): void {
    this.#nextUs = undefined
  }
}
