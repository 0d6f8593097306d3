import { OkoError, checkArray, checkBoolean, checkObject, checkString, defineStage, heldPart, optionalNumber, type Envelope, type EventInit, type Frame, type Rect, type Snapshot, type Stage, type StageContext, type Track } from '@oko/core'
import { snapshotOf } from '@oko/imaging/jpeg'
import type { ObjectEvent, ObjectPhase } from './events.js'
import { resolveTrackerOptions, TRACKER_KEYS, type TrackerOptions } from './options.js'
import { Tracker, type TrackerClock, type TrackerStep } from './tracker.js'
import { sharpness, viewArea } from './view.js'

export interface TrackingStageOptions extends TrackerOptions {
  /** Only detections of these classes are tracked. Default: every class but `plate` and `face` (other stages track those). */
  readonly classes?: readonly string[]
  /** While a track is seen, an `update` event at most this often (and when its class or attributes change). Default 1000 ms. */
  readonly updateIntervalMs?: number
  /** Events carry the best view of the object as JPEG. Default true. */
  readonly snapshots?: boolean
  /** A better view is encoded at most this often per track. Default 500 ms. */
  readonly snapshotIntervalMs?: number
  /**
   * Track what moved: in frames without detections, each motion region (from the motion gate
   * before this stage) is a detection of class `object` (a camera without a detector). Turns
   * `coverGroups` on unless it is given. Default false.
   */
  readonly fromMotion?: boolean
}

const STAGE_KEYS = ['classes', 'updateIntervalMs', 'snapshots', 'snapshotIntervalMs', 'fromMotion']
const UNTRACKED = new Set(['plate', 'face'])

interface Followed {
  lastEventPtsUs: number
  /** Class and attributes as last reported. */
  reported: string
  /** Best view so far: its geometric score (area, cut off, occluded), its full score, its picture. */
  bestArea: number
  bestQuality: number
  snapshot?: Snapshot
  snapshotPtsUs: number
  /** A snapshot made since the last event. */
  newSnapshot: boolean
}

/**
 * Tracks the envelope's detections (one tracker per camera: make it with a factory per camera),
 * writes the tracks alive in each frame to `envelope.tracks`, and emits `object` events. Frames
 * the motion gate stopped (`tick`) and frames without detections only predict: tracks keep
 * their ids through them and end when unseen for `lostTimeoutMs`.
 */
