import { iou, type Detection, type Rect, type Track } from '@oko/core'
import { assign } from './assign.js'
import { BoxKalman, DEFAULT_NOISE, type KalmanNoise } from './kalman.js'
import { resolveTrackerOptions, type ResolvedTrackerOptions, type TrackerOptions } from './options.js'

/** Where and when a frame is: what the tracker predicts to. */
export interface TrackerClock {
  readonly seq: number
  readonly ptsUs: number
  /** Frame size in pixels: a lost track whose anchor leaves the frame ends at once. */
  readonly width?: number
  readonly height?: number
}

/** What one step of the tracker changed. */
export interface TrackerStep {
  /** Tracks confirmed in this frame (they got their id). */
  readonly started: readonly Track[]
  /** Tracks that ended in this frame (not seen for `lostTimeoutMs`, or predicted out of the frame). */
  readonly ended: readonly Track[]
  /** Confirmed and lost tracks alive in this frame, boxes predicted to it. */
  readonly tracks: readonly Track[]
}

interface Entry {
  readonly kf: BoxKalman
  /** Set on confirmation: the public track (same object every frame, later stages annotate it). */
  track?: Track
  readonly group: string
  readonly votes: Map<string, number>
  label: string
  hits: number
  score: number
  state: Track['state']
  readonly firstSeq: number
  readonly firstPtsUs: number
  lastSeenSeq: number
  lastSeenPtsUs: number
  /** The time the filter was predicted to. */
  atPtsUs: number
}

/**
 * A ByteTrack-style multi-object tracker for one camera. Each frame with detections: every track
 * is predicted to the frame's time (Kalman, bottom-centre anchor); high-score detections are
 * matched to confirmed and lost tracks by IoU (Hungarian), the low-score ones to the tracks still
 * unmatched, the rest to tentative tracks; detections left over start tentative tracks. A lost
 * track also takes a detection of its size near its predicted anchor (within 3σ of the
 * prediction, at most 1.5 box heights) when their boxes barely overlap: an object that comes out
 * from behind something, after its velocity was measured while it was half hidden. A track
 * gets its id (unique across cameras and restarts: `newId`) when confirmed by `confirmHits`
 * detections, is `lost` while unmatched, and ends after `lostTimeoutMs` unseen.
 *
 * Frames without detections (the motion gate stopped them, the detector skipped them) only
 * `predict`: time moves on, tracks keep their predicted boxes and end when they time out.
 */
export class Tracker {
  readonly options: ResolvedTrackerOptions
  readonly #newId: () => string
  readonly #noise: KalmanNoise
  readonly #groups = new Map<string, string>()
  #entries: Entry[] = []

