import type { SerializedError } from './errors.js'
import type { Rect } from './geometry.js'

/** The shape version every event carries in `v`; it changes only with a breaking change of a shape. */
export const EVENT_VERSION = 1

/** Fields every event carries. */
export interface EventBase {
  /** Unique across cameras, processes and restarts, and sorts by creation time (a ULID). */
  readonly id: string
  /** Shape version (`EVENT_VERSION`). */
  readonly v: number
  readonly type: string
  /** Wall-clock time the event was made, ms since the epoch. */
  readonly timeMs: number
}

/** An event about one camera. */
export interface CameraEventBase extends EventBase {
  readonly cameraId: string
}

/** An event about one frame of one camera. */
export interface FrameEventBase extends CameraEventBase {
  /** Sequence number of the frame (per camera). */
  readonly seq: number
  /** Presentation time of the frame, µs. */
  readonly ptsUs: number
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

/** What the motion gate saw in a frame (the envelope's `motion`). */
export interface MotionInfo {
  /** Fraction of the (unmasked) frame that moved, in [0, 1]. */
  readonly score: number
  /** Regions in frame pixel coordinates. */
  readonly regions: readonly MotionRegion[]
  readonly zones: readonly ZoneHit[]
}

export interface MotionEvent extends FrameEventBase, MotionInfo {
  readonly type: 'motion'
}

export type TamperReason = 'frozen' | 'covered' | 'defocused' | 'moved'

export interface TamperEvent extends FrameEventBase {
  readonly type: 'tamper'
  readonly reason: TamperReason
  /** true when the condition starts, false when it clears. */
  readonly active: boolean
  readonly detail?: string
}

export type SourceState = 'connecting' | 'playing' | 'reconnecting' | 'unauthorized' | 'stalled' | 'ended' | 'failed'

export interface SourceEvent extends CameraEventBase {
  readonly type: 'source'
  readonly state: SourceState
  /** The last frame delivered before the change (absent before the first). */
  readonly seq?: number
  readonly ptsUs?: number
  readonly detail?: string
  /** Reconnect attempt number while reconnecting. */
  readonly attempt?: number
}

export type DropReason = 'overflow' | 'stale' | 'aborted' | 'error'

export interface DroppedEvent extends EventBase {
  readonly type: 'dropped'
  /** Camera whose items were dropped; absent for events that concerned no camera. */
  readonly cameraId?: string
  /** Edge or stage that dropped (`events` or `events:<subscriber>` for event queues). */
  readonly stage: string
  /** Items dropped since the previous dropped event of this stage and camera. */
  readonly count: number
  readonly reason: DropReason
  /** The last dropped item's frame, where items are frames. */
  readonly seq?: number
  readonly ptsUs?: number
}

export interface ErrorEvent extends EventBase {
  readonly type: 'error'
  /** Absent for errors of the run itself (a pool that failed, a stage that did not close). */
  readonly cameraId?: string
  /** The frame the error concerns, where it concerns one. */
  readonly seq?: number
  readonly ptsUs?: number
  readonly stage: string
  readonly error: SerializedError
  /** A fatal error also rejects the run; a non-fatal one concerns one frame or one camera. */
  readonly fatal: boolean
}

/** A picture that proves an event: JPEG bytes, encoded once. Personal data where it shows a face or plate. */
export interface Snapshot {
  readonly jpeg: Uint8Array
  readonly width: number
  readonly height: number
  /** Where the picture was cut from, in pixels of the frame. */
  readonly region: Rect
  /** The frame it comes from. */
  readonly seq: number
  readonly ptsUs: number
}

/**
 * Every event type by its `type`. The union is open: a package adds its own types by declaration
 * merging, without editing core:
 *
 * ```ts
 * declare module '@oko/core' {
 *   interface OkoEventMap { plate: PlateEvent }
 * }
 * ```
 */
export interface OkoEventMap {
  motion: MotionEvent
  tamper: TamperEvent
  source: SourceEvent
  dropped: DroppedEvent
  error: ErrorEvent
}

export type OkoEventType = keyof OkoEventMap

/** Every event oko emits (with the packages loaded), discriminated on `type`. */
export type OkoEvent = OkoEventMap[OkoEventType]

/** One member of the union by its `type`. */
export type EventOf<T extends OkoEventType> = OkoEventMap[T]

/**
 * An event as a stage or source makes it: the run gives it its `id` and `v` (and `timeMs`, where
 * not given) when it is emitted.
 */
export type EventInit<E extends EventBase = OkoEvent> = E extends EventBase ? Omit<E, 'id' | 'v' | 'timeMs'> & { readonly timeMs?: number } : never

/** The plate an event carries: a plate event's text, a rule event's `plate`, a vehicle object's `attributes.plate`. Personal data. */
export function plateOf(event: OkoEvent): string | undefined {
  const e = event as unknown as Record<string, unknown>
  const type: string = event.type // plates and rules are packages of their own: compare by name
  const v = type === 'plate' ? e.text : type === 'rule' ? e.plate : type === 'object' ? (e.attributes as Record<string, unknown> | undefined)?.plate : undefined
  return typeof v === 'string' ? v : undefined
}

/** Plate text as searched and compared: letters and digits only, upper case (`ab 123-c` → `AB123C`). */
export function normalisePlate(text: string): string {
  return text.normalize('NFKC').toUpperCase().replace(/[^\p{L}\p{N}]/gu, '')
}

/** A search of the recent events (the live page's memory, the event index); every field narrows it. */
export interface EventQuery {
  readonly types?: readonly string[]
  readonly cameras?: readonly string[]
  /** Event time range, ms since the epoch (inclusive). */
  readonly fromMs?: number
  readonly toMs?: number
  /** Text in the event's plate text, identity, alarm point or place (case-insensitive). Personal data: send it in a body, never in a URL. */
  readonly text?: string
  /** Part of a plate (spaces, dashes and case ignored). Personal data: send it in a body, never in a URL. */
  readonly plate?: string
  /** Paging: the events after this one (the `next` of the page before). */
  readonly before?: string
  /** At most this many, newest first. Default 50, at most 500. */
  readonly limit?: number
}
