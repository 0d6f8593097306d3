import type { Attribute, FrameEventBase, Rect, Snapshot } from '@oko/core'

export type ObjectPhase = 'start' | 'update' | 'end'

/**
 * An object followed by the tracker: `start` when its track is confirmed, `update` when its class
 * or attributes change (and at most every `updateIntervalMs` while it moves), `end` when it has
 * not been seen for `lostTimeoutMs`, left the frame, or the camera is done. `seq`/`ptsUs` are the
 * frame the event was made in.
 */
export interface ObjectEvent extends FrameEventBase {
  readonly type: 'object'
  readonly phase: ObjectPhase
  /** The track's id: unique across cameras and restarts; plate and face events refer to it. */
  readonly trackId: string
  /** `car`, `bus`, `truck`, `motorcycle`, `bicycle`, `person`, or `object` for motion blobs. */
  readonly class: string
  /** Where the object is (predicted while not seen), frame pixels. */
  readonly box: Rect
  /** Velocity of the box's bottom centre, frame pixels per second, and its magnitude. */
  readonly velocity: { readonly x: number; readonly y: number }
  readonly speedPxPerS: number
  /** The latest detection's score. */
  readonly score: number
  /** When the track started and when it was last seen (detected), µs. */
  readonly firstPtsUs: number
  readonly lastSeenPtsUs: number
  /** What later stages found out so far (`type`, `colour`, `make`, `plate`…). */
  readonly attributes: Readonly<Record<string, Attribute>>
  /** The best view so far (largest, sharpest, least occluded), JPEG; on `start`, `end` and updates where it improved. */
  readonly snapshot?: Snapshot
}

declare module '@oko/core' {
  interface OkoEventMap {
    object: ObjectEvent
  }
}