  constructor(options: TrackerOptions = {}, newId: () => string, noise: KalmanNoise = DEFAULT_NOISE) {
    this.options = resolveTrackerOptions(options)
    this.#newId = newId
    this.#noise = noise
    this.options.classGroups.forEach((g, i) => { for (const c of g) this.#groups.set(c, `group:${i}`) })
  }

  /** Tracks alive now (confirmed or lost), as of the last step. */
  get tracks(): Track[] {
    return this.#entries.filter((e) => e.track).map((e) => e.track!)
  }

  /** Tentative tracks too: how many objects the tracker follows. */
  get size(): number {
    return this.#entries.length
  }

  /** One frame's detections (boxes in frame pixels). Sets `trackId` on detections of confirmed tracks. */
  update(detections: readonly Detection[], clock: TrackerClock): TrackerStep {
    const o = this.options
    this.#predictTo(clock.ptsUs)
    const high: Detection[] = [], low: Detection[] = []
    for (const d of detections) {
      if (d.score >= o.highScore) high.push(d)
      else if (d.score >= o.lowScore) low.push(d)
    }
    const matched = new Set<Entry>()
    const started: Track[] = []
    const seen = (e: Entry, d: Detection): void => {
      matched.add(e)
      this.#hit(e, d, clock, started)
    }

    let highLeft = o.coverGroups ? this.#coverGroups(high, matched, clock) : high
    const active = this.#entries.filter((e) => e.state !== 'tentative' && !matched.has(e))
    highLeft = this.#match(active, highLeft, o.matchIou, seen)
    const stillTracked = active.filter((e) => e.state === 'confirmed' && !matched.has(e))
    this.#match(stillTracked, low, o.lowMatchIou, seen)
    const tentative = this.#entries.filter((e) => e.state === 'tentative' && !matched.has(e))
    highLeft = this.#match(tentative, highLeft, o.tentativeMatchIou, seen)

    for (const e of this.#entries) {
      if (matched.has(e)) continue
      if (e.state === 'confirmed') e.state = 'lost'
      if (e.track) e.track.state = e.state
    }
    for (const d of highLeft) {
      if (d.score < o.newTrackScore) continue
      const e = this.#start(d, clock)
      if (e.hits >= o.confirmHits) this.#confirm(e, started)
      if (e.track) d.trackId = e.track.id
      this.#entries.push(e)
    }
    return { started, ended: this.#expire(clock), tracks: this.#publish() }
  }

  /** A frame without detections: predicts every track to it and ends those that timed out. */
  predict(clock: TrackerClock): TrackerStep {
    this.#predictTo(clock.ptsUs)
    return { started: [], ended: this.#expire(clock), tracks: this.#publish() }
  }

  /** Ends every track (the camera is done): returns the confirmed ones. */
  flush(): Track[] {
    const ended = this.tracks
    this.#entries = []
    return ended
  }

  #predictTo(ptsUs: number): void {
    for (const e of this.#entries) {
      if (ptsUs > e.atPtsUs) {
        // unseen since the last prediction (lost, or frames without detections): the size holds
        if (e.state === 'lost' || e.lastSeenPtsUs < e.atPtsUs) e.kf.freezeSize()
        e.kf.predict((ptsUs - e.atPtsUs) / 1e6)
        e.atPtsUs = ptsUs
      }
    }
  }

  /** Assigns detections to entries (IoU, same class group); calls `seen` per pair; returns detections left. */
  #match(entries: readonly Entry[], detections: readonly Detection[], minIou: number, seen: (e: Entry, d: Detection) => void): Detection[] {
    if (entries.length === 0 || detections.length === 0) return [...detections]
    const rows = entries.length, cols = detections.length
    const cost = new Float64Array(rows * cols)
    const boxes = entries.map((e) => [e.kf.box(), inflate(e.kf.box(), e.kf.positionStd())] as const)
    for (let r = 0; r < rows; r++) {
      const [box, wide] = boxes[r]!
      const e = entries[r]!
      const gate = e.state === 'lost' ? Math.min(3 * e.kf.positionStd(), LOST_GATE_HEIGHTS * box.height) : 0
      for (let c = 0; c < cols; c++) {
        const d = detections[c]!
        if (this.#groupOf(d.label) !== e.group) { cost[r * cols + c] = FORBIDDEN; continue }
        let sim = Math.max(iou(box, d.box), iou(wide, d.box))
        if (gate > 0) sim = Math.max(sim, nearness(box, d.box, gate))
        cost[r * cols + c] = sim >= minIou ? 1 - sim : FORBIDDEN
      }
    }
    const pairs = assign(cost, rows, cols, FORBIDDEN)
    const used = new Uint8Array(cols)
    for (let r = 0; r < rows; r++) {
      const c = pairs[r]!
      if (c < 0) continue
      used[c] = 1
      seen(entries[r]!, detections[c]!)
    }
    return detections.filter((_, c) => !used[c])
  }

  /**
   * Detections that each cover two or more confirmed tracks' predicted boxes (a merged motion
   * blob): those tracks keep their predictions and count as seen; the detection is used up.
   */
  #coverGroups(high: readonly Detection[], matched: Set<Entry>, clock: TrackerClock): Detection[] {
    const left: Detection[] = []
    for (const d of high) {
      const covered = this.#entries.filter((e) => e.state !== 'tentative' && !matched.has(e) && this.#groupOf(d.label) === e.group && coverage(e.kf.box(), d.box) >= 0.6)
      if (covered.length < 2) { left.push(d); continue }
      for (const e of covered) {
        matched.add(e)
        e.state = 'confirmed'
        e.lastSeenSeq = clock.seq
        e.lastSeenPtsUs = clock.ptsUs
        if (e.track) { e.track.state = 'confirmed'; e.track.lastSeenSeq = clock.seq; e.track.lastSeenPtsUs = clock.ptsUs }
      }
    }
    return left
  }

  #hit(e: Entry, d: Detection, clock: TrackerClock, started: Track[]): void {
    e.kf.update(d.box)
    e.hits++
    e.score = d.score
    e.votes.set(d.label, (e.votes.get(d.label) ?? 0) + d.score)
    e.label = topVote(e.votes)
    e.lastSeenSeq = clock.seq
    e.lastSeenPtsUs = clock.ptsUs
    if (e.state === 'lost') e.state = 'confirmed'
    if (e.state === 'tentative' && e.hits >= this.options.confirmHits) this.#confirm(e, started)
    if (e.track) {
      d.trackId = e.track.id
      e.track.state = e.state
      e.track.score = d.score
      e.track.lastSeenSeq = clock.seq
      e.track.lastSeenPtsUs = clock.ptsUs
    }
  }

  #start(d: Detection, clock: TrackerClock): Entry {
    return {
      kf: new BoxKalman(d.box, this.#noise), group: this.#groupOf(d.label), votes: new Map([[d.label, d.score]]), label: d.label,
      hits: 1, score: d.score, state: 'tentative', firstSeq: clock.seq, firstPtsUs: clock.ptsUs,
      lastSeenSeq: clock.seq, lastSeenPtsUs: clock.ptsUs, atPtsUs: clock.ptsUs,
    }
  }

  #confirm(e: Entry, started: Track[]): void {
    e.state = 'confirmed'
    e.track = {
      id: this.#newId(), label: e.label, box: e.kf.box(), state: 'confirmed', score: e.score,
      firstSeq: e.firstSeq, lastSeenSeq: e.lastSeenSeq, firstPtsUs: e.firstPtsUs, lastSeenPtsUs: e.lastSeenPtsUs,
      velocity: e.kf.velocity(), attributes: {},
    }
    started.push(e.track)
  }

