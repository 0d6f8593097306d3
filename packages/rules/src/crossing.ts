import type { Point } from '@oko/core'
import { alongSegment, signedDistance, type Segment } from './geometry.js'
import type { Direction } from './events.js'

/** A crossing of a line: its direction and when the anchor was on the line (interpolated between frames), µs. */
export interface Crossing {
  readonly direction: Direction
  readonly atPtsUs: number
}

interface Side {
  /** +1 side A, -1 side B, 0 not yet outside the dead band. */
  side: number
  /** The last point outside the dead band. */
  lastOut: Point
  lastOutDistance: number
  previousDistance: number
  previousPtsUs: number
  /** When the anchor last passed the line itself (sign change), µs. */
  zeroPtsUs: number
}

/**
 * Tells when tracks cross a segment, with hysteresis: a track changes side only once its anchor is
 * `deadBandPx` beyond the line on the other side, so jitter around the line never makes a second
 * crossing. A change of side counts as a crossing only where the path passed through the segment
 * itself (within the dead band of its ends), not beside it.
 */
export class LineCrosser {
  readonly #sides = new Map<string, Side>()
  readonly #tolerance: number
  constructor(readonly segment: Segment, readonly deadBandPx: number) {
    this.#tolerance = deadBandPx / Math.hypot(segment.b.x - segment.a.x, segment.b.y - segment.a.y)
  }

  /** One observation of a track's anchor; returns the crossing it completes, if any. */
  step(trackId: string, anchor: Point, ptsUs: number): Crossing | undefined {
    const s = signedDistance(this.segment, anchor)
    const out = Math.abs(s) >= this.deadBandPx
    const st = this.#sides.get(trackId)
    if (!st) {
      this.#sides.set(trackId, { side: out ? Math.sign(s) : 0, lastOut: anchor, lastOutDistance: s, previousDistance: s, previousPtsUs: ptsUs, zeroPtsUs: ptsUs })
      return undefined
    }
    if (s === 0 || (st.previousDistance !== 0 && Math.sign(s) !== Math.sign(st.previousDistance))) {
      const share = st.previousDistance / (st.previousDistance - s)
      st.zeroPtsUs = st.previousPtsUs + (ptsUs - st.previousPtsUs) * share
    }
    st.previousDistance = s
    st.previousPtsUs = ptsUs
    if (!out) return undefined
    const side = Math.sign(s)
    let crossing: Crossing | undefined
    if (st.side !== 0 && side !== st.side) {
      // where the path from the last point outside the band met the line
      const u = st.lastOutDistance / (st.lastOutDistance - s)
      const met = { x: st.lastOut.x + (anchor.x - st.lastOut.x) * u, y: st.lastOut.y + (anchor.y - st.lastOut.y) * u }
      const t = alongSegment(this.segment, met)
      if (t >= -this.#tolerance && t <= 1 + this.#tolerance) crossing = { direction: st.side > 0 ? 'a-b' : 'b-a', atPtsUs: st.zeroPtsUs }
    }
    st.side = side
    st.lastOut = anchor
    st.lastOutDistance = s
    return crossing
  }

  forget(trackId: string): void {
    this.#sides.delete(trackId)
  }

  clear(): void {
    this.#sides.clear()
  }
}
