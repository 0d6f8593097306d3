import type { FaceEvent, Frame, Rect, Stage, StageContext } from '@oko/core'
import { InvalidOptionError, OkoError, checkBoolean, checkKnownKeys, checkObject, iou, optionalNumber, type RawImage, type RgbImage, checkRawImage, frameToRgb } from '@oko/core'
import type { AnalyzedFace, FaceAnalysis } from './analyzer.js'
import { searchAreas, shiftFace, suppressFaces } from './detector.js'
import type { FacePoolOptions } from './pool.js'
import { FacePool } from './pool.js'
import { Watchlist } from './watchlist.js'

/** A search box (motion region, person box) in frame pixels. */
export type FaceRegion = Rect | { readonly box: Rect }

/** A frame alone (whole frame searched), with regions (only they are searched; an empty list skips the frame), or a motion stage's output. */
export type FaceStageInput =
  | Frame
  | { readonly frame: Frame; readonly regions?: readonly FaceRegion[] }
  | { readonly frame: Frame; readonly motion: { readonly regions: readonly Rect[] } }

/** A face the stage saw in this frame (for redaction downstream). No descriptor, no pixels. */
export interface TrackedFace {
  readonly box: Rect
  readonly trackId: string
}

export interface FaceFrame {
  readonly frame: Frame
  readonly faces: readonly TrackedFace[]
}

export interface CropRequest {
  readonly cameraId: string
  readonly seq: number
  readonly ptsUs: number
  /** Area wanted, in pixels of the frame the stage got (the detect stream). */
  readonly rect: Rect
  readonly frameWidth: number
  readonly frameHeight: number
}

/** A higher-resolution view of `rect` (e.g. from the camera's main stream), owned by the stage once returned. */
export interface HighResCrop {
  readonly image: RawImage
  /** The detect-stream area the image covers (usually the requested rect). */
  readonly rect: Rect
}

/** Gives a high-resolution crop for an area, or undefined when none is available (the detect frame is used). */
export type CropProvider = (request: CropRequest) => Promise<HighResCrop | undefined>

export interface FaceStageOptions {
  /** A FaceAnalyzer/FacePool to use (not closed by the stage), or options for a FacePool the stage creates and closes. */
  analysis?: FaceAnalysis | FacePoolOptions
  watchlist?: Watchlist
  /** Attach the track's best face crop to events (default true). Personal data: mind where events go. */
  snapshots?: boolean
  /** Asked for areas smaller than `highResBelowPx` (their shorter side) when the detect stream is too small. */
  cropProvider?: CropProvider
  /** Default 240. */
  highResBelowPx?: number
  /** A track ends when its face is not seen for this long (stream time). Default 2000. */
  trackTimeoutMs?: number
  /** Analyse every n-th frame only (default 1). */
  everyNthFrame?: number
}

/** Checks faceStage options synchronously (for config files); throws InvalidOptionError naming `path`. */
export function checkFaceStageOptions(options: unknown, path = 'options'): { snapshots: boolean; highResBelowPx: number; timeoutUs: number; everyNth: number } {
  const o = checkObject(path, options)
  checkKnownKeys(path, o, ['analysis', 'watchlist', 'snapshots', 'cropProvider', 'highResBelowPx', 'trackTimeoutMs', 'everyNthFrame'])
  if (o.cropProvider !== undefined && typeof o.cropProvider !== 'function') {
    throw new InvalidOptionError(`${path}.cropProvider`, 'expected a function (request) => Promise<{ image, rect } | undefined>')
  }
  if (o.watchlist !== undefined && !(o.watchlist instanceof Watchlist)) {
    throw new InvalidOptionError(`${path}.watchlist`, 'expected a Watchlist (await Watchlist.load(path))')
  }
  return {
    snapshots: checkBoolean(`${path}.snapshots`, o.snapshots, true),
    highResBelowPx: optionalNumber(`${path}.highResBelowPx`, o.highResBelowPx, 240, { min: 0 }),
    timeoutUs: optionalNumber(`${path}.trackTimeoutMs`, o.trackTimeoutMs, 2000, { min: 0 }) * 1000,
    everyNth: optionalNumber(`${path}.everyNthFrame`, o.everyNthFrame, 1, { min: 1, integer: true }),
  }
}

interface Track {
  readonly id: string
  box: Rect
  lastUs: number
  bestScore: number
  snapshot?: RgbImage
  quality?: FaceEvent['quality']
  match?: { identity: string; distance: number }
  nearest?: number
  described: boolean
}

export interface FaceStage extends Stage<FaceStageInput, FaceFrame> {
  /** Which runtime analyses faces (backend and why). */
  readonly backendDescription: string
  /** Ends the tracks and closes the pool the stage created (not one it was given). Idempotent. */
  close(): Promise<void>
}

/**
 * Finds faces in frames (only inside motion regions or person boxes when given), tracks them by
 * overlap, matches descriptors against the watchlist, and emits `face` events: when a track
 * starts, when its first usable face is described, and when its best match improves. Events carry
 * the best match, its distance and the track's best face crop; never descriptors.
 */
