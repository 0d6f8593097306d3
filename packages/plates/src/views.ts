import { centreDistance, iou, type Rect } from '@oko/core'

/** A later view of a vehicle is read again only when it is at least this much better (area, halved when cut off by the frame's edge). */
export const BETTER_VIEW = 1.25

interface Reads {
  count: number
  /** The vehicle its detections were read as before the tracker confirmed it was looked for (see select). */
  adopted: boolean
  /** The best view read so far. */
  bestView: number
  /** The frame the vehicle was last seen alive in (any state). */
  aliveSeq: number
  /** The frame it was last read in. */
  readSeq: number
  /** Its plate was read alike SETTLED_READS times: not read again. */
  settled: boolean
  /** Where it was when last read (frame pixels). */
  readBox?: Rect
}

/** A vehicle whose plate was read with the same text this many times is not read again: its plate is settled (with the default 3 reads a track, the one left could not outvote it). */
export const SETTLED_READS = 2

/**
 * A view as good as the best one read is read again this many frames after the last read (a car
 * crossing the frame keeps its size), if the vehicle moved at least REREAD_MOVE of its width
 * since: a parked car shows the same plate again (Frigate does not read stationary vehicles).
 */
export const REREAD_FRAMES = 10
export const REREAD_MOVE = 0.25

/** A vehicle's plate track waits for its next read at most this many times the voter's gap (a car stopped at a barrier still gets its event). */
export const KEEP_OPEN_GAPS = 3

/** A vehicle detection that no track holds is the vehicle of an earlier one when their boxes overlap at least this much (IoU). */
export const UNTRACKED_MATCH_IOU = 0.25

/** An untracked vehicle not detected again for this many frames is forgotten (the tracker drops a tentative track sooner). */
export const UNTRACKED_FRAMES = 15

/** A vehicle detection no track holds yet: where it was last seen, and its reads. */
interface Untracked {
  box: Rect
  seenSeq: number
  reads: Reads
  /** The track confirmed on it (kept a while: plates read in it stay open for that track). */
  adoptedBy?: string
}

/**
 * Which vehicle tracks of a camera are read in a frame: each at most `perTrack` times, on its
 * first view and then only on views clearly larger than the best one read (as a car comes
 * closer) or, for a car that keeps its size (crossing the frame), on a view as good as the best
 * one REREAD_FRAMES after the last read, so a plate costs a few reads per car instead of one per frame. Also tells the voter
 * which vehicles may still bring readings (their plate tracks stay open until they cannot).
 */
