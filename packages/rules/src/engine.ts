import { InvalidOptionError, pointInPolygon, type EventInit, type Point, type Track } from '@oko/core'
import { anchorOf, toPixels } from './geometry.js'
import type { LightState, LineCounts, RuleEvent } from './events.js'
import type { Evaluator, LampReader, Observed, RuleClock } from './evaluator.js'
import { StopLineEvaluator } from './light.js'
import { LineEvaluator } from './line.js'
import { checkRulesOptions, type RuleSpec, type RulesOptions } from './options.js'
import { ScheduleClock } from './schedule.js'
import { SpeedEvaluator } from './speed.js'
import { ZoneEvaluator } from './zone.js'

interface Bound {
  readonly spec: RuleSpec
  readonly evaluator: Evaluator
  readonly classes?: ReadonlySet<string>
  masks: Point[][]
}

/**
 * Evaluates a camera's rules on its tracks, frame by frame: pure state machines on track
 * geometry (no pixels but a stop line's lamp), so the same engine runs in a pipeline stage, in
 * `oko count`, or on tracks from anywhere. Rule points are fractions of the frame; they are put
 * in pixels for the frame size on the first frame (and again when it changes).
 */
export class RuleEngine {
  readonly #rules: Bound[]
  readonly #clock: ScheduleClock
  #size = { width: 0, height: 0 }
  #alive = new Map<string, Track>()

  constructor(options: RulesOptions) {
    const o = checkRulesOptions(options)
    this.#clock = new ScheduleClock(o.timeZone)
    this.#rules = o.rules.map((spec) => {
      const h = spec.hysteresis ?? 0.01
      const evaluator = spec.type === 'line' ? new LineEvaluator(spec, h)
        : spec.type === 'zone' ? new ZoneEvaluator(spec, h)
        : spec.type === 'speed' ? new SpeedEvaluator(spec, h)
        : new StopLineEvaluator(spec, h)
      return { spec, evaluator, ...(spec.classes ? { classes: new Set(spec.classes) } : {}), masks: [] }
    })
  }

  /** The rules' names, in order. */
  get names(): string[] {
    return this.#rules.map((r) => r.spec.name)
  }

  /** One frame's tracks (confirmed and lost, as the tracking stage writes them); returns the events it makes. */
  update(tracks: readonly Track[], clock: RuleClock, lamp?: LampReader): EventInit<RuleEvent>[] {
    const out: EventInit<RuleEvent>[] = []
    const emit = (e: EventInit<RuleEvent>): void => void out.push(e)
    this.#resize(clock)
    const now = new Map<string, Track>()
    for (const t of tracks) if (t.state !== 'tentative') now.set(t.id, t)
    for (const [id, t] of this.#alive) if (!now.has(id)) for (const r of this.#rules) r.evaluator.end(t, clock, emit)
    this.#alive = now
    const observed: Observed[] = [...now.values()].map((track) => ({ track, anchor: anchorOf(track.box), seen: track.lastSeenSeq === clock.seq }))
    for (const r of this.#rules) {
      if (!this.#clock.active(r.spec.schedule, clock.wallMs)) continue
      r.evaluator.update(observed.filter((o) => this.#applies(r, o, clock)), clock, emit, lamp)
    }
    return out
  }

  /** A frame without tracks reached no further than the gate: time moves on (count intervals close). */
  tick(clock: RuleClock): EventInit<RuleEvent>[] {
    const out: EventInit<RuleEvent>[] = []
    for (const r of this.#rules) if (r.evaluator instanceof LineEvaluator) r.evaluator.tick(clock, (e) => void out.push(e))
    return out
  }

  /** The camera is done: open tracks end (leaving their zones), the last count intervals are reported. */
  flush(clock: RuleClock): EventInit<RuleEvent>[] {
    const out: EventInit<RuleEvent>[] = []
    const emit = (e: EventInit<RuleEvent>): void => void out.push(e)
    for (const t of this.#alive.values()) for (const r of this.#rules) r.evaluator.end(t, clock, emit)
    this.#alive.clear()
    for (const r of this.#rules) r.evaluator.flush?.(clock, emit)
    return out
  }

  /** Sets the light of every stop line listening to `input` (an external controller, MQTT, HTTP); applied on the next frame. Returns how many rules listen. */
  setLight(input: string, state: LightState, atMs = Date.now()): number {
    let n = 0
    for (const r of this.#rules) {
      if (r.evaluator instanceof StopLineEvaluator && r.evaluator.input === input) {
        r.evaluator.setLight(state, atMs)
        n++
      }
    }
    return n
  }

  /** A line rule's crossings since the start, by direction and class (`oko count` reads these). */
  counts(rule: string): LineCounts {
    const r = this.#rules.find((b) => b.spec.name === rule)
    if (!r || !(r.evaluator instanceof LineEvaluator)) throw new InvalidOptionError('rule', `no line rule named ${JSON.stringify(rule)}; line rules: ${this.#rules.filter((b) => b.spec.type === 'line').map((b) => b.spec.name).join(', ') || '(none)'}`)
    return r.evaluator.totals
  }

  #resize(clock: RuleClock): void {
    if (clock.width === this.#size.width && clock.height === this.#size.height) return
    this.#size = { width: clock.width, height: clock.height }
    for (const r of this.#rules) {
      r.evaluator.resize(clock.width, clock.height)
      r.masks = (r.spec.masks ?? []).map((m) => toPixels(m, clock.width, clock.height))
    }
  }

  #applies(r: Bound, o: Observed, clock: RuleClock): boolean {
    if (r.classes && !r.classes.has(o.track.label)) return false
    const min = r.spec.minSize
    if (min && (o.track.box.width < min[0] * clock.width || o.track.box.height < min[1] * clock.height)) return false
    for (const m of r.masks) {
      if (!pointInPolygon(o.anchor, m)) continue
      r.evaluator.masked?.(o.track)
      return false
    }
    return true
  }
}
