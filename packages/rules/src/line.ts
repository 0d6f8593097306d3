import type { EventInit, Track } from '@oko/core'
import { LineCrosser } from './crossing.js'
import { toPixels } from './geometry.js'
import type { Direction, LineCounts, RuleEvent } from './events.js'
import { frameFields, trackFields, type Evaluator, type Observed, type RuleClock } from './evaluator.js'
import type { LineRule } from './options.js'

export const emptyCounts = (): LineCounts => ({ 'a-b': {}, 'b-a': {} })

const copyCounts = (c: LineCounts): LineCounts => ({ 'a-b': { ...c['a-b'] }, 'b-a': { ...c['b-a'] } })

/** Line crossing: an event per crossing in the watched direction; both directions counted per class, in totals and per interval. */
export class LineEvaluator implements Evaluator {
  readonly name: string
  #crosser?: LineCrosser
  #totals = emptyCounts()
  #interval = emptyCounts()
  #intervalStartUs?: number
  readonly #periodUs?: number

  constructor(readonly spec: LineRule, readonly hysteresis: number) {
    this.name = spec.name
    if (spec.countEveryMinutes !== undefined) this.#periodUs = spec.countEveryMinutes * 60e6
  }

  resize(width: number, height: number): void {
    const [a, b] = toPixels(this.spec.line, width, height)
    this.#crosser = new LineCrosser({ a: a!, b: b! }, this.hysteresis * Math.hypot(width, height))
  }

  /** Crossings counted since the start, by direction and class. */
  get totals(): LineCounts {
    return copyCounts(this.#totals)
  }

  update(objects: readonly Observed[], clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    this.#closeIntervals(clock, emit)
    const watched = this.spec.direction ?? 'both'
    for (const o of objects) {
      if (!o.seen) continue
      const c = this.#crosser!.step(o.track.id, o.anchor, clock.ptsUs)
      if (!c) continue
      this.#count(c.direction, o.track.label)
      if (watched === 'both' || watched === c.direction) emit({ ...frameFields(clock), rule: this.name, kind: 'line', direction: c.direction, ...trackFields(o.track) })
    }
  }

  masked(track: Track): void {
    this.#crosser?.forget(track.id)
  }

  end(track: Track): void {
    this.#crosser?.forget(track.id)
  }

  flush(clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    this.#closeIntervals(clock, emit)
    if (this.#periodUs !== undefined && this.#intervalStartUs !== undefined && clock.ptsUs > this.#intervalStartUs) this.#emitCount(clock, this.#intervalStartUs, clock.ptsUs, emit)
    this.#crosser?.clear()
  }

  /** Time moves on without tracks (still frames): intervals still close. */
  tick(clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    this.#closeIntervals(clock, emit)
  }

  #count(direction: Direction, label: string): void {
    this.#totals[direction][label] = (this.#totals[direction][label] ?? 0) + 1
    this.#interval[direction][label] = (this.#interval[direction][label] ?? 0) + 1
  }

  #closeIntervals(clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void {
    if (this.#periodUs === undefined) return
    this.#intervalStartUs ??= clock.ptsUs
    if (clock.ptsUs < this.#intervalStartUs + this.#periodUs) return
    // one event per interval that ended; a long gap (a camera away for hours) gives one event for the whole gap
    const elapsed = Math.floor((clock.ptsUs - this.#intervalStartUs) / this.#periodUs)
    const to = this.#intervalStartUs + (elapsed > 1 && this.#isEmpty() ? elapsed : 1) * this.#periodUs
    this.#emitCount(clock, this.#intervalStartUs, to, emit)
    this.#intervalStartUs = to
    if (elapsed > 1) this.#closeIntervals(clock, emit)
  }

  #isEmpty(): boolean {
    return Object.keys(this.#interval['a-b']).length + Object.keys(this.#interval['b-a']).length === 0
  }

  #emitCount(clock: RuleClock, fromPtsUs: number, toPtsUs: number, emit: (event: EventInit<RuleEvent>) => void): void {
    emit({ ...frameFields(clock), rule: this.name, kind: 'count', fromPtsUs, toPtsUs, counts: copyCounts(this.#interval), totals: copyCounts(this.#totals) })
    this.#interval = emptyCounts()
  }
}