export async function faceStage(options: FaceStageOptions = {}): Promise<FaceStage> {
  const { snapshots, highResBelowPx, timeoutUs, everyNth } = checkFaceStageOptions(options)
  const o = options as Record<string, unknown>
  const isAnalysis = (v: unknown): v is FaceAnalysis => typeof v === 'object' && v !== null && typeof (v as FaceAnalysis).analyze === 'function'
  const owned = !isAnalysis(o.analysis)
  const analysis: FaceAnalysis = isAnalysis(o.analysis) ? o.analysis : await FacePool.create(o.analysis as FacePoolOptions | undefined)
  const watchlist = options.watchlist
  if (watchlist && watchlist.modelId !== analysis.modelId) {
    if (owned) await analysis.close()
    throw new InvalidOptionError('options.watchlist', `its descriptors are from "${watchlist.modelId}", the analyzer makes "${analysis.modelId}"; re-enrol`)
  }
  const cameras = new Map<string, { tracks: Track[]; next: number }>()
  let closed = false

  const process = async (input: FaceStageInput, ctx: StageContext): Promise<FaceFrame | undefined> => {
    if (closed) throw new OkoError('ERR_CLOSED', 'face stage is closed')
    const frame = 'planes' in input ? input : input.frame
    const regions = 'planes' in input ? undefined : 'motion' in input ? input.motion.regions : input.regions?.map((r) => ('box' in r ? r.box : r))
    if (frame.seq % everyNth !== 0 || (regions && regions.length === 0)) return { frame, faces: [] }
    const areas = regions ? searchAreas(regions, frame.width, frame.height) : [{ x: 0, y: 0, width: frame.width, height: frame.height }]
    // Copy every area now: the frame is borrowed and the work below is asynchronous.
    const jobs = areas.map((rect) => {
      const small = options.cropProvider !== undefined && Math.min(rect.width, rect.height) < highResBelowPx
      return { rect, rgb: frameToRgb(frame, rect), small }
    })
    // Areas run in parallel: a FacePool spreads them over its threads.
    const perArea = await Promise.all(jobs.map(async (job) => {
      let image: RawImage = job.rgb
      let rect = job.rect
      if (job.small) {
        const crop = await options.cropProvider!({ cameraId: ctx.cameraId, seq: frame.seq, ptsUs: frame.ptsUs, rect, frameWidth: frame.width, frameHeight: frame.height })
        if (crop) { image = checkRawImage('cropProvider result image', crop.image); rect = crop.rect }
      }
      const faces = await analysis.analyze(image, { snapshots })
      const sx = rect.width / image.width, sy = rect.height / image.height
      return faces.map((f) => (sx === 1 && sy === 1 ? shiftFace(f, rect.x, rect.y) : scaleFace(f, sx, sy, rect)))
    }))
    const found = regions ? suppressFaces(perArea.flat()) : perArea.flat()
    const cam = cameras.get(ctx.cameraId) ?? { tracks: [], next: 1 }
    cameras.set(ctx.cameraId, cam)
    cam.tracks = cam.tracks.filter((t) => frame.ptsUs - t.lastUs <= timeoutUs)
    const out: TrackedFace[] = []
    for (const face of found.sort((a, b) => b.confidence - a.confidence)) {
      let track = cam.tracks.filter((t) => t.lastUs !== frame.ptsUs).sort((a, b) => iou(b.box, face.box) - iou(a.box, face.box))[0]
      if (track && iou(track.box, face.box) < 0.3) track = undefined
      const isNew = !track
      track ??= { id: `${ctx.cameraId}:face-${cam.next++}`, box: face.box, lastUs: frame.ptsUs, bestScore: -1, described: false }
      if (isNew) cam.tracks.push(track)
      track.box = face.box
      track.lastUs = frame.ptsUs
      let changed = isNew
      // The best face is the best described one (any face until one is described).
      const firstDescribed = face.descriptor !== undefined && !track.described
      if (firstDescribed || (face.quality.score > track.bestScore && (face.descriptor || !track.described))) {
        track.bestScore = face.quality.score
        const q = face.quality
        track.quality = { sizePx: q.sizePx, sharpness: q.sharpness, yawDeg: q.yawDeg, pitchDeg: q.pitchDeg, score: q.score }
        if (face.snapshot) track.snapshot = face.snapshot
      }
      if (face.descriptor) {
        if (!track.described) { track.described = true; changed = true }
        if (watchlist && watchlist.size > 0) {
          const m = watchlist.match(face.descriptor)
          if (track.nearest === undefined || m.distance < track.nearest) track.nearest = m.distance
          if (m.identity && (!track.match || m.distance < track.match.distance - 0.02 || m.identity !== track.match.identity && m.distance < track.match.distance)) {
            track.match = { identity: m.identity, distance: m.distance }
            changed = true
          }
        }
      }
      out.push({ box: face.box, trackId: track.id })
      if (changed) ctx.emit(toEvent(ctx.cameraId, frame, face, track))
    }
    return { frame, faces: out }
  }

  return {
    name: 'faces',
    backendDescription: (analysis as { backendDescription?: string }).backendDescription ?? 'unknown',
    process,
    async close() {
      if (closed) return
      closed = true
      cameras.clear()
      if (owned) await analysis.close()
    },
  }
}

function scaleFace(f: AnalyzedFace, sx: number, sy: number, rect: Rect): AnalyzedFace {
  return {
    ...f,
    box: { x: rect.x + f.box.x * sx, y: rect.y + f.box.y * sy, width: f.box.width * sx, height: f.box.height * sy },
    landmarks: f.landmarks.map((p) => ({ x: rect.x + p.x * sx, y: rect.y + p.y * sy })),
  }
}

function toEvent(cameraId: string, frame: Frame, face: AnalyzedFace, track: Track): FaceEvent {
  return {
    type: 'face', cameraId, seq: frame.seq, ptsUs: frame.ptsUs, timeMs: Date.now(),
    box: face.box, confidence: face.confidence, trackId: track.id,
    ...(track.match ? { match: { ...track.match } } : {}),
    ...(track.nearest !== undefined ? { nearestDistance: track.nearest } : {}),
    ...(face.skip && !track.described ? { skipped: face.skip } : {}),
    ...(track.quality ? { quality: track.quality } : {}),
    ...(track.snapshot ? { snapshot: track.snapshot } : {}),
  }
}
