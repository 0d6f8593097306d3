import type { Envelope, EventInit, Frame, Rect, StageContext } from '@oko/core'
import { InvalidOptionError, OkoError, checkBoolean, checkKnownKeys, checkObject, checkOneOf, heldPart, iou, optionalNumber, type RawImage, type RgbImage, checkRawImage } from '@oko/core'
import { encodeJpeg } from '@oko/imaging/jpeg'
import { PASS, workerStage, type TaskRunner, type WorkerStage } from '@oko/pipeline'
import type { AnalyzedFace, FaceAnalysis } from './analyzer.js'
import { searchAreas, shiftFace, suppressFaces } from './detector.js'
import type { FaceEvent } from './events.js'
import { runFaceJob, type FaceJob, type FaceReply } from './jobs.js'
import type { FacePoolOptions } from './pool.js'
import { FacePool } from './pool.js'
import { Watchlist } from './watchlist.js'

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
  /** A FacePool or FaceAnalyzer to use (not closed by the stage), or options for a FacePool the stage creates and closes. */
  analysis?: FaceAnalysis | FacePoolOptions
  watchlist?: Watchlist
  /** Attach a JPEG of the track's best face to events (default true). Personal data: mind where events go. */
  snapshots?: boolean
  /** Asked for areas smaller than `highResBelowPx` (their shorter side) when the detect stream is too small. */
  cropProvider?: CropProvider
  /** Default 240. */
  highResBelowPx?: number
  /** A track ends when its face is not seen for this long (stream time). Default 2000. */
  trackTimeoutMs?: number
  /** Analyse every n-th frame only (default 1). */
  everyNthFrame?: number
  /**
   * Where faces are looked for: `people` (the upper half of each person track seen in the frame,
   * or of each person detection, of the envelope), `motion` (what moved), `frame` (the whole
   * picture), or `auto` (default): people where the envelope has any, else what moved, else the
   * whole frame; once a camera's envelopes carried a person track (a detector and tracker before
   * this stage), only its people are searched (none on frames the detector skipped or without people). A face inside a person track carries the track's id (`objectId`).
   */
  within?: 'auto' | 'people' | 'motion' | 'frame'
}

/** Checks faceStage options synchronously (for config files); throws InvalidOptionError naming `path`. */
export function checkFaceStageOptions(options: unknown, path = 'options'): { snapshots: boolean; highResBelowPx: number; timeoutUs: number; everyNth: number; within: 'auto' | 'people' | 'motion' | 'frame' } {
  const o = checkObject(path, options)
  checkKnownKeys(path, o, ['analysis', 'watchlist', 'snapshots', 'cropProvider', 'highResBelowPx', 'trackTimeoutMs', 'everyNthFrame', 'within'])
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
    within: checkOneOf(`${path}.within`, o.within, ['auto', 'people', 'motion', 'frame'] as const, 'auto'),
  }
}

interface Track {
  readonly id: string
  box: Rect
  lastUs: number
  bestScore: number
  snapshot?: RgbImage
  /** The snapshot as JPEG, encoded once (when an event first carries it). */
  jpeg?: { jpeg: Uint8Array; width: number; height: number }
  quality?: FaceEvent['quality']
  match?: { identity: string; distance: number }
  nearest?: number
  described: boolean
  objectId?: string
}

/** The face stage: a worker stage on the pool's threads, tracking each camera's faces on the cameras' thread. */
export interface FaceStage extends WorkerStage {
  /** Which runtime analyses faces (backend and why). */
  readonly backendDescription: string
  readonly modelId: string
}

/**
 * Finds faces in the envelope's people (or what moved), on the analysis' worker threads: the
 * areas are materialised once and converted there. Each camera's faces are tracked by overlap (in
 * frame order), matched against the watchlist, and `face` events come when a track starts, when
 * its first usable face is described and when its best match improves. Events carry the best
 * match, its distance and a JPEG of the track's best face; never descriptors. Each face is added
 * to the envelope's detections (label `face`) for stages after it (redaction).
 */
