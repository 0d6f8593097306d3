import { pointInPolygon, type EventInit, type Point, type Track } from '@oko/core'
import { LineCrosser } from './crossing.js'
import { homographyFrom, project, toPixels } from './geometry.js'
import type { RuleEvent } from './events.js'
import { frameFields, trackFields, type Evaluator, type Observed, type RuleClock } from './evaluator.js'
import type { SpeedRule } from './options.js'

/** Sums for a least-squares line through (t, x) and (t, y): the ground velocity of one track. */
interface Fit {
  n: number
  t0: number
  st: number
  stt: number
  sx: number
  stx: number
  sy: number
  sty: number
  last: Track
}

/**
 * Speed in km/h: with two lines, the distance between them over the time between the anchor's
 * passes (interpolated between frames), once per track; with a ground-plane calibration, the
 * least-squares ground velocity of the anchor while it is in the zone, when it leaves (or ends).
 */
export class SpeedEvaluator implements Evaluator {
  readonly name: string
  #crossers: [LineCrosser, LineCrosser] | undefined
  readonly #passes = new Map<string, [number | undefined, number | undefined]>()
  #homography: number[] | undefined
  #zone: Point[] | undefined
  readonly #fits = new Map<string, Fit>()
  #frameSize = { width: 1, height: 1 }

  constructor(readonly spec: SpeedRule, readonly hysteresis: number) {
    this.name = spec.name
  }

  resize(width: number, height: number): void {
    this.#frameSize = { width, height }
    const band = this.hysteresis * Math.hypot(width, height)
    if (this.spec.lines) {
      const [l0, l1] = this.spec.lines.map((l) => toPixels(l, width, height))
      this.#crossers = [new LineCrosser({ a: l0![0]!, b: l0![1]! }, band), new LineCrosser({ a: l1![0]!, b: l1![1]! }, band)]
    }
    if (this.spec.calibration) {
      // the calibration's image points are fractions of the frame: map fractions to metres
      this.#homography = homographyFrom(this.spec.calibration.image, this.spec.calibration.ground)
      this.#zone = this.spec.polygon ? toPixels(this.spec.polygon, width, height) : undefined
    }
  }

  update(objects: readonly Observed[], clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    for (const o of objects) {
      if (!o.seen) continue
      if (this.#crossers) this.#lines(o, clock, emit)
      else this.#calibrated(o, clock, emit)
    }
  }

  masked(track: Track): void {
    this.#crossers?.forEach((c) => c.forget(track.id))
  }

  end(track: Track, clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    this.#crossers?.forEach((c) => c.forget(track.id))
    this.#passes.delete(track.id)
    const fit = this.#fits.get(track.id)
    if (fit) this.#report(fit, clock, emit)
    this.#fits.delete(track.id)
  }

  flush(): void {
    this.#crossers?.forEach((c) => c.clear())
    this.#passes.clear()
    this.#fits.clear()
  }

  #lines(o: Observed, clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    const id = o.track.id
    for (const i of [0, 1] as const) {
      const c = this.#crossers![i].step(id, o.anchor, clock.ptsUs)
      if (!c) continue
      const passes = this.#passes.get(id) ?? [undefined, undefined]
      passes[i] = c.atPtsUs
      this.#passes.set(id, passes)
      const [p0, p1] = passes
      if (p0 === undefined || p1 === undefined || p0 === p1) continue
      this.#passes.delete(id)
      const kmh = (this.spec.distanceMetres! / (Math.abs(p1 - p0) / 1e6)) * 3.6
      this.#emit(o.track, kmh, 'lines', clock, emit)
    }
  }

  #calibrated(o: Observed, clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    const id = o.track.id
    const inside = !this.#zone || pointInPolygon(o.anchor, this.#zone)
    const fit = this.#fits.get(id)
    if (!inside) {
      if (fit) {
        this.#report(fit, clock, emit)
        this.#fits.delete(id)
      }
      return
    }
    const g = project(this.#homography!, { x: o.anchor.x / this.#frameSize.width, y: o.anchor.y / this.#frameSize.height })
    const f = fit ?? { n: 0, t0: clock.ptsUs, st: 0, stt: 0, sx: 0, stx: 0, sy: 0, sty: 0, last: o.track }
    const t = (clock.ptsUs - f.t0) / 1e6
    f.n++; f.st += t; f.stt += t * t; f.sx += g.x; f.stx += t * g.x; f.sy += g.y; f.sty += t * g.y
    f.last = o.track
    this.#fits.set(id, f)
  }

  #report(f: Fit, clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    const d = f.n * f.stt - f.st * f.st
    if (f.n < 3 || d <= 1e-9) return // too few views to measure
    const vx = (f.n * f.stx - f.st * f.sx) / d, vy = (f.n * f.sty - f.st * f.sy) / d
    this.#emit(f.last, Math.hypot(vx, vy) * 3.6, 'calibration', clock, emit)
  }

  #emit(track: Track, kmh: number, method: 'lines' | 'calibration', clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    const limit = this.spec.limitKmh
    emit({ ...frameFields(clock), rule: this.name, kind: 'speed', kmh, method, speeding: limit !== undefined && kmh > limit, ...(limit !== undefined ? { limitKmh: limit } : {}), ...trackFields(track) })
  }
}