export class TrackReadBudget {
  readonly #reads = new Map<string, Reads>()
  readonly #untracked: Untracked[] = []

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
      else this.#reads.set(id, fresh(seq))
    }
    const due: { t: T; view: number }[] = []
    for (const t of seen) {
      const r = this.#reads.get(t.id) ?? fresh(seq)
      this.#reads.set(t.id, r)
      // a new track takes over the vehicle its detections were read as (plates read there join it),
      // with reads of its own: those before it was confirmed were of the car's first views (often
      // cut off by the frame's edge or still small) and, counted against it, left it one read that
      // could miss the plate (the demo's first car was never read whole)
      if (!r.adopted) {
        r.adopted = true
        this.#adopt(t.id, t.box, seq)
      }
      const view = viewOf(t.box, frame)
      if (isDue(r, view, seq, this.perTrack, t.box)) due.push({ t, view })
    }
    return due.sort((a, b) => b.view - a.view).map((d) => d.t)
  }

  /**
   * Of vehicle detections that no track holds (no tracker, or its tracks not confirmed yet), those
   * to read in frame `seq`, best view first: each is the vehicle of the earlier detection its box
   * overlaps most (IoU ≥ UNTRACKED_MATCH_IOU, within UNTRACKED_FRAMES) and shares its budget,
   * as a track would; the track the tracker later confirms there has reads of its own (see select).
   */
  selectUntracked<T extends { readonly box: Rect }>(seq: number, seen: readonly T[], frame: { width: number; height: number }): T[] {
    this.#forgetUntracked(seq)
    const taken = new Set<Untracked>()
    const due: { t: T; view: number; u: Untracked }[] = []
    for (const t of seen) {
      let u = this.#bestUntracked(t.box, taken)
      if (!u) this.#untracked.push((u = { box: t.box, seenSeq: seq, reads: fresh(seq) }))
      taken.add(u)
      u.box = t.box
      u.seenSeq = seq
      const view = viewOf(t.box, frame)
      if (isDue(u.reads, view, seq, this.perTrack, t.box)) due.push({ t, view, u })
    }
    return due.sort((a, b) => b.view - a.view).map((d) => d.t)
  }

  /** The untracked vehicle detected at `box` in frame `seq` was read there. */
  readUntracked(seq: number, box: Rect, frame: { width: number; height: number }): void {
    const u = this.#untracked.find((x) => x.adoptedBy === undefined && x.seenSeq === seq && iou(x.box, box) >= UNTRACKED_MATCH_IOU)
    if (!u) return
    u.reads.count++
    u.reads.readSeq = seq
    u.reads.readBox = box
    u.reads.bestView = Math.max(u.reads.bestView, viewOf(box, frame))
  }

  /** The plate of vehicle `id` is settled (read alike SETTLED_READS times): it is not read again. */
  settle(id: string): void {
    const r = this.#reads.get(id)
    if (r) r.settled = true
  }

  /** The vehicle `id` was read in frame `seq` on a view of `box`. */
  read(id: string, seq: number, box: Rect, frame: { width: number; height: number }): void {
    const r = this.#reads.get(id)
    if (!r) return
    r.count++
    r.readSeq = seq
    r.readBox = box
    r.bestView = Math.max(r.bestView, viewOf(box, frame))
  }

  /**
   * Its plate may still be read: the vehicle was alive within `maxGapFrames` of `seq`, has reads
   * left, is not settled, and was read within KEEP_OPEN_GAPS gaps.
   */
  mayRead(id: string, seq: number, maxGapFrames: number): boolean {
    const r = this.#reads.get(id)
    return r !== undefined && !r.settled && r.count < this.perTrack && seq - r.aliveSeq <= maxGapFrames && seq - r.readSeq <= KEEP_OPEN_GAPS * maxGapFrames
  }

  /**
   * A plate read at `box` (no vehicle track) may still be read again: it lies in a vehicle
   * detection no track holds yet, detected within `maxGapFrames` of `seq` and read within
   * KEEP_OPEN_GAPS gaps, or in one a track took over (adopted) that may still be read.
   */
  mayReadAt(box: Rect, seq: number, maxGapFrames: number): boolean {
    const cx = box.x + box.width / 2, cy = box.y + box.height / 2
    return this.#untracked.some((u) => {
      if (!(cx >= u.box.x && cx < u.box.x + u.box.width && cy >= u.box.y && cy < u.box.y + u.box.height)) return false
      if (u.adoptedBy !== undefined) return this.mayRead(u.adoptedBy, seq, maxGapFrames)
      return u.reads.count < this.perTrack && seq - u.seenSeq <= maxGapFrames && seq - u.reads.readSeq <= KEEP_OPEN_GAPS * maxGapFrames
    })
  }

  /** The untracked vehicle a new track `id` at `box` is (best overlap, seen lately) is now that track. */
  #adopt(id: string, box: Rect, seq: number): void {
    this.#forgetUntracked(seq)
    const u = this.#bestUntracked(box, new Set())
    if (u) u.adoptedBy = id
  }

  #bestUntracked(box: Rect, taken: ReadonlySet<Untracked>): Untracked | undefined {
    let best: Untracked | undefined
    let bestIou = UNTRACKED_MATCH_IOU
    for (const u of this.#untracked) {
      const o = taken.has(u) || u.adoptedBy !== undefined ? 0 : iou(u.box, box)
      if (o >= bestIou) { best = u; bestIou = o }
    }
    return best
  }

  #forgetUntracked(seq: number): void {
    for (let i = this.#untracked.length - 1; i >= 0; i--) if (seq - this.#untracked[i]!.seenSeq > UNTRACKED_FRAMES) this.#untracked.splice(i, 1)
  }
}

function fresh(seq: number): Reads {
  return { count: 0, adopted: false, bestView: 0, aliveSeq: seq, readSeq: seq, settled: false }
}

/** A view is read when reads are left and it is the first, or clearly larger than the best read, or as good, REREAD_FRAMES later and moved (see REREAD_MOVE). */
function isDue(r: Reads, view: number, seq: number, perTrack: number, box: Rect): boolean {
  if (r.settled || r.count >= perTrack || view <= 0) return false
  if (r.count === 0 || view >= r.bestView * BETTER_VIEW) return true
  return view >= r.bestView && seq - r.readSeq >= REREAD_FRAMES && (r.readBox === undefined || moved(r.readBox, box) >= REREAD_MOVE)
}

/** How far the centre of `b` is from that of `a`, in widths of `a`. */
function moved(a: Rect, b: Rect): number {
  return centreDistance(a, b) / Math.max(1, a.width)
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
