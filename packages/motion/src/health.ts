import type { TamperReason } from '@oko/core'
import type { ResolvedTamper } from './options.js'

/** Which camera-health conditions hold now. */
export interface TamperState {
  readonly frozen: boolean
  readonly covered: boolean
  readonly defocused: boolean
  readonly moved: boolean
}

/** A condition that started (`active: true`) or cleared in this frame. */
export interface TamperChange {
  readonly reason: TamperReason
  readonly active: boolean
  readonly detail: string
}

/** What the detector measured on one frame, for the health checks. */
export interface HealthSample {
  readonly ptsUs: number
  /** Mean |Δ| to the previous frame, grey levels. */
  readonly frameDiff: number
  readonly mean: number
  readonly std: number
  /** Mean gradient per pixel over std-dev: falls when focus is lost, not when light changes. */
  readonly sharpness: number
  /** Correlation with the long-term scene, or undefined when not measured in this frame. */
  readonly correlation: number | undefined
}

const LEARN_FRAMES = 25

/** A condition with hysteresis in time: active after holding `ms`, cleared when it stops holding. */
class Condition {
  since: number | undefined = undefined
  active = false

  update(holds: boolean, ptsUs: number, ms: number): boolean | undefined {
    if (!holds) {
      this.since = undefined
      if (!this.active) return undefined
      this.active = false
      return false
    }
    this.since ??= ptsUs
    if (!this.active && ptsUs - this.since >= ms * 1000) {
      this.active = true
      return true
    }
    return undefined
  }
}

/** Frozen picture, covered lens, lost focus, moved camera: from per-frame measurements. */
export class CameraHealth {
  readonly #options: ResolvedTamper
  readonly #frozen = new Condition()
  readonly #covered = new Condition()
  readonly #defocused = new Condition()
  readonly #moved = new Condition()
  #sharpness = 0
  #frames = 0
  #lastPtsUs = -Infinity
  #lastCorrelation = 1

  constructor(options: ResolvedTamper) {
    this.#options = options
  }

  /** Made again only when a condition changes (not per frame). */
  #state: TamperState = { frozen: false, covered: false, defocused: false, moved: false }

  get state(): TamperState {
    return this.#state
  }

  get covered(): boolean {
    return this.#covered.active
  }

  /** The learned sharpness (0 until learned). */
  get learnedSharpness(): number {
    return this.#frames >= LEARN_FRAMES ? this.#sharpness : 0
  }

  /** Restarts the timers (stream time went backwards). */
  #restart(): void {
    for (const c of [this.#frozen, this.#covered, this.#defocused, this.#moved]) c.since = undefined
  }

  update(s: HealthSample, changes: TamperChange[]): void {
    const o = this.#options
    if (s.ptsUs < this.#lastPtsUs) this.#restart()
    this.#lastPtsUs = s.ptsUs
    this.#frames++
    const before = changes.length
    // details are formatted only for a change (not four strings per frame)
    const uniform = s.std < o.coveredStd
    const frozen = this.#frozen.update(s.frameDiff < 0.05, s.ptsUs, o.frozenMs)
    if (frozen !== undefined) changes.push({ reason: 'frozen', active: frozen, detail: `mean frame change ${s.frameDiff.toFixed(3)} grey levels` })
    const covered = this.#covered.update(uniform, s.ptsUs, o.coveredMs)
    if (covered !== undefined) changes.push({ reason: 'covered', active: covered, detail: `mean ${s.mean.toFixed(0)}, std-dev ${s.std.toFixed(1)} grey levels` })
    // sharpness is learned from healthy frames, fast at first, then slowly
    if (!uniform) {
      if (this.#frames <= LEARN_FRAMES) {
        this.#sharpness = this.#frames === 1 ? s.sharpness : Math.max(this.#sharpness, s.sharpness) * 0.5 + s.sharpness * 0.5
      } else {
        const low = s.sharpness < this.#sharpness * o.defocusRatio
        this.#sharpness += (s.sharpness - this.#sharpness) * (low ? 0.0005 : 0.02)
      }
    }
    const learned = this.#frames > LEARN_FRAMES && this.#sharpness > 0
    const blurred = learned && !uniform && s.sharpness < this.#sharpness * o.defocusRatio
    const defocused = this.#defocused.update(blurred, s.ptsUs, o.defocusMs)
    if (defocused !== undefined) changes.push({ reason: 'defocused', active: defocused, detail: `sharpness ${s.sharpness.toFixed(3)}, learned ${this.#sharpness.toFixed(3)}` })
    if (s.correlation !== undefined) this.#lastCorrelation = s.correlation
    const elsewhere = !uniform && this.#lastCorrelation < o.movedCorrelation
    const moved = this.#moved.update(elsewhere, s.ptsUs, o.movedMs)
    if (moved !== undefined) changes.push({ reason: 'moved', active: moved, detail: `correlation with the learned scene ${this.#lastCorrelation.toFixed(2)}` })
    if (changes.length > before) {
      this.#state = { frozen: this.#frozen.active, covered: this.#covered.active, defocused: this.#defocused.active, moved: this.#moved.active }
    }
  }
}
