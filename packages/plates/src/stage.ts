import { checkBoolean, checkKnownKeys, checkObject, checkOneOf, heldPart, optionalNumber, overlaps, type Envelope, type EventInit, type Frame, type FrameRef, type Rect, type StageContext } from '@oko/core'
import { frameToImage } from '@oko/imaging'
import { encodeJpeg } from '@oko/imaging/jpeg'
import { PASS, workerStage, type WorkerStage } from '@oko/pipeline'
import type { PlateReading } from './engine.js'
import type { PlateEvent } from './events.js'
import type { PlateReaderOptions } from './options.js'
import { PlateReader } from './reader.js'
import { DEFAULT_VOTING, PlateVoter, type PlateSnapshot, type VotedPlate, type VotingOptions } from './voting.js'
import { SETTLED_READS, TrackReadBudget } from './views.js'
import { Watchlists, type WatchlistSpec } from './watchlist.js'
import type { PlateWorker, RegionReading } from './worker.js'

/** Labels of the detections and tracks a plate is read on. */
export const VEHICLE_LABELS: ReadonlySet<string> = new Set(['car', 'van', 'bus', 'truck', 'motorcycle'])

export interface PlateStageOptions {
  /** A reader to use (not closed by the stage), or options for one the stage creates and closes. */
  reader?: PlateReader | PlateReaderOptions
  watchlists?: WatchlistSpec[]
  voting?: Partial<VotingOptions>
  /** Attach a JPEG of the best frame around the plate to each event (default true). Personal data. */
  snapshot?: boolean
  /** Read every n-th frame only (default 1). */
  everyNthFrame?: number
  /** Most regions read per frame (largest first, default 4). */
  maxRegions?: number
  /**
   * Where plates are looked for: `vehicles` (the vehicle tracks, or detections, of the envelope),
   * `motion` (the regions that moved), `frame` (the whole picture), or `auto` (default): vehicles
   * where the envelope has any, else what moved, else the whole frame.
   */
  within?: 'auto' | 'vehicles' | 'motion' | 'frame'
  /**
   * Reads per vehicle track (default 3): its first view, then only views clearly larger than the
   * best one read (a car coming closer); behind a motion gate, only while it moves; none more once
   * its plate was read with the same text twice (SETTLED_READS). What makes plates affordable
   * behind a detector.
   */
  readsPerTrack?: number
}

export const PLATE_STAGE_KEYS = ['reader', 'watchlists', 'voting', 'snapshot', 'everyNthFrame', 'maxRegions', 'within', 'readsPerTrack']

/** The plate stage: a worker stage on the reader's threads, with one plate voter per camera on the cameras' thread. */
export interface PlateStage extends WorkerStage {
  readonly reader: PlateReader
}

interface Region {
  readonly box: Rect
  /** The vehicle track it belongs to. */
  readonly objectId?: string
  /** A vehicle detection that no track holds (yet): its reads count in the budget's untracked vehicles. */
  readonly untracked?: true
}

/**
 * Reads plates in the envelope's vehicles (or what moved), on the reader's worker threads: the
 * regions are materialised once and read in place there. Each camera's readings are voted across
 * frames per plate track (in frame order), and one `plate` event per track says the best reading,
 * with a JPEG of its best frame and watchlist hits. A plate track ends when its plate has not
 * been seen for `voting.maxGapFrames` frames (still frames count: the stage is ticked), or when
 * the camera is done. Each reading is added to the envelope's detections (label `plate`) for
 * stages after it (redaction); the envelope passes on.
 */