export async function faceStage(options: FaceStageOptions = {}): Promise<FaceStage> {
  const { snapshots, highResBelowPx, timeoutUs, everyNth, within } = checkFaceStageOptions(options)
  const o = options as Record<string, unknown>
  const isAnalysis = (v: unknown): v is FaceAnalysis => typeof v === 'object' && v !== null && typeof (v as FaceAnalysis).analyze === 'function'
  const owned = !isAnalysis(o.analysis)
  const analysis: FaceAnalysis = isAnalysis(o.analysis) ? o.analysis : await FacePool.create(o.analysis as FacePoolOptions | undefined)
  const watchlist = options.watchlist
  if (watchlist && watchlist.modelId !== analysis.modelId) {
    if (owned) await analysis.close()
    throw new InvalidOptionError('options.watchlist', `its descriptors are from "${watchlist.modelId}", the analyzer makes "${analysis.modelId}"; re-enrol`)
  }
  const pool = runnerOf(analysis)
  const cropProvider = options.cropProvider
  const cameras = new Map<string, Track[]>()
  // the areas each job was sent with: the tracker moves the envelope's tracks on (in place) with later frames while the job runs
  const sent = new WeakMap<Envelope, { areas: Rect[]; people: PersonRegion[] } | undefined>()
  // cameras whose envelopes have carried person tracks: searched only inside people from then on
  const trackingPeople = new Set<string>()

  /** Areas to search (frame pixels), and the person regions (tracks or detections) faces in them belong to. */
  const areasOf = (envelope: Envelope, cameraId: string): { areas: Rect[]; people: PersonRegion[] } | undefined => {
    const frame = envelope.frame
    const people = within === 'people' || within === 'auto' ? peopleOf(envelope, trackingPeople.has(cameraId)) : undefined
    if (people && envelope.tracks.some((t) => t.label === 'person')) trackingPeople.add(cameraId)
    let regions: Rect[] | undefined = people ? people.map((p) => p.head) : within === 'people' ? [] : undefined
    if (!people && within !== 'people' && within !== 'frame' && envelope.motion) regions = [...envelope.motion.regions]
    if (!regions) return undefined
    // searched a little wider than each region (a moving head); an earlier stage may have kept less of the frame
    const areas: Rect[] = []
    for (const area of searchAreas(regions, frame.width, frame.height)) {
      const held = frame.crops ? heldPart(frame, area) : area
      if (held && held.width >= 8 && held.height >= 8) areas.push(held)
    }
    return { areas, people: people ?? [] }
  }

  const stage = workerStage<WorkerOf>({
    name: 'faces',
    pool,
    maxInFlightPerCamera: 1,
    prepare(envelope, tools) {
      if (envelope.frame.seq % everyNth !== 0) return PASS
      const found = areasOf(envelope, tools.ctx.cameraId)
      if (found && found.areas.length === 0) return PASS
      sent.set(envelope, found)
      const areas = found?.areas ?? [{ x: 0, y: 0, width: envelope.frame.width, height: envelope.frame.height }]
      const frame = tools.own(envelope, areas)
      return { job: { kind: 'frame', frame, areas, snapshots } }
    },
    async finish(reply, envelope, ctx) {
      if (reply.kind !== 'faces') throw new OkoError('ERR_MODEL', 'faces worker gave no faces')
      const frame = envelope.frame
      const found = sent.get(envelope)
      const areas = found?.areas ?? [{ x: 0, y: 0, width: frame.width, height: frame.height }]
      const perArea = await Promise.all(reply.faces.map(async (faces, i) => {
        const area = areas[i]!
        // small areas: a sharper view from the camera's main stream, where there is one
        if (!cropProvider || Math.min(area.width, area.height) >= highResBelowPx) return faces
        const crop = await cropProvider({ cameraId: ctx.cameraId, seq: frame.seq, ptsUs: frame.ptsUs, rect: area, frameWidth: frame.width, frameHeight: frame.height })
        if (!crop) return faces
        const image = checkRawImage('cropProvider result image', crop.image)
        const again = await analysis.analyze(image, { snapshots })
        const sx = crop.rect.width / image.width, sy = crop.rect.height / image.height
        return again.map((f) => (sx === 1 && sy === 1 ? shiftFace(f, crop.rect.x, crop.rect.y) : scaleFace(f, sx, sy, crop.rect)))
      }))
      const objectOf = (face: AnalyzedFace) => personOf(face.box, found?.people ?? [])
      const faces = found ? suppressFaces(perArea.flat()) : perArea.flat()
      for (const f of faces) envelope.detections.push({ box: f.box, label: 'face', score: f.confidence, seq: frame.seq, ptsUs: frame.ptsUs })
      track(ctx, frame, faces, objectOf)
      return envelope
    },
    flush(ctx) {
      cameras.delete(ctx.cameraId)
      trackingPeople.delete(ctx.cameraId)
    },
    async close() {
      cameras.clear()
      trackingPeople.clear()
      if (owned) await analysis.close()
    },
  })

  const track = (ctx: StageContext, frame: Frame, found: AnalyzedFace[], objectOf: (f: AnalyzedFace) => string | undefined) => {
    let tracks = cameras.get(ctx.cameraId) ?? []
    tracks = tracks.filter((t) => frame.ptsUs - t.lastUs <= timeoutUs)
    cameras.set(ctx.cameraId, tracks)
    for (const face of found.sort((a, b) => b.confidence - a.confidence)) {
      const objectId = objectOf(face)
      const free = tracks.filter((k) => k.lastUs !== frame.ptsUs)
      // a face in a person track continues that person's face track; else the face track it overlaps most (of no other person)
      let t = objectId === undefined ? undefined : free.find((k) => k.objectId === objectId)
      if (!t) {
        t = free.filter((k) => k.objectId === undefined || objectId === undefined).sort((a, b) => iou(b.box, face.box) - iou(a.box, face.box))[0]
        if (t && iou(t.box, face.box) < 0.3) t = undefined
      }
      const isNew = !t
      if (!t) {
        t = { id: ctx.newId(), box: face.box, lastUs: frame.ptsUs, bestScore: -1, described: false }
        tracks.push(t)
      }
      t.box = face.box
      t.lastUs = frame.ptsUs
      let changed = isNew
      // the person's track is confirmed after its face was first seen: say whose face it is
      if (objectId !== undefined && t.objectId === undefined) { t.objectId = objectId; changed = true }
      // The best face is the best described one (any face until one is described).
      const firstDescribed = face.descriptor !== undefined && !t.described
      if (firstDescribed || (face.quality.score > t.bestScore && (face.descriptor || !t.described))) {
        t.bestScore = face.quality.score
        const q = face.quality
        t.quality = { sizePx: q.sizePx, sharpness: q.sharpness, yawDeg: q.yawDeg, pitchDeg: q.pitchDeg, score: q.score }
        if (face.snapshot) {
          t.snapshot = face.snapshot
          delete t.jpeg
        }
      }
      if (face.descriptor) {
        if (!t.described) { t.described = true; changed = true }
        if (watchlist && watchlist.size > 0) {
          const m = watchlist.match(face.descriptor)
          if (t.nearest === undefined || m.distance < t.nearest) t.nearest = m.distance
          if (m.identity && (!t.match || m.distance < t.match.distance - 0.02 || m.identity !== t.match.identity && m.distance < t.match.distance)) {
            t.match = { identity: m.identity, distance: m.distance }
            changed = true
          }
        }
      }
      if (changed) ctx.emit(toEvent(ctx.cameraId, frame, face, t))
    }
  }

  return Object.assign(stage, {
    backendDescription: (analysis as { backendDescription?: string }).backendDescription ?? 'unknown',
    modelId: analysis.modelId,
  })
}

