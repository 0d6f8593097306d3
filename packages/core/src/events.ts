import type { SerializedError } from './errors.js'
import type { Rect } from './geometry.js'

/** Fields every event carries. */
export interface EventBase {
  /** Camera (source) id. */
  readonly cameraId: string
  /** Sequence number of the frame the event is about (per camera), or of the event where no frame applies. */
  readonly seq: number
  /** Presentation time of that frame in µs, 0 where no frame applies. */
  readonly ptsUs: number
  /** Wall-clock time the event was made, ms since the epoch. */
  readonly timeMs: number
}

export interface MotionRegion extends Rect {
  /** Changed pixels inside the box, at the detector's processing resolution. */
  readonly pixels: number
}

export interface ZoneHit {
  readonly zone: string
  /** Fraction of the zone's area that moved, in [0, 1]. */
  readonly score: number
}

export interface MotionEvent extends EventBase {
  readonly type: 'motion'
  /** Fraction of the (unmasked) frame that moved, in [0, 1]. */
  readonly score: number
  /** Regions in frame pixel coordinates. */
  readonly regions: readonly MotionRegion[]
  readonly zones: readonly ZoneHit[]
}

export type TamperReason = 'frozen' | 'covered' | 'defocused' | 'moved'

export interface TamperEvent extends EventBase {
  readonly type: 'tamper'
  readonly reason: TamperReason
  /** true when the condition starts, false when it clears. */
  readonly active: boolean
  readonly detail?: string
}

export type SourceState = 'connecting' | 'playing' | 'reconnecting' | 'unauthorized' | 'stalled' | 'ended' | 'failed'

export interface SourceEvent extends EventBase {
  readonly type: 'source'
  readonly state: SourceState
  readonly detail?: string
  /** Reconnect attempt number while reconnecting. */
  readonly attempt?: number
}

export type DropReason = 'overflow' | 'stale' | 'aborted' | 'error'

export interface DroppedEvent extends EventBase {
  readonly type: 'dropped'
  /** Edge or stage that dropped. */
  readonly stage: string
  /** Items dropped since the previous dropped event of this stage and camera. */
  readonly count: number
  readonly reason: DropReason
}

export interface ErrorEvent extends EventBase {
  readonly type: 'error'
  readonly stage: string
  readonly error: SerializedError
  /** A fatal error also rejects the run; a non-fatal one concerns one frame or one camera. */
  readonly fatal: boolean
}

export interface PlateEvent extends EventBase {
  readonly type: 'plate'
  /** Plate text, upper-case, no spaces. Personal data: not logged by default. */
  readonly text: string
  readonly confidence: number
  /** Country/format id that matched (`ua`, `ru`, `kz`, …), or undefined. */
  readonly format?: string
  readonly box: Rect
  readonly trackId?: string
  readonly watchlist?: readonly { list: string; entry: string; distance: number }[]
  /** Country code of the format (`UA`, `EU`, `US`…). */
  readonly country?: string
  /** Confidence of each character of `text`. */
  readonly charConfidences?: readonly number[]
  /** Frames whose readings were voted into this event. */
  readonly readings?: number
  /** Pixels of the best frame around the plate (owned copy; `region` in frame pixels). Personal data. */
  readonly snapshot?: {
    readonly data: Uint8Array
    readonly width: number
    readonly height: number
    readonly format: 'rgb24' | 'bgr24' | 'rgba' | 'gray8'
    readonly region: Rect
  }
}

export interface FaceEvent extends EventBase {
  readonly type: 'face'
  readonly box: Rect
  readonly confidence: number
  readonly trackId?: string
  /** Best watchlist match, when a watchlist is configured and the face matched. */
  readonly match?: { readonly identity: string; readonly distance: number }
  /** Distance to the nearest watchlist entry even when it did not match (for review); absent without a watchlist. */
  readonly nearestDistance?: number
  /** Why the face got no descriptor (quality gate): it was seen but could not be recognised. */
  readonly skipped?: 'too-small' | 'blurred' | 'turned-away' | 'low-confidence'
  /** Quality of the track's best face so far: size in px, sharpness, pose in degrees, score in [0, 1]. */
  readonly quality?: { readonly sizePx: number; readonly sharpness: number; readonly yawDeg: number; readonly pitchDeg: number; readonly score: number }
  /** The track's best face so far (aligned crop). Personal data: never logged by default. */
  readonly snapshot?: {
    readonly data: Uint8Array
    readonly width: number
    readonly height: number
    readonly format: 'rgb24'
  }
}

/** Every event oko emits, discriminated on `type`. */
export type OkoEvent =
  | MotionEvent
  | TamperEvent
  | SourceEvent
  | DroppedEvent
  | ErrorEvent
  | PlateEvent
  | FaceEvent

export type OkoEventType = OkoEvent['type']

/** Narrows the union to one member by its `type`. */
export type EventOf<T extends OkoEventType> = Extract<OkoEvent, { type: T }>
