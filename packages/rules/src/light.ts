import type { EventInit, Point, Track } from '@oko/core'
import { LineCrosser } from './crossing.js'
import { toPixels } from './geometry.js'
import type { LightState, RuleEvent } from './events.js'
import { frameFields, trackFields, type Evaluator, type LampReader, type Observed, type RuleClock } from './evaluator.js'
import type { StopLineRule } from './options.js'

/** The colour a lit lamp shows, from the mean RGB of its bright pixels (hue bands of HSV); `unknown` when grey or too few are lit. */
export function lampColour(mean: { r: number; g: number; b: number; lit: number } | undefined, minLitShare = 0.02): LightState {
  if (!mean || mean.lit < minLitShare) return 'unknown'
  const { r, g, b } = mean
  const max = Math.max(r, g, b), min = Math.min(r, g, b)
  if (max <= 0 || (max - min) / max < 0.3) return 'unknown'
  const c = max - min
  let hue = max === r ? ((g - b) / c) % 6 : max === g ? (b - r) / c + 2 : (r - g) / c + 4
  hue = (hue * 60 + 360) % 360
  if (hue < 20 || hue >= 330) return 'red'
  if (hue < 70) return 'amber'
  if (hue < 200) return 'green'
  return 'unknown'
}

/**
 * A traffic light's state with hysteresis: a colour read from the lamp must hold `holdFrames`
 * frames in a row before the state changes (a flicker or a passing headlight does not); an
 * external input sets it at once.
 */
export class LightTracker {
  #state: LightState = 'unknown'
  #since = 0
  #candidate: LightState = 'unknown'
  #candidateFrames = 0
  constructor(readonly holdFrames: number) {}

  get state(): LightState {
    return this.#state
  }

  /** When the state began, stream µs. */
  get sincePtsUs(): number {
    return this.#since
  }

  /** A reading of one frame; returns the previous state when it changed. */
  read(colour: LightState, ptsUs: number): LightState | undefined {
    if (colour === this.#state) {
      this.#candidateFrames = 0
      return undefined
    }
    if (colour !== this.#candidate) {
      this.#candidate = colour
      this.#candidateFrames = 0
    }
    if (++this.#candidateFrames < this.holdFrames) return undefined
    return this.set(colour, ptsUs)
  }

  set(state: LightState, ptsUs: number): LightState | undefined {
    if (state === this.#state) return undefined
    const previous = this.#state
    this.#state = state
    this.#since = ptsUs
    this.#candidateFrames = 0
    return previous
  }
}

/** A stop line with its light: crossing it (in its direction) on red is a `red-light` violation; light changes are `light` events. */
export class StopLineEvaluator implements Evaluator {
  readonly name: string
  #crosser?: LineCrosser
  #lamp: Point[] = []
  readonly light: LightTracker
  #pending?: { state: LightState; atMs: number }

  constructor(readonly spec: StopLineRule, readonly hysteresis: number) {
    this.name = spec.name
    this.light = new LightTracker('lamp' in spec.light ? spec.light.holdFrames ?? 2 : 1)
  }

  /** The external input this rule's light listens to, if any. */
  get input(): string | undefined {
    return 'input' in this.spec.light ? this.spec.light.input : undefined
  }

  resize(width: number, height: number): void {
    const [a, b] = toPixels(this.spec.line, width, height)
    this.#crosser = new LineCrosser({ a: a!, b: b! }, this.hysteresis * Math.hypot(width, height))
    if ('lamp' in this.spec.light) this.#lamp = toPixels(this.spec.light.lamp, width, height)
  }

  /** An external state (MQTT, HTTP, a controller); applied on the next frame. */
  setLight(state: LightState, atMs: number): void {
    this.#pending = { state, atMs }
  }

  update(objects: readonly Observed[], clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void, lamp?: LampReader): void {
    this.readLight(clock, emit, lamp)
    const direction = this.spec.direction ?? 'both'
    for (const o of objects) {
      if (!o.seen) continue
      const c = this.#crosser!.step(o.track.id, o.anchor, clock.ptsUs)
      if (!c || (direction !== 'both' && direction !== c.direction)) continue
      if (this.light.state !== 'red') continue
      emit({ ...frameFields(clock), rule: this.name, kind: 'red-light', direction: c.direction, light: 'red', redForSeconds: Math.max(0, (c.atPtsUs - this.light.sincePtsUs) / 1e6), ...trackFields(o.track) })
    }
  }

  /** Reads the lamp (or takes the input's state) for this frame, even when the rule has no tracks to look at. */
  readLight(clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void, lamp?: LampReader): void {
    let previous: LightState | undefined
    let source: 'pixels' | 'input' = 'input'
    if (this.#pending) {
      previous = this.light.set(this.#pending.state, clock.ptsUs)
      this.#pending = undefined
    } else if ('lamp' in this.spec.light && lamp) {
      source = 'pixels'
      previous = this.light.read(lampColour(lamp(this.#lamp, this.spec.light.minBrightness ?? 140)), clock.ptsUs)
    }
    if (previous !== undefined) emit({ ...frameFields(clock), rule: this.name, kind: 'light', state: this.light.state, previous, source })
  }

  masked(track: Track): void {
    this.#crosser?.forget(track.id)
  }

  end(track: Track): void {
    this.#crosser?.forget(track.id)
  }

  flush(): void {
    this.#crosser?.clear()
  }
}
