import type { EventInit, FrameInfo, Point, Track } from '@oko/core'
import type { RuleEvent } from './events.js'

/** One frame as the rules see it (its info without the pixel format). `wallMs` decides schedules; `ptsUs` measures time. */
export type RuleClock = Omit<FrameInfo, 'format'>

/** A track a rule looks at in this frame, with its anchor (bottom centre, frame pixels). */
export interface Observed {
  readonly track: Track
  readonly anchor: Point
  /** Detected in this frame (not only predicted). */
  readonly seen: boolean
}

/** The average colour of a lamp region's bright pixels, or undefined when it cannot be read. */
export type LampReader = (lamp: readonly Point[], minBrightness: number) => { r: number; g: number; b: number; lit: number } | undefined

/** One rule's state machine. Geometry is in frame pixels, made for the frame size by `resize`. */
export interface Evaluator {
  readonly name: string
  resize(width: number, height: number): void
  update(objects: readonly Observed[], clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void, lamp?: LampReader): void
  /** The track ended (it left the tracker); `emit` what its end means (leaving a zone). */
  end(track: Track, clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void
  /** The track is inside one of the rule's masks in this frame: a line forgets which side it was on (a crossing hidden by a mask does not count). */
  masked?(track: Track): void
  /** The camera is done: what is pending (the last count interval). */
  flush?(clock: RuleClock, emit: (event: EventInit<RuleEvent>) => void): void
}

/** What track events say about their track. */
export function trackFields(t: Track): { trackId: string; class: string; box: Track['box']; plate?: string } {
  const plate = t.attributes.plate?.value
  return { trackId: t.id, class: t.label, box: { ...t.box }, ...(plate !== undefined ? { plate } : {}) }
}

export function frameFields(clock: RuleClock): { type: 'rule'; cameraId: string; seq: number; ptsUs: number } {
  return { type: 'rule', cameraId: clock.cameraId, seq: clock.seq, ptsUs: clock.ptsUs }
}
