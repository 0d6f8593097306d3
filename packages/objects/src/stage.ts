import { checkKnownKeys, checkObject, checkOneOf, heldPart, optionalNumber, type Envelope, type Rect, type StageContext } from '@oko/core'
import { PASS, workerStage, type WorkerStage } from '@oko/pipeline'
import type { DetectorOptions } from './options.js'
import { ObjectDetectorPool } from './pool.js'
import { QuietPlaces } from './places.js'
import { checkDetail, planSearches } from './search.js'
import type { ObjectReply, ObjectWorker } from './worker.js'

export interface ObjectStageOptions {
  /** A detector pool to use (not closed by the stage), or options for one the stage creates and closes. */
  readonly detector?: ObjectDetectorPool | DetectorOptions
  /** Most detector runs per second per camera (frames in between pass on without detections; the tracker predicts through them). Default 5. */
  readonly fps?: number
  /**
   * Most detector runs per second at a place where things move but the last IDLE_AFTER_RUNS runs
   * there found nothing (leaves, shadows, a door edge, a car too far to see): default half of
   * `fps`, at most `fps`. What moves elsewhere (something new) is searched at `fps` meanwhile.
   */
  readonly idleFps?: number
  /**
   * Where objects are looked for: `motion` (one search area around what moved), `frame` (the
   * whole picture), or `auto` (default): around what moved when that is less than half the frame,
   * else the whole frame; the whole frame when there is no motion gate.
   */
  readonly within?: 'auto' | 'motion' | 'frame'
  /**
   * How finely a search area is read (CenterNet), 0.5 to 4: at most this many times the input
   * pixels per frame pixel the whole frame gets at the largest input (default 1.25). The area is
   * then run at the smallest input that holds it (160², 224², 320² or 512²): higher finds smaller,
   * farther objects and costs more per run; lower costs less.
   */
  readonly detail?: number
}

/** The object stage: a worker stage on the detector's threads. */
export interface ObjectStage extends WorkerStage {
  readonly detector: ObjectDetectorPool
}

export const OBJECT_STAGE_KEYS = ['detector', 'fps', 'idleFps', 'within', 'detail']

/**
 * Detects vehicles and people on the detector pool's worker threads, behind the motion gate:
 * frames the gate stopped never reach it, and of the others at most `fps` a second per camera are
 * searched (places where the last searches found nothing: at `idleFps`, see QuietPlaces). Each search is
 * one run of the model per square: around what moved and where the last run found moving
 * objects, on the smallest input that reads it at `detail` (movers far apart in squares of their
 * own where that costs less; see planSearches), or on the whole frame when most of it moved. The
 * detections (box in frame pixels, class name, score, the frame's seq and pts) are added to the
 * envelope for the stages after it (the tracker, plates inside vehicles, faces inside people).
 */