export function trackingStage(options: TrackingStageOptions = {}): Stage {
  const o = checkObject('options', options)
  const fromMotion = checkBoolean('options.fromMotion', o.fromMotion, false)
  const trackerOptions = { ...(fromMotion ? { coverGroups: true } : {}), ...Object.fromEntries(Object.entries(o).filter(([k]) => TRACKER_KEYS.includes(k))) }
  resolveTrackerOptions(o, 'options', STAGE_KEYS)
  const classes = o.classes === undefined ? undefined : new Set(checkArray('options.classes', o.classes).map((c, i) => checkString(`options.classes[${i}]`, c)))
  const updateIntervalUs = optionalNumber('options.updateIntervalMs', o.updateIntervalMs, 1000, { min: 0 }) * 1000
  const snapshots = checkBoolean('options.snapshots', o.snapshots, true)
  const snapshotIntervalUs = optionalNumber('options.snapshotIntervalMs', o.snapshotIntervalMs, 500, { min: 0 }) * 1000

  let tracker: Tracker | undefined
  let trackedCamera: string | undefined
  const followed = new Map<string, Followed>()
  let last: TrackerClock | undefined

  const trackerFor = (ctx: StageContext): Tracker => {
    // one stage shared by two cameras would mix their objects into the same tracks
    if (trackedCamera !== undefined && ctx.cameraId !== trackedCamera) {
      throw new OkoError('ERR_INVALID_INPUT', `trackingStage: this stage tracks camera "${trackedCamera}" and received a frame of "${ctx.cameraId}"; give each camera its own: .pipe(() => trackingStage(options))`)
    }
    trackedCamera = ctx.cameraId
    return (tracker ??= new Tracker(trackerOptions, () => ctx.newId()))
  }

  const emit = (ctx: StageContext, t: Track, phase: ObjectPhase, clock: TrackerClock, f: Followed): void => {
    const withSnapshot = f.snapshot && (phase !== 'update' || f.newSnapshot)
    f.newSnapshot = false
    f.lastEventPtsUs = clock.ptsUs
    f.reported = reportKey(t)
    const event: EventInit<ObjectEvent> = {
      type: 'object', cameraId: ctx.cameraId, seq: clock.seq, ptsUs: clock.ptsUs, phase, trackId: t.id, class: t.label,
      box: { ...t.box }, velocity: { ...t.velocity }, speedPxPerS: Math.hypot(t.velocity.x, t.velocity.y), score: t.score,
      firstPtsUs: t.firstPtsUs ?? clock.ptsUs, lastSeenPtsUs: t.lastSeenPtsUs ?? clock.ptsUs, attributes: { ...t.attributes },
      ...(withSnapshot ? { snapshot: f.snapshot } : {}),
    }
    ctx.emit<ObjectEvent>(event)
  }

  const report = (ctx: StageContext, step: TrackerStep, clock: TrackerClock, frame?: Frame): void => {
    for (const t of step.started) followed.set(t.id, { lastEventPtsUs: clock.ptsUs, reported: '', bestArea: 0, bestQuality: 0, snapshotPtsUs: -Infinity, newSnapshot: false })
    if (frame && snapshots) {
      const seen = step.tracks.filter((t) => t.lastSeenSeq === clock.seq)
      for (const t of seen) improveView(t, seen, frame, followed.get(t.id)!, snapshotIntervalUs)
    }
    const started = new Set(step.started)
    for (const t of step.tracks) {
      const f = followed.get(t.id)!
      if (started.has(t)) emit(ctx, t, 'start', clock, f)
      else if (reportKey(t) !== f.reported || (t.lastSeenSeq === clock.seq && clock.ptsUs - f.lastEventPtsUs >= updateIntervalUs)) emit(ctx, t, 'update', clock, f)
    }
    for (const t of step.ended) end(ctx, t, clock)
  }

  const end = (ctx: StageContext, t: Track, clock: TrackerClock): void => {
    const f = followed.get(t.id)
    if (!f) return
    emit(ctx, t, 'end', clock, f)
    followed.delete(t.id)
  }

  return defineStage({
    name: 'tracking',
    process(envelope: Envelope, ctx: StageContext): Envelope {
      const { frame } = envelope
      const clock: TrackerClock = { seq: frame.seq, ptsUs: frame.ptsUs, width: frame.width, height: frame.height }
      last = clock
      const found = fromMotion && envelope.detections.length === 0 && envelope.motion
        ? envelope.motion.regions.map((r) => ({ box: { x: r.x, y: r.y, width: r.width, height: r.height }, label: 'object', score: 0.9, seq: frame.seq, ptsUs: frame.ptsUs }))
        : envelope.detections
      const detections = found.filter((d) => (classes ? classes.has(d.label) : !UNTRACKED.has(d.label)))
      const t = trackerFor(ctx)
      const step = detections.length > 0 ? t.update(detections, clock) : t.predict(clock)
      // The tracker updates its tracks in place on later frames while this envelope may still wait
      // for a slower stage (plates on workers): the envelope keeps the tracks as of its own frame
      // (their attributes stay shared, so what later stages find out reaches the track).
      envelope.tracks.push(...step.tracks.map((track) => ({ ...track })))
      report(ctx, step, clock, frame)
      return envelope
    },
    tick(frame, ctx) {
      if (!tracker) return
      const clock: TrackerClock = { seq: frame.seq, ptsUs: frame.ptsUs, ...(last?.width !== undefined ? { width: last.width, height: last.height! } : {}) }
      last = clock
      report(ctx, tracker.predict(clock), clock)
    },
    flush(ctx) {
      if (!tracker || !last) return
      const clock = last
      for (const t of tracker.flush()) end(ctx, t, clock)
      tracker = undefined
      trackedCamera = undefined
      followed.clear()
    },
  })
}

/** Keeps the best view of a seen track: encodes a snapshot when a view's area beats the best and its sharpness-weighted score too. */
function improveView(t: Track, seen: readonly Track[], frame: Frame, f: Followed, intervalUs: number): void {
  const area = viewArea(t.box, seen.filter((s) => s !== t).map((s) => s.box), frame.width, frame.height)
  if (area <= f.bestArea * 1.1 || frame.ptsUs - f.snapshotPtsUs < intervalUs) return
  const region = heldPart(frame, margin(t.box, 0.1))
  if (!region || region.width < 2 || region.height < 2) return
  const quality = area * Math.sqrt(sharpness(frame, t.box))
  f.bestArea = area
  if (quality <= f.bestQuality) return
  try {
    f.snapshot = snapshotOf(frame, region)
    f.bestQuality = quality
    f.snapshotPtsUs = frame.ptsUs
    f.newSnapshot = true
  } catch {
    // a region the frame cannot give (odd crops): keep the previous view
  }
}

function margin(r: Rect, share: number): Rect {
  const mx = r.width * share, my = r.height * share
  return { x: r.x - mx, y: r.y - my, width: r.width + 2 * mx, height: r.height + 2 * my }
}

/** What an update reports when it changes: the class and the attributes' values. */
function reportKey(t: Track): string {
  let key = t.label
  for (const [name, a] of Object.entries(t.attributes)) key += `|${name}=${a.value}`
  return key
}
