import type { FrameEventBase, Rect, Snapshot } from '@oko/core'

/** A line crossed from side A to side B, or back (A is on your right walking the line from its first point to its second, on the picture). */
export type Direction = 'a-b' | 'b-a'

/** What a traffic light shows. `unknown`: no lamp lit (or not read yet). */
export type LightState = 'red' | 'amber' | 'green' | 'unknown'

/** Counts by direction, then by class. */
export type LineCounts = Record<Direction, Record<string, number>>

/** What every rule event says: which rule, which kind of event. */
interface RuleEventBase extends FrameEventBase {
  readonly type: 'rule'
  /** The rule's name, as configured. */
  readonly rule: string
}

/** What events about one object say about it. */
interface TrackFields {
  /** The track (`object` events carry the same id). */
  readonly trackId: string
  readonly class: string
  /** Where it was when the rule fired, frame pixels. */
  readonly box: Rect
  /** Its plate where a plate stage read one (personal data: never logged by oko). */
  readonly plate?: string
  /** The object when the rule fired, JPEG (when the stage makes snapshots). */
  readonly snapshot?: Snapshot
}

/** A track crossed a line rule in a direction it watches. */
export interface LineCrossingEvent extends RuleEventBase, TrackFields {
  readonly kind: 'line'
  readonly direction: Direction
}

/** A line rule's counts over the interval that just ended (`countEveryMinutes`), and since the start. */
export interface LineCountEvent extends RuleEventBase {
  readonly kind: 'count'
  /** The interval, stream time µs. */
  readonly fromPtsUs: number
  readonly toPtsUs: number
  readonly counts: LineCounts
  readonly totals: LineCounts
}

/** A track's anchor (bottom centre) entered or left a zone; `dwell`: it has been inside `seconds`, over the rule's limit (once per visit). */
export interface ZoneEvent extends RuleEventBase, TrackFields {
  readonly kind: 'enter' | 'leave' | 'dwell'
  /** Time inside the zone so far, s. */
  readonly seconds: number
}

/** A zone holds more objects than its `maxOccupancy` (`active: true`), or no longer does. */
export interface OccupancyEvent extends RuleEventBase {
  readonly kind: 'occupancy'
  readonly active: boolean
  readonly count: number
  readonly limit: number
  readonly trackIds: readonly string[]
}

/** A track moved against a zone's allowed direction for at least the rule's distance (once per visit). */
export interface WrongWayEvent extends RuleEventBase, TrackFields {
  readonly kind: 'wrong-way'
  /** How far it went against the direction, frame pixels. */
  readonly distancePx: number
}

/** A track's speed over a speed rule's stretch; `speeding` when over its limit. */
export interface SpeedEvent extends RuleEventBase, TrackFields {
  readonly kind: 'speed'
  readonly kmh: number
  readonly limitKmh?: number
  readonly speeding: boolean
  /** `lines`: the time between two lines a known distance apart; `calibration`: ground-plane positions on entering and leaving the zone. */
  readonly method: 'lines' | 'calibration'
}

/** A track crossed a stop line (in its direction) while the light was red. */
export interface RedLightEvent extends RuleEventBase, TrackFields {
  readonly kind: 'red-light'
  readonly direction: Direction
  readonly light: LightState
  /** How long the light had been red, s. */
  readonly redForSeconds: number
}

/** A stop line's traffic light changed state. */
export interface LightEvent extends RuleEventBase {
  readonly kind: 'light'
  readonly state: LightState
  readonly previous: LightState
  /** Where the state came from: the lamp's pixels or an external input. */
  readonly source: 'pixels' | 'input'
}

/** Everything rules emit, told apart by `kind`. */
export type RuleEvent = LineCrossingEvent | LineCountEvent | ZoneEvent | OccupancyEvent | WrongWayEvent | SpeedEvent | RedLightEvent | LightEvent

export type RuleEventKind = RuleEvent['kind']

declare module '@oko/core' {
  interface OkoEventMap {
    rule: RuleEvent
  }
}
