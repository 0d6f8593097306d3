import { iou, type Rect } from '@oko/core'

/** Detector runs in a row that found nothing at a place where things moved before that place is searched at `idleFps` only. */
export const IDLE_AFTER_RUNS = 3

/** A region of what moved is the same place as an earlier one when they overlap at least this much (IoU): a car passing a door edge makes it a new shape. */
export const SAME_PLACE_IOU = 0.5

/** A place that has not moved for this many idle intervals is forgotten (moving again, it is new). */
const FORGET_AFTER_IDLE_INTERVALS = 2

interface Place {
  box: Rect
  /** Runs in a row that searched it and found nothing centred in it. */
  emptyRuns: number
  /** Media time (µs) a run last searched it and it was last seen moving. */
  searchedUs: number
  movedUs: number
}

/**
 * One camera's places where things moved, and how the detector's last runs there went: a place
 * where IDLE_AFTER_RUNS runs in a row found nothing (a door edge, leaves, a flag, a car too far
 * to see) rests, searched once per idle interval only, while what moves elsewhere is searched at
 * the full rate (a camera with a flag in view still reads a car at once).
 */
export class QuietPlaces {
  #places: Place[] = []

  constructor(private readonly idleIntervalUs: number) {}

  /** Of what moves at `ptsUs`, the regions to search now (the others rest); they count as searched then (a run's result comes later). */
  toSearch(moving: readonly Rect[], ptsUs: number): Rect[] {
    this.#places = this.#places.filter((p) => ptsUs >= p.movedUs && ptsUs - p.movedUs <= FORGET_AFTER_IDLE_INTERVALS * this.idleIntervalUs)
    const out: Rect[] = []
    for (const r of moving) {
      const p = this.#placeOf(r)
      if (!p) { this.#places.push({ box: r, emptyRuns: 0, searchedUs: ptsUs, movedUs: ptsUs }); out.push(r); continue }
      p.movedUs = ptsUs
      // (a clock that went back, a restarted file: searched)
      if (p.emptyRuns >= IDLE_AFTER_RUNS && ptsUs >= p.searchedUs && ptsUs - p.searchedUs < this.idleIntervalUs * 0.9) continue
      p.searchedUs = ptsUs
      out.push(r)
    }
    return out
  }

  /** The run that searched `searched` found boxes centred at `centres`. */
  searched(searched: readonly Rect[], centres: readonly { x: number; y: number }[]): void {
    for (const r of searched) {
      const found = centres.some((c) => c.x >= r.x && c.x < r.x + r.width && c.y >= r.y && c.y < r.y + r.height)
      const p = this.#placeOf(r)
      if (p) { p.box = r; p.emptyRuns = found ? 0 : p.emptyRuns + 1 }
    }
  }

  #placeOf(r: Rect): Place | undefined {
    let best: Place | undefined
    let bestIou = SAME_PLACE_IOU
    for (const p of this.#places) {
      const o = iou(p.box, r)
      if (o >= bestIou) { best = p; bestIou = o }
    }
    return best
  }
}
