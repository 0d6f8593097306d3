import type { Rect } from '@oko/core'

/** A later view of a vehicle is read again only when it is at least this much better (area, halved when cut off by the frame's edge). */
export const BETTER_VIEW = 1.25

interface Reads {
  count: number
  /** The best view read so far. */
  bestView: number
  /** The frame the vehicle was last seen alive in (any state). */
  aliveSeq: number
  /** The frame it was last read in. */
  readSeq: number
}

/** A view as good as the best one read is read again this many frames after the last read (a car crossing the frame keeps its size). */
export const REREAD_FRAMES = 10

/** A vehicle's plate track waits for its next read at most this many times the voter's gap (a car stopped at a barrier still gets its event). */
export const KEEP_OPEN_GAPS = 3

/**
 * Which vehicle tracks of a camera are read in a frame: each at most `perTrack` times, on its
 * first view and then only on views clearly larger than the best one read (as a car comes
 * closer) or, for a car that keeps its size (crossing the frame), on a view as good as the best
 * one REREAD_FRAMES after the last read, so a plate costs a few reads per car instead of one per frame. Also tells the voter
 * which vehicles may still bring readings (their plate tracks stay open until they cannot).
 */
export class TrackReadBudget {
  readonly #reads = new Map<string, Reads>()

  constructor(readonly perTrack: number) {}

  /**
   * Notes the vehicles alive in frame `seq` (forgets the others) and returns those of `seen` to
   * read now, best view first.
   */
  select<T extends { readonly id: string; readonly box: Rect }>(seq: number, alive: readonly string[], seen: readonly T[], frame: { width: number; height: number }): T[] {
    const now = new Set(alive)
    for (const id of this.#reads.keys()) if (!now.has(id)) this.#reads.delete(id)
    for (const id of alive) {
      const r = this.#reads.get(id)
      if (r) r.aliveSeq = Math.max(r.aliveSeq, seq)
      else this.#reads.set(id, { count: 0, bestView: 0, aliveSeq: seq, readSeq: seq })
    }
    const due: { t: T; view: number }[] = []
    for (const t of seen) {
      const r = this.#reads.get(t.id) ?? { count: 0, bestView: 0, aliveSeq: seq, readSeq: seq }
      this.#reads.set(t.id, r)
      const view = viewOf(t.box, frame)
      const better = view >= r.bestView * BETTER_VIEW || (view >= r.bestView && seq - r.readSeq >= REREAD_FRAMES)
      if (r.count >= this.perTrack || view <= 0 || (r.count > 0 && !better)) continue
      due.push({ t, view })
    }
    return due.sort((a, b) => b.view - a.view).map((d) => d.t)
  }

  /** The vehicle `id` was read in frame `seq` on a view of `box`. */
  read(id: string, seq: number, box: Rect, frame: { width: number; height: number }): void {
    const r = this.#reads.get(id)
    if (!r) return
    r.count++
    r.readSeq = seq
    r.bestView = Math.max(r.bestView, viewOf(box, frame))
  }

  /**
   * Its plate may still be read: the vehicle was alive within `maxGapFrames` of `seq`, has reads
   * left, and was read within KEEP_OPEN_GAPS gaps.
   */
  mayRead(id: string, seq: number, maxGapFrames: number): boolean {
    const r = this.#reads.get(id)
    return r !== undefined && r.count < this.perTrack && seq - r.aliveSeq <= maxGapFrames && seq - r.readSeq <= KEEP_OPEN_GAPS * maxGapFrames
  }
}

/** Vehicles narrower than this (frame pixels) are not read: their plate would be under ~20 px wide, too small to read. */
export const MIN_VEHICLE_WIDTH = 64

/**
 * How good a view of a vehicle its box is for reading its plate: its area in the frame, halved
 * when cut off by the frame's edge; 0 (not worth a read) when narrower than MIN_VEHICLE_WIDTH.
 */
export function viewOf(box: Rect, frame: { width: number; height: number }): number {
  if (box.width < MIN_VEHICLE_WIDTH) return 0
  const x0 = Math.max(0, box.x), y0 = Math.max(0, box.y)
  const x1 = Math.min(frame.width, box.x + box.width), y1 = Math.min(frame.height, box.y + box.height)
  if (x1 <= x0 || y1 <= y0) return 0
  const area = (x1 - x0) * (y1 - y0)
  const edge = 2
  const cut = box.x <= edge || box.y <= edge || box.x + box.width >= frame.width - edge || box.y + box.height >= frame.height - edge
  return cut ? area / 2 : area
}