export async function plateStage(options: PlateStageOptions = {}): Promise<PlateStage> {
  const o = checkObject('options', options)
  checkKnownKeys('options', o, PLATE_STAGE_KEYS)
  const v = checkObject('options.voting', o.voting, {})
  checkKnownKeys('options.voting', v, ['maxGapFrames', 'minReadings', 'maxReadings'])
  const voting: VotingOptions = {
    maxGapFrames: optionalNumber('options.voting.maxGapFrames', v.maxGapFrames, DEFAULT_VOTING.maxGapFrames, { min: 0, integer: true }),
    minReadings: optionalNumber('options.voting.minReadings', v.minReadings, DEFAULT_VOTING.minReadings, { min: 1, integer: true }),
    maxReadings: optionalNumber('options.voting.maxReadings', v.maxReadings, DEFAULT_VOTING.maxReadings, { min: 1, integer: true }),
  }
  const snapshots = checkBoolean('options.snapshot', o.snapshot, true)
  const everyNth = optionalNumber('options.everyNthFrame', o.everyNthFrame, 1, { min: 1, integer: true })
  const maxRegions = optionalNumber('options.maxRegions', o.maxRegions, 4, { min: 1, integer: true })
  const within = checkOneOf('options.within', o.within, ['auto', 'vehicles', 'motion', 'frame'] as const, 'auto')
  const readsPerTrack = optionalNumber('options.readsPerTrack', o.readsPerTrack, 3, { min: 1, integer: true })
  const watchlists = o.watchlists === undefined ? undefined : Watchlists.from(o.watchlists as WatchlistSpec[])
  const owned = !(o.reader instanceof PlateReader)
  const reader = o.reader instanceof PlateReader ? o.reader : await PlateReader.create(o.reader as PlateReaderOptions | undefined)
  const voters = new Map<string, PlateVoter>()
  const budgets = new Map<string, TrackReadBudget>()
  // the regions each job was sent with: the tracks the envelope holds move on with later frames
  // (the tracker updates them in place) while the job runs
  const sentRegions = new WeakMap<Envelope, Region[] | undefined>()

  const voterOf = (ctx: StageContext): PlateVoter => {
    let voter = voters.get(ctx.cameraId)
    if (!voter) voters.set(ctx.cameraId, (voter = new PlateVoter(voting, () => ctx.newId())))
    return voter
  }
  const budgetOf = (ctx: StageContext): TrackReadBudget => {
    let budget = budgets.get(ctx.cameraId)
    if (!budget) budgets.set(ctx.cameraId, (budget = new TrackReadBudget(readsPerTrack)))
    return budget
  }
  // a vehicle's plate track stays open while the vehicle may still be read (its reads are a few frames apart);
  // so does one read in a vehicle no track holds yet (the tracker's track there reads it again)
  const keepOpen = (ctx: StageContext, seq: number) => {
    const budget = budgets.get(ctx.cameraId)
    return (objectId: string | undefined, box: Rect) => (objectId === undefined ? budget?.mayReadAt(box, seq, voting.maxGapFrames) : budget?.mayRead(objectId, seq, voting.maxGapFrames)) ?? false
  }
  const emit = (ctx: StageContext, plates: VotedPlate[]) => {
    for (const p of plates) ctx.emit(toEvent(ctx.cameraId, p, watchlists))
  }

  const stage = workerStage<PlateWorker>({
    name: 'plates',
    pool: reader.pool,
    // per-camera voting sees frames in order
    maxInFlightPerCamera: 1,
    prepare(envelope, tools) {
      if (envelope.frame.seq % everyNth !== 0) return PASS
      const budget = budgetOf(tools.ctx)
      // the pixels the frame holds: an earlier stage may have copied only an area of it (the detector's search area)
      const regions = regionsOf(envelope, within, maxRegions, budget)?.flatMap((r) => {
        const box = heldPart(envelope.frame, r.box)
        return box && box.width >= 2 && box.height >= 2 ? [{ ...r, box }] : []
      })
      if (regions && regions.length === 0) return PASS
      for (const r of regions ?? []) {
        if (r.objectId !== undefined) budget.read(r.objectId, envelope.frame.seq, r.box, envelope.frame)
        else if (r.untracked) budget.readUntracked(envelope.frame.seq, r.box, envelope.frame)
      }
      const frame = tools.own(envelope, regions?.map((r) => r.box))
      sentRegions.set(envelope, regions)
      return { job: { kind: 'frame', frame, ...(regions ? { regions: regions.map((r) => r.box) } : {}) } }
    },
    // among vehicles only, a frame with none detected in it is never read (the frames the detector skipped need no copy)
    readsPixels(envelope) {
      if (within !== 'vehicles') return true
      const seq = envelope.frame.seq
      return envelope.detections.some((d) => VEHICLE_LABELS.has(d.label)) || envelope.tracks.some((t) => t.lastSeenSeq === seq && VEHICLE_LABELS.has(t.label))
    },
    finish(readings: RegionReading[], envelope, ctx) {
      const regions = sentRegions.get(envelope)
      const frame = envelope.frame
      const withObjects = readings.map((r) => {
        const objectId = r.region === undefined ? undefined : regions?.[r.region]?.objectId
        return objectId === undefined ? r : { ...r, trackId: objectId }
      })
      for (const r of readings) envelope.detections.push({ box: r.box, label: 'plate', score: r.confidence, seq: frame.seq, ptsUs: frame.ptsUs })
      const snap = snapshots ? (r: PlateReading) => snapshotOf(frame, r) : undefined
      const voter = voterOf(ctx)
      const voted = voter.observe(frame.seq, frame.ptsUs, withObjects, snap, keepOpen(ctx, frame.seq))
      // the vehicle track carries its plate's vote so far: its object events (and its end) say it
      for (const r of withObjects) {
        const objectId = (r as { trackId?: string }).trackId
        const track = objectId === undefined ? undefined : envelope.tracks.find((t) => t.id === objectId)
        const plate = track ? voter.votedFor(track.id) ?? voted.find((p) => p.objectId === track.id) : undefined
        if (track && plate) track.attributes.plate = { value: plate.text, confidence: plate.confidence, source: 'plates' }
        if (objectId !== undefined && voter.agreeingFor(objectId) >= SETTLED_READS) budgetOf(ctx).settle(objectId)
      }
      emit(ctx, voted)
      return envelope
    },
    tick(frame: FrameRef, ctx: StageContext): void {
      const voter = voters.get(ctx.cameraId)
      if (voter && voter.openTracks > 0) emit(ctx, voter.observe(frame.seq, frame.ptsUs, [], undefined, keepOpen(ctx, frame.seq)))
    },
    flush(ctx: StageContext): void {
      const voter = voters.get(ctx.cameraId)
      voters.delete(ctx.cameraId)
      budgets.delete(ctx.cameraId)
      if (voter) emit(ctx, voter.flush())
    },
    async close() {
      voters.clear()
      budgets.clear()
      if (owned) await reader.close()
    },
  })
  return Object.assign(stage, { reader })
}