type WorkerOf = import('./worker.js').FaceWorker

/** A person a face may belong to: its box, the upper part searched for its face, its track id (if tracked). */
interface PersonRegion {
  readonly box: Rect
  readonly head: Rect
  readonly objectId?: string
}

/** Share of a person box (from its top) searched for the face: a standing person's head is in its top fifth; a half covers people bending, sitting, or cut off at the bottom. */
const HEAD_SHARE = 0.5

/**
 * The people of the envelope, or undefined when it has none and `tracksPeople` is false (no
 * person detector before the stage, or nobody found yet). A camera that tracks people: the person
 * tracks seen in this frame (none on frames the detector skipped: nothing to search then); else
 * the person detections.
 */
function peopleOf(envelope: Envelope, tracksPeople: boolean): PersonRegion[] | undefined {
  const head = (box: Rect): Rect => ({ x: box.x, y: box.y, width: box.width, height: box.height * HEAD_SHARE })
  const tracked = envelope.tracks.filter((t) => t.label === 'person')
  if (tracked.length > 0) {
    // seen in this frame (or, when the tracker has already moved on to a later frame, then: the box is that frame's)
    return tracked.filter((t) => t.lastSeenSeq >= envelope.frame.seq).map((t) => ({ box: { ...t.box }, head: head(t.box), objectId: t.id }))
  }
  const detected = envelope.detections.filter((d) => d.label === 'person')
  if (detected.length === 0) return tracksPeople ? [] : undefined
  return detected.map((d) => ({ box: d.box, head: head(d.box), ...(d.trackId !== undefined ? { objectId: d.trackId } : {}) }))
}