export async function objectStage(options: ObjectStageOptions = {}): Promise<ObjectStage> {
  const o = checkObject('options', options)
  checkKnownKeys('options', o, OBJECT_STAGE_KEYS)
  const fps = optionalNumber('options.fps', o.fps, 5, { min: 0, exclusiveMin: true, max: 1000 })
  const idleFps = Math.min(fps, optionalNumber('options.idleFps', o.idleFps, fps / 2, { min: 0, exclusiveMin: true, max: 1000 }))
  const within = checkOneOf('options.within', o.within, ['auto', 'motion', 'frame'] as const, 'auto')
  const detail = checkDetail('options.detail', o.detail)
  const owned = !(o.detector instanceof ObjectDetectorPool)
  const detector = o.detector instanceof ObjectDetectorPool ? o.detector : await ObjectDetectorPool.create(o.detector as DetectorOptions | undefined)
  // per camera: when the detector last ran (µs); a frame is due one interval later, less a tenth for jittery clocks
  const lastRunUs = new Map<string, number>()
  // per camera: the boxes the last run found centred where something moved (searched again with what moves now)
  const lastMoving = new Map<string, Rect[]>()
  const intervalUs = 1e6 / fps
  const idleIntervalUs = 1e6 / idleFps
  // per camera: the places where things moved and what the runs there found (places that held nothing rest)
  const places = new Map<string, QuietPlaces>()
  const placesOf = (cameraId: string) => places.get(cameraId) ?? places.set(cameraId, new QuietPlaces(idleIntervalUs)).get(cameraId)!
  // the regions each job searched (finish tells their places what it found)
  const searchedBy = new WeakMap<Envelope, readonly Rect[]>()

  const stage = workerStage<ObjectWorker>({
    name: 'objects',
    pool: detector.pool,
    prepare(envelope, tools) {
      const { cameraId } = tools.ctx
      const pts = envelope.frame.ptsUs
      const last = lastRunUs.get(cameraId)
      const sinceUs = last === undefined || pts < last ? Infinity : pts - last
      // skipped frames wait behind the camera's running job (the pipeline keeps frame order): the tracker predicts through them
      if (sinceUs < intervalUs * 0.9) return PASS
      // places where the last runs found nothing rest (an entering car, cut off at first, is found within those runs); the others are searched
      const regions = envelope.motion?.regions ?? []
      const moving = placesOf(cameraId).toSearch(regions, pts)
      if (regions.length > 0 && moving.length === 0) return PASS
      lastRunUs.set(cameraId, pts)
      searchedBy.set(envelope, moving)
      const sizes = detector.sizes
      if (sizes) {
        const { width, height } = envelope.frame
        const expected = followMotion(lastMoving.get(cameraId) ?? [], moving)
        const plans = planSearches({ frame: { width, height }, moving, expected, sizes, detail, within })
        const whole = plans.some((p) => p.area.width === width && p.area.height === height)
        return { job: { kind: 'search', frame: tools.own(envelope, whole ? undefined : plans.map((p) => p.area)), plans } }
      }
      const area = searchArea(envelope, within, detector.inputSize, moving)
      const frame = tools.own(envelope, area ? [area] : undefined)
      return { job: { kind: 'frame', frame, ...(area ? { regions: [area] } : {}) } }
    },
    finish(reply: ObjectReply, envelope: Envelope, ctx: StageContext) {
      if (reply.kind !== 'detections') return envelope
      const { seq, ptsUs } = envelope.frame
      const moved = envelope.motion?.regions ?? []
      // a box centred in what moved is a moving object (a parked car the motion only touches is not)
      const found = reply.detections.filter((d) => moved.some((r) => contains(r, d.x + d.width / 2, d.y + d.height / 2))).map(({ x, y, width, height }) => ({ x, y, width, height }))
      lastMoving.set(ctx.cameraId, found)
      const searched = searchedBy.get(envelope)
      if (searched) placesOf(ctx.cameraId).searched(searched, reply.detections.map((d) => ({ x: d.x + d.width / 2, y: d.y + d.height / 2 })))
      for (const d of reply.detections) {
        const found = { x: d.x, y: d.y, width: d.width, height: d.height }
        // within the pixels searched (and copied for the stages after it): a box the model drew past the search area's edge is cut at it
        const box = envelope.frame.crops ? heldPart(envelope.frame, found) ?? found : found
        envelope.detections.push({ box, label: detector.label(d.classId), score: d.score, seq, ptsUs })
      }
      return envelope
    },
    flush(ctx: StageContext) {
      lastRunUs.delete(ctx.cameraId)
      lastMoving.delete(ctx.cameraId)
      places.delete(ctx.cameraId)
    },
    async close() {
      lastRunUs.clear()
      lastMoving.clear()
      places.clear()
      if (owned) await detector.close()
    },
  })
  return Object.assign(stage, { detector })
}

/**
 * The last run's moving boxes where they are now: a box that overlaps what moves now (a region
 * at most twice its size each way; the one it overlaps most) is centred on that region, it moved
 * with it. The last run is one or
 * more runs old (its reply comes later): where the car was then and where it is now, both in one
 * square, made it larger than the car (the yard's passing car: 224² instead of 160²). A box
 * nothing moves around (a car that stopped) stays where it was.
 */
export function followMotion(boxes: readonly Rect[], moving: readonly Rect[]): Rect[] {
  return boxes.map((b) => {
    let best: Rect | undefined
    let bestArea = 0
    for (const r of moving) {
      const w = Math.min(b.x + b.width, r.x + r.width) - Math.max(b.x, r.x)
      const h = Math.min(b.y + b.height, r.y + r.height) - Math.max(b.y, r.y)
      if (w > 0 && h > 0 && w * h > bestArea && r.width <= 2 * b.width && r.height <= 2 * b.height) { best = r; bestArea = w * h }
    }
    return best ? { ...b, x: best.x + best.width / 2 - b.width / 2, y: best.y + best.height / 2 - b.height / 2 } : b
  })
}

function contains(r: Rect, x: number, y: number): boolean {
  return x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height
}

/**
 * For a detector whose input is not square: the one area to search, frame pixels (undefined: the
 * whole frame), letterboxed into its input: the bounding box of `regions` (default what moved;
 * the stage passes the places not resting), a quarter larger on each side and at least the
 * model's input size, when that is less than half the frame.
 */
export function searchArea(envelope: Envelope, within: 'auto' | 'motion' | 'frame', input: { width: number; height: number }, regions: readonly Rect[] = envelope.motion?.regions ?? []): Rect | undefined {
  const { width: fw, height: fh } = envelope.frame
  if (within === 'frame' || regions.length === 0) return undefined
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity
  for (const r of regions) { x0 = Math.min(x0, r.x); y0 = Math.min(y0, r.y); x1 = Math.max(x1, r.x + r.width); y1 = Math.max(y1, r.y + r.height) }
  const mx = (x1 - x0) / 4, my = (y1 - y0) / 4
  let w = Math.min(fw, Math.max(x1 - x0 + 2 * mx, input.width)), h = Math.min(fh, Math.max(y1 - y0 + 2 * my, input.height))
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2
  const x = Math.round(Math.min(Math.max(0, cx - w / 2), fw - w)), y = Math.round(Math.min(Math.max(0, cy - h / 2), fh - h))
  w = Math.round(w); h = Math.round(h)
  if (within === 'auto' && w * h >= 0.5 * fw * fh) return undefined
  return { x, y, width: Math.min(w, fw - x), height: Math.min(h, fh - y) }
}