/**
 * The regions to read, largest first (at most `max`); undefined: the whole frame. Vehicle tracks
 * seen in this frame are read as their budget allows (a few good views each); so are vehicle
 * detections while no track is alive (no tracker, or before it confirms one).
 */
function regionsOf(envelope: Envelope, within: 'auto' | 'vehicles' | 'motion' | 'frame', max: number, budget: TrackReadBudget): Region[] | undefined {
  if (within === 'frame') return undefined
  if (within === 'vehicles' || within === 'auto') {
    const seq = envelope.frame.seq
    const vehicles = envelope.tracks.filter((t) => VEHICLE_LABELS.has(t.label))
    const seen = vehicles.filter((t) => t.lastSeenSeq === seq)
    // behind a motion gate, a vehicle is read while it moves (a parked car in the search area is not)
    const moving = <T extends { box: Rect }>(list: T[]) => (envelope.motion ? list.filter((t) => envelope.motion!.regions.some((r) => overlaps(r, t.box))) : list)
    // with vehicle tracks alive the tracker decides: a detection it did not take into a track this frame is not read on its own
    if (vehicles.length > 0) return budget.select(seq, vehicles.map((t) => t.id), moving(seen), envelope.frame).slice(0, max).map((t) => ({ box: t.box, objectId: t.id }))
    const detections = envelope.detections.filter((d) => VEHICLE_LABELS.has(d.label))
    if (detections.length > 0 || within === 'vehicles') return budget.selectUntracked(seq, moving(detections), envelope.frame).slice(0, max).map((d) => ({ box: d.box, untracked: true as const }))
  }
  if (!envelope.motion) return undefined
  return envelope.motion.regions.map((r) => ({ box: r })).sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height).slice(0, max)
}

/** Copies the area around a plate (about a car's front) from the frame: what the event's JPEG shows. */
function snapshotOf(frame: Frame, r: PlateReading): PlateSnapshot | undefined {
  const w = r.box.width * 3
  const h = Math.max(r.box.height * 5, w * 0.6)
  const region = heldPart(frame, { x: r.box.x + r.box.width / 2 - w / 2, y: r.box.y + r.box.height / 2 - h * 0.6, width: w, height: h })
  if (!region || region.width < 2 || region.height < 2) return undefined
  return { ...frameToImage(frame, region), region, seq: frame.seq, ptsUs: frame.ptsUs }
}

function toEvent(cameraId: string, p: VotedPlate, watchlists?: Watchlists): EventInit<PlateEvent> {
  const hits = watchlists?.match(p.text)
  return {
    type: 'plate',
    cameraId,
    seq: p.best.seq,
    ptsUs: p.best.ptsUs,
    text: p.text,
    confidence: p.confidence,
    format: p.format,
    country: p.country,
    charConfidences: p.charConfidences,
    box: p.best.reading.box,
    trackId: p.trackId,
    ...(p.objectId !== undefined ? { objectId: p.objectId } : {}),
    readings: p.readings,
    ...(hits && hits.length > 0 ? { watchlist: hits } : {}),
    // the one JPEG encoding of the track's best picture
    ...(p.snapshot ? { snapshot: { ...encodeJpeg(p.snapshot), region: p.snapshot.region, seq: p.snapshot.seq, ptsUs: p.snapshot.ptsUs } } : {}),
  }
}
