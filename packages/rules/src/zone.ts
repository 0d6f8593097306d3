import { pointInPolygon, type EventInit, type Point, type Track } from '@oko/core'
import { distanceToBoundary, toPixels } from './geometry.js'
import type { RuleEvent } from './events.js'
import { frameFields, trackFields, type Evaluator, type Observed, type RuleClock } from './evaluator.js'
import type { ZoneRule } from './options.js'

interface Visit {
  inside: boolean
  enteredPtsUs: number
  entry: Point
  dwellFired: boolean
  wrongWayFired: boolean
  last: Track
}

/**
 * A zone: a track is inside when its anchor is, with a dead band along the edges (a track on the
 * edge keeps its state). Enter and leave per visit, dwell once per visit over `dwellSeconds`,
 * occupancy over `maxOccupancy` (start and end), wrong way once per visit.
 */
export class ZoneEvaluator implements Evaluator {
  readonly name: string
  #polygon: Point[] = []
  #deadBandPx = 0
  #wrongWayPx = 0
  readonly #visits = new Map<string, Visit>()
  #crowded = false
  readonly #unit?: Point

  constructor(readonly spec: ZoneRule, readonly hysteresis: number) {
    this.name = spec.name
    if (spec.direction) {
      const n = Math.hypot(spec.direction.x, spec.direction.y)
      this.#unit = { x: spec.direction.x / n, y: spec.direction.y / n }
    }
  }

  resize(width: number, height: number): void {
    this.#polygon = toPixels(this.spec.polygon, width, height)
    const diagonal = Math.hypot(width, height)
    this.#deadBandPx = this.hysteresis * diagonal
    this.#wrongWayPx = (this.spec.wrongWayDistance ?? 0.05) * diagonal
  }

  update(objects: readonly Observed[], clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    const events = this.spec.events ?? ['enter', 'leave']
    for (const o of objects) {
      const raw = pointInPolygon(o.anchor, this.#polygon)
      let v = this.#visits.get(o.track.id)
      const inside = v && distanceToBoundary(this.#polygon, o.anchor) < this.#deadBandPx ? v.inside : raw
      if (!v) {
        if (!inside) continue
        v = { inside: false, enteredPtsUs: clock.ptsUs, entry: o.anchor, dwellFired: false, wrongWayFired: false, last: o.track }
        this.#visits.set(o.track.id, v)
      }
      v.last = o.track
      if (inside && !v.inside) {
        Object.assign(v, { inside: true, enteredPtsUs: clock.ptsUs, entry: o.anchor, dwellFired: false, wrongWayFired: false })
        if (events.includes('enter')) emit({ ...frameFields(clock), rule: this.name, kind: 'enter', seconds: 0, ...trackFields(o.track) })
      } else if (!inside && v.inside) {
        this.#leave(v, clock, emit)
        continue
      }
      if (!v.inside) continue
      const seconds = (clock.ptsUs - v.enteredPtsUs) / 1e6
      if (this.spec.dwellSeconds !== undefined && !v.dwellFired && seconds >= this.spec.dwellSeconds) {
        v.dwellFired = true
        emit({ ...frameFields(clock), rule: this.name, kind: 'dwell', seconds, ...trackFields(o.track) })
      }
      if (this.#unit && !v.wrongWayFired && o.seen) {
        const against = -((o.anchor.x - v.entry.x) * this.#unit.x + (o.anchor.y - v.entry.y) * this.#unit.y)
        if (against >= this.#wrongWayPx) {
          v.wrongWayFired = true
          emit({ ...frameFields(clock), rule: this.name, kind: 'wrong-way', distancePx: against, ...trackFields(o.track) })
        }
      }
    }
    this.#occupancy(clock, emit)
  }

  end(track: Track, clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    const v = this.#visits.get(track.id)
    if (v?.inside) this.#leave(v, clock, emit)
    this.#visits.delete(track.id)
    this.#occupancy(clock, emit)
  }

  flush(): void {
    this.#visits.clear()
    this.#crowded = false
  }

  /** Tracks inside now. */
  get inside(): string[] {
    return [...this.#visits.entries()].filter(([, v]) => v.inside).map(([id]) => id)
  }

  #leave(v: Visit, clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    v.inside = false
    if ((this.spec.events ?? ['enter', 'leave']).includes('leave')) {
      emit({ ...frameFields(clock), rule: this.name, kind: 'leave', seconds: (clock.ptsUs - v.enteredPtsUs) / 1e6, ...trackFields(v.last) })
    }
  }

  #occupancy(clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    const limit = this.spec.maxOccupancy
    if (limit === undefined) return
    const ids = this.inside
    const crowded = ids.length > limit
    if (crowded === this.#crowded) return
    this.#crowded = crowded
    emit({ ...frameFields(clock), rule: this.name, kind: 'occupancy', active: crowded, count: ids.length, limit, trackIds: ids })
  }
}