/** The track id of the person a face belongs to: the tracked person whose searched upper part holds the face's centre (the smallest such person). */
function personOf(face: Rect, people: readonly PersonRegion[]): string | undefined {
  const cx = face.x + face.width / 2, cy = face.y + face.height / 2
  let best: PersonRegion | undefined
  for (const p of people) {
    const h = p.head, mx = h.width * 0.25, my = h.height * 0.25
    if (p.objectId === undefined || cx < h.x - mx || cx > h.x + h.width + mx || cy < h.y - my || cy > h.y + h.height + my) continue
    if (!best || p.box.width * p.box.height < best.box.width * best.box.height) best = p
  }
  return best?.objectId
}

/** The pool's worker threads, or the analyzer on this thread (one job at a time). */
function runnerOf(analysis: FaceAnalysis): TaskRunner<FaceJob, FaceReply> {
  if (analysis instanceof FacePool) return analysis.pool
  let busy = false
  const waiters: (() => void)[] = []
  return {
    name: 'faces',
    get needsDrain() { return busy },
    whenFree: () => (busy ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve()),
    tryRun(job) {
      if (busy) return undefined
      busy = true
      return runFaceJob(analysis, job).finally(() => {
        busy = false
        for (const w of waiters.splice(0)) w()
      })
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

function toEvent(cameraId: string, frame: Frame, face: AnalyzedFace, track: Track): EventInit<FaceEvent> {
  return {
    type: 'face', cameraId, seq: frame.seq, ptsUs: frame.ptsUs,
    box: face.box, confidence: face.confidence, trackId: track.id,
    ...(track.objectId !== undefined ? { objectId: track.objectId } : {}),
    ...(track.match ? { match: { ...track.match } } : {}),
    ...(track.nearest !== undefined ? { nearestDistance: track.nearest } : {}),
    ...(face.skip && !track.described ? { skipped: face.skip } : {}),
    ...(track.quality ? { quality: track.quality } : {}),
    // the track's best face so far, encoded once for this event
    ...(track.snapshot ? { snapshot: { ...(track.jpeg ??= encodeJpeg(track.snapshot)), region: track.box, seq: frame.seq, ptsUs: frame.ptsUs } } : {}),
  }
}
