import { centreDistance, iou, newId, type Rect, type RawImage } from '@oko/core'
import type { PlateReading } from './engine.js'
import { KEEP_OPEN_GAPS } from './views.js'

/** One reading of a track, with the frame it came from. */
export interface TrackReading {
  reading: PlateReading
  seq: number
  ptsUs: number
}

/** A finished track: the voted plate, its best frame and how many frames agreed. */
export interface VotedPlate {
  /** The plate track's id (unique across cameras and restarts). */
  trackId: string
  /** The vehicle track the readings came with, when one was given. */
  objectId?: string
  text: string
  format: string
  country: string
  confidence: number
  charConfidences: number[]
  /** The reading whose text won with the highest confidence (its box and frame). */
  best: TrackReading
  readings: number
  snapshot?: PlateSnapshot
  firstSeq: number
  lastSeq: number
}

/** Pixels of the best frame around the plate (owned copy). */
export interface PlateSnapshot extends RawImage {
  /** Where the snapshot was cut from, in frame pixels. */
  readonly region: Rect
  readonly seq: number
  readonly ptsUs: number
}

export interface VotingOptions {
  /** A track ends when more than this many frames in a row pass without its plate (default 10). */
  maxGapFrames: number
  /** Tracks with fewer readings are dropped (default 1). */
  minReadings: number
  /**
   * A track is voted and emitted once it has this many readings (default 30); it stays open
   * without storing more readings, so the same car is never emitted twice.
   */
  maxReadings: number
}

export const DEFAULT_VOTING: Readonly<VotingOptions> = Object.freeze({ maxGapFrames: 10, minReadings: 1, maxReadings: 30 })

interface Track {
  id: string
  box: Rect
  lastSeq: number
  /** External track (vehicle tracker) this plate belongs to, when known. */
  external?: string
  readings: TrackReading[]
  bestConfidence: number
  snapshot?: PlateSnapshot
  /** Voted and emitted at maxReadings: later readings only keep it alive until its gap ends it. */
  emitted: boolean
  /** Kept open past its gap (its vehicle may still be read): it matches readings for KEEP_OPEN_GAPS gaps. */
  heldOpen: boolean
  /** Box centre movement per frame (px), from the last two sightings. */
  velocity: { x: number; y: number }
}

/**
 * Per-camera plate tracks: each reading joins the track whose plate box it overlaps (or whose
 * vehicle track id it carries, or whose text it nearly repeats); a track ends after a gap and is
 * decided by a confidence-weighted per-character vote over its readings.
 */
export class PlateVoter {
  private tracks: Track[] = []

  /** `makeId` names new tracks (default: a ULID; a stage passes its context's `newId`). */
  constructor(private readonly options: Readonly<VotingOptions> = DEFAULT_VOTING, private readonly makeId: () => string = () => newId()) {}

  /**
   * Adds the readings of one frame; returns tracks that ended. `snapshot(reading)` is called
   * when a reading becomes its track's best (copy the pixels you need: frames are borrowed).
   * `keepOpen(objectId, box)` true: the plate track (of that vehicle, or without one: at `box`,
   * where it was last read) does not end by its gap (the vehicle is read only on a few of its
   * frames and may still bring readings).
   */
  observe(
    seq: number,
    ptsUs: number,
    readings: readonly (PlateReading & { trackId?: string })[],
    snapshot?: (reading: PlateReading) => PlateSnapshot | undefined,
    keepOpen?: (objectId: string | undefined, box: Rect) => boolean,
  ): VotedPlate[] {
    const used = new Set<Track>()
    // tracks past their gap whose vehicle may still be read match for longer (observe runs only on frames with readings or ticks)
    for (const t of this.tracks) if (!t.heldOpen && seq - t.lastSeq > this.options.maxGapFrames && keepOpen?.(t.external, t.box)) t.heldOpen = true
    for (const reading of readings) {
      const track = this.match(reading, seq, used) ?? this.start(reading, seq)
      used.add(track)
      // a plate first read before its vehicle's track was confirmed joins that track when it is
      if (track.external === undefined && reading.trackId !== undefined) track.external = reading.trackId
      if (track.lastSeq < seq) {
        const frames = seq - track.lastSeq
        track.velocity = { x: (centre(reading.box).x - centre(track.box).x) / frames, y: (centre(reading.box).y - centre(track.box).y) / frames }
      }
      track.box = reading.box
      track.lastSeq = seq
      if (track.emitted) continue
      track.readings.push({ reading, seq, ptsUs })
      if (reading.confidence > track.bestConfidence) {
        track.bestConfidence = reading.confidence
        const snap = snapshot?.(reading)
        if (snap) track.snapshot = snap
      }
    }
    const ended = this.tracks.filter((t) => {
      if (seq - t.lastSeq <= this.options.maxGapFrames) return false
      if (!keepOpen?.(t.external, t.box)) return true
      t.heldOpen = true
      return false
    })
    this.tracks = this.tracks.filter((t) => !ended.includes(t))
    const full = this.tracks.filter((t) => !t.emitted && t.readings.length >= this.options.maxReadings)
    for (const t of full) t.emitted = true
    return [...ended.filter((t) => !t.emitted), ...full].map((t) => this.decide(t)).filter((v): v is VotedPlate => v !== undefined)
  }

  /** Ends every open track (end of stream). */
  flush(): VotedPlate[] {
    const all = this.tracks.filter((t) => !t.emitted)
    this.tracks = []
    return all.map((t) => this.decide(t)).filter((v): v is VotedPlate => v !== undefined)
  }