  #expire(clock: TrackerClock): Track[] {
    const o = this.options
    const ended: Track[] = []
    this.#entries = this.#entries.filter((e) => {
      const unseenMs = (clock.ptsUs - e.lastSeenPtsUs) / 1000
      const gone = e.state !== 'tentative' && e.lastSeenPtsUs < clock.ptsUs && clock.width !== undefined && clock.height !== undefined && outside(e.kf.mean, clock.width, clock.height)
      const keep = e.state === 'tentative' ? unseenMs <= o.tentativeTimeoutMs : unseenMs <= o.lostTimeoutMs && !gone
      if (!keep && e.track) {
        e.track.state = 'lost'
        ended.push(e.track)
      }
      return keep
    })
    return ended
  }

  /** Copies the filters' state into the public tracks. */
  #publish(): Track[] {
    const out: Track[] = []
    for (const e of this.#entries) {
      const t = e.track
      if (!t) continue
      t.box = e.kf.box()
      t.velocity = e.kf.velocity()
      ;(t as { label: string }).label = e.label
      out.push(t)
    }
    return out
  }

  #groupOf(label: string): string {
    return this.#groups.get(label) ?? `class:${label}`
  }
}

const FORBIDDEN = 1e6

/** A lost track's gate: a detection this many of its box heights (at most) from its predicted anchor may be it. */
const LOST_GATE_HEIGHTS = 1.5

/**
 * How likely `d` is the object predicted at `predicted` although their boxes barely overlap (a
 * track lost for a while: its velocity was measured on a partly hidden object, or the object
 * changed pace): 1 − anchor distance / `gate`, times how alike the two boxes' sizes are; 0 beyond the gate.
 */
function nearness(predicted: Rect, d: Rect, gate: number): number {
  const dx = predicted.x + predicted.width / 2 - (d.x + d.width / 2)
  const dy = predicted.y + predicted.height - (d.y + d.height)
  const distance = Math.hypot(dx, dy)
  if (distance >= gate) return 0
  const alike = (a: number, b: number) => Math.min(a, b) / Math.max(a, b, 1e-9)
  return (1 - distance / gate) * alike(predicted.width, d.width) * alike(predicted.height, d.height)
}

/** A box grown by `margin` px on every side, the margin capped at the box's own height. */
function inflate(r: Rect, margin: number): Rect {
  const m = Math.min(margin, r.height)
  return { x: r.x - m, y: r.y - m, width: r.width + 2 * m, height: r.height + 2 * m }
}

/** The share of `inner`'s area that lies inside `outer`. */
function coverage(inner: Rect, outer: Rect): number {
  const x0 = Math.max(inner.x, outer.x), y0 = Math.max(inner.y, outer.y)
  const x1 = Math.min(inner.x + inner.width, outer.x + outer.width), y1 = Math.min(inner.y + inner.height, outer.y + outer.height)
  const area = inner.width * inner.height
  return area > 0 ? (Math.max(0, x1 - x0) * Math.max(0, y1 - y0)) / area : 0
}

function topVote(votes: Map<string, number>): string {
  let best = '', top = -1
  for (const [label, v] of votes) if (v > top) { best = label; top = v }
  return best
}

/** The anchor (bottom centre) outside the frame. */
function outside(mean: Float64Array, width: number, height: number): boolean {
  const x = mean[0]!, y = mean[1]!, h = mean[3]!
  return x < 0 || x > width || y - h > height || y < 0
}
