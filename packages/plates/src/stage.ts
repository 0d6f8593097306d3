import { checkBoolean, checkKnownKeys, checkObject, optionalNumber, type Frame, type FrameRef, type PlateEvent, type Rect, type Stage, type StageContext, frameToImage } from '@oko/core'
import type { PlateReading } from './engine.js'
import type { PlateReaderOptions } from './options.js'
import { PlateReader } from './reader.js'
import { DEFAULT_VOTING, PlateVoter, type PlateSnapshot, type VotedPlate, type VotingOptions } from './voting.js'
import { Watchlists, type WatchlistSpec } from './watchlist.js'

/** A region to read (a vehicle or motion box), with the vehicle track it belongs to when known. */
export interface PlateRegion {
  readonly box: Rect
  readonly trackId?: string
}

/**
 * What the stage takes: a frame, a frame with regions (vehicle boxes; an empty list skips the
 * frame), or what the motion stage passes on (its moving regions are read).
 */
export type PlateStageInput =
  | Frame
  | { readonly frame: Frame; readonly regions?: readonly (Rect | PlateRegion)[] }
  | { readonly frame: Frame; readonly motion: { readonly regions: readonly Rect[] } }

export interface PlateStageOptions {
  /** A reader to use (not closed by the stage), or options for one the stage creates and closes. */
  reader?: PlateReader | PlateReaderOptions
  watchlists?: WatchlistSpec[]
  voting?: Partial<VotingOptions>
  /** Attach the best frame's pixels around the plate to each event (default true). */
  snapshot?: boolean
  /** Read every n-th frame only (default 1). */
  everyNthFrame?: number
  /** Most regions read per frame (largest first, default 4). */
  maxRegions?: number
}

export interface PlateStage<I extends PlateStageInput = PlateStageInput> extends Stage<I, I>, AsyncDisposable {
  /** A frame that did not reach the stage (still, gated): ends the camera's tracks unseen for `voting.maxGapFrames`. */
  tick(frame: FrameRef, ctx: StageContext): void
  /** Ends the open tracks of a camera (end of stream) and emits their events. */
  flush(ctx: StageContext): void
}

/**
 * A pipeline stage that reads plates in frames (in the reader's worker threads), votes across
 * frames per plate track, and emits one `plate` event per track with the best reading, a
 * snapshot of the best frame and watchlist hits. Frames pass through unchanged.
 */
export async function plateStage<I extends PlateStageInput = PlateStageInput>(options: PlateStageOptions = {}): Promise<PlateStage<I>> {
  const o = checkObject('options', options)
  checkKnownKeys('options', o, ['reader', 'watchlists', 'voting', 'snapshot', 'everyNthFrame', 'maxRegions'])
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
  const watchlists = o.watchlists === undefined ? undefined : Watchlists.from(o.watchlists as WatchlistSpec[])
  const owned = !(o.reader instanceof PlateReader)
  const reader = o.reader instanceof PlateReader ? o.reader : await PlateReader.create(o.reader as PlateReaderOptions | undefined)
  const voters = new Map<string, PlateVoter>()
  let closed = false

  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    if (owned) await reader.close()
  }
  const emit = (ctx: StageContext, plates: VotedPlate[]) => {
    for (const p of plates) ctx.emit(toEvent(ctx.cameraId, p, watchlists))
  }

  return {
    name: 'plates',
    async process(input: I, ctx: StageContext): Promise<I> {
      const frame: Frame = 'planes' in input ? input : input.frame
      const voter = voters.get(ctx.cameraId) ?? new PlateVoter(ctx.cameraId, voting)
      voters.set(ctx.cameraId, voter)
      if (frame.seq % everyNth !== 0) return input
      const regions = 'planes' in input ? undefined : 'motion' in input ? input.motion.regions : input.regions
      const readings: (PlateReading & { trackId?: string })[] = []
      if (regions === undefined) {
        readings.push(...(await reader.read(frameToImage(frame))))
      } else {
        const boxes = regions.map((r) => ('box' in r ? r : { box: r }))
          .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)
          .slice(0, maxRegions)
        for (const region of boxes) {
          const image = frameToImage(frame, region.box)
          const found = await reader.read(image, { upscale: false }) // a region: read at 320-640 px
          const dx = Math.max(0, Math.floor(region.box.x))
          const dy = Math.max(0, Math.floor(region.box.y))
          for (const p of found) {
            readings.push({
              ...p,
              box: { ...p.box, x: p.box.x + dx, y: p.box.y + dy },
              corners: p.corners.map((c) => ({ x: c.x + dx, y: c.y + dy })) as PlateReading['corners'],
              ...(region.trackId !== undefined ? { trackId: region.trackId } : {}),
            })
          }
        }
      }
      const snap = snapshots ? (r: PlateReading) => snapshotOf(frame, r) : undefined
      emit(ctx, voter.observe(frame.seq, frame.ptsUs, readings, snap))
      return input
    },
    tick(frame: FrameRef, ctx: StageContext): void {
      const voter = voters.get(ctx.cameraId)
      if (voter && voter.openTracks > 0) emit(ctx, voter.observe(frame.seq, frame.ptsUs, []))
    },
    flush(ctx: StageContext): void {
      const voter = voters.get(ctx.cameraId)
      if (voter) emit(ctx, voter.flush())
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}

/** Copies the area around a plate (about a car's front) from a borrowed frame. */
function snapshotOf(frame: Frame, r: PlateReading): PlateSnapshot | undefined {
  const w = r.box.width * 3
  const h = Math.max(r.box.height * 5, w * 0.6)
  const x = Math.max(0, r.box.x + r.box.width / 2 - w / 2)
  const y = Math.max(0, r.box.y + r.box.height / 2 - h * 0.6)
  const region = { x: Math.floor(x), y: Math.floor(y), width: Math.ceil(Math.min(w, frame.width - x)), height: Math.ceil(Math.min(h, frame.height - y)) }
  if (region.width < 2 || region.height < 2) return undefined
  const image = frameToImage(frame, region)
  return { ...image, region, seq: frame.seq, ptsUs: frame.ptsUs }
}

function toEvent(cameraId: string, p: VotedPlate, watchlists?: Watchlists): PlateEvent {
  const hits = watchlists?.match(p.text)
  return {
    type: 'plate',
    cameraId,
    seq: p.best.seq,
    ptsUs: p.best.ptsUs,
    timeMs: Date.now(),
    text: p.text,
    confidence: p.confidence,
    format: p.format,
    country: p.country,
    charConfidences: p.charConfidences,
    box: p.best.reading.box,
    trackId: p.trackId,
    readings: p.readings,
    ...(hits && hits.length > 0 ? { watchlist: hits } : {}),
    ...(p.snapshot ? { snapshot: { data: p.snapshot.data, width: p.snapshot.width, height: p.snapshot.height, format: p.snapshot.format, region: p.snapshot.region } } : {}),
  }
}