  /** The vote so far of the open plate track read inside vehicle track `objectId` (undefined: none). */
  votedFor(objectId: string): { text: string; confidence: number } | undefined {
    const t = this.tracks.find((x) => x.external === objectId)
    if (!t || t.readings.length < this.options.minReadings) return undefined
    const { text, confidence } = vote(t.readings.map((r) => r.reading))
    return { text, confidence }
  }

  /** How many readings of the open plate track read inside vehicle track `objectId` say its most read text (0: no such track). */
  agreeingFor(objectId: string): number {
    const t = this.tracks.find((x) => x.external === objectId)
    const counts = new Map<string, number>()
    for (const r of t?.readings ?? []) counts.set(r.reading.text, (counts.get(r.reading.text) ?? 0) + 1)
    return Math.max(0, ...counts.values())
  }

  get openTracks(): number {
    return this.tracks.length
  }

  private start(reading: PlateReading & { trackId?: string }, seq: number): Track {
    const track: Track = { id: this.makeId(), box: reading.box, lastSeq: seq, readings: [], bestConfidence: -1, emitted: false, heldOpen: false, velocity: { x: 0, y: 0 } }
    if (reading.trackId !== undefined) track.external = reading.trackId
    this.tracks.push(track)
    return track
  }

  private match(reading: PlateReading & { trackId?: string }, seq: number, used: Set<Track>): Track | undefined {
    let best: Track | undefined
    let bestScore = 0
    for (const t of this.tracks) {
      if (used.has(t)) continue
      // the plate of the same vehicle track, however long ago it was last read
      if (reading.trackId !== undefined && t.external === reading.trackId) return t
      // a vehicle's plate track is read only every few frames: it may match for as long as it is kept open
      if (seq - t.lastSeq - 1 > this.options.maxGapFrames * (t.external !== undefined || t.heldOpen ? KEEP_OPEN_GAPS : 1)) continue
      // where the plate should be now, moved on at its last speed (a car seen every few frames)
      const frames = seq - t.lastSeq
      const predicted = { ...t.box, x: t.box.x + t.velocity.x * frames, y: t.box.y + t.velocity.y * frames }
      const overlap = Math.max(iou(t.box, reading.box), iou(predicted, reading.box))
      // within 1.5 plate widths of where it should be, per frame since it was last seen
      const near = Math.min(centreDistance(t.box, reading.box), centreDistance(predicted, reading.box)) < 1.5 * Math.max(t.box.width, reading.box.width) * Math.max(1, frames)
      const last = t.readings[t.readings.length - 1]!.reading.text
      // a plate cut by the frame's edge reads as part of its text
      const similar = hamming(last, reading.text) <= 2 || (Math.min(last.length, reading.text.length) >= 4 && (last.includes(reading.text) || reading.text.includes(last)))
      const score = overlap + (near ? 0.3 : 0) + (similar ? 0.5 : 0)
      if ((overlap > 0.05 || (near && similar)) && score > bestScore) { best = t; bestScore = score }
    }
    return best
  }

  private decide(t: Track): VotedPlate | undefined {
    if (t.readings.length < this.options.minReadings || t.readings.length === 0) return undefined
    const voted = vote(t.readings.map((r) => r.reading))
    const winners = t.readings.filter((r) => r.reading.text === voted.text)
    const pool = winners.length > 0 ? winners : t.readings
    const best = pool.reduce((a, b) => (b.reading.confidence > a.reading.confidence ? b : a))
    const plate: VotedPlate = {
      trackId: t.id,
      ...(t.external !== undefined ? { objectId: t.external } : {}),
      text: voted.text,
      format: best.reading.format,
      country: best.reading.country,
      confidence: voted.confidence,
      charConfidences: voted.charConfidences,
      best,
      readings: t.readings.length,
      firstSeq: t.readings[0]!.seq,
      lastSeq: t.readings[t.readings.length - 1]!.seq,
    }
    if (t.snapshot) plate.snapshot = t.snapshot
    return plate
  }
}

/**
 * Confidence-weighted vote: the most supported text length first, then each position's character
 * by summed confidence. Returns the voted text and per-character agreement × confidence.
 */
export function vote(readings: readonly Pick<PlateReading, 'text' | 'charConfidences' | 'confidence'>[]): { text: string; confidence: number; charConfidences: number[] } {
  const byLength = new Map<number, number>()
  for (const r of readings) byLength.set(r.text.length, (byLength.get(r.text.length) ?? 0) + r.confidence)
  const length = [...byLength.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]![0]
  const same = readings.filter((r) => r.text.length === length)
  let text = ''
  const confs: number[] = []
  for (let i = 0; i < length; i++) {
    const weights = new Map<string, number>()
    let total = 0
    for (const r of same) {
      const w = r.charConfidences[i] ?? r.confidence
      weights.set(r.text[i]!, (weights.get(r.text[i]!) ?? 0) + w)
      total += w
    }
    const [ch, w] = [...weights.entries()].sort((a, b) => b[1] - a[1])[0]!
    text += ch
    // Agreement among readings times the winners' mean confidence.
    const count = same.filter((r) => r.text[i] === ch).length
    confs.push(total > 0 ? (w / total) * (w / count) : 0)
  }
  const confidence = Math.exp(confs.reduce((a, c) => a + Math.log(Math.max(c, 1e-6)), 0) / Math.max(1, confs.length))
  return { text, confidence, charConfidences: confs }
}

function centre(r: Rect): { x: number; y: number } {
  return { x: r.x + r.width / 2, y: r.y + r.height / 2 }
}

function hamming(a: string, b: string): number {
  let d = Math.abs(a.length - b.length)
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) d++
  return d
}
