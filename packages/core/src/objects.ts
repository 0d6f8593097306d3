import type { MotionInfo } from './events.js'
import type { Frame } from './frame.js'
import type { Rect } from './geometry.js'

/** Something a stage knows about an object (its type, colour, make, plate…), with how sure it is. */
export interface Attribute {
  readonly value: string
  /** In [0, 1]. */
  readonly confidence: number
  /** The stage that set it (`plates`, `colour`, `registry`…). */
  readonly source?: string
  /** Runners-up, best first, where the stage has them (a classifier's top-k). */
  readonly alternatives?: readonly { readonly value: string; readonly confidence: number }[]
}

/** One object found in one frame. */
export interface Detection {
  /** Frame pixels. */
  readonly box: Rect
  /** Class name: `car`, `bus`, `truck`, `motorcycle`, `bicycle`, `person`, `plate`, `face`… */
  readonly label: string
  /** Detector score in [0, 1]. */
  readonly score: number
  /** The frame it was found in. */
  readonly seq: number
  readonly ptsUs: number
  /** The track it was assigned to (set by the tracker). */
  trackId?: string
}

/** `tentative` until confirmed by enough detections; `lost` while predicted without being seen. */
export type TrackState = 'tentative' | 'confirmed' | 'lost'

/** An object followed across frames by the tracker; its `id` is unique across cameras and restarts. */
export interface Track {
  readonly id: string
  readonly label: string
  /** Where the object is in this frame (a prediction while it is not seen), frame pixels. */
  box: Rect
  state: TrackState
  /** The latest detection's score. */
  score: number
  /** The frame the track started in and the last one it was seen in (detected, not predicted). */
  readonly firstSeq: number
  lastSeenSeq: number
  /** Presentation times of those frames, µs (trackers predict by time: detectors run at a varying rate). */
  readonly firstPtsUs?: number
  lastSeenPtsUs?: number
  /** Velocity of the box's bottom centre (where the object touches the ground), frame pixels per second. */
  velocity: { x: number; y: number }
  /** What later stages found out (`type`, `colour`, `plate`, `make`…). */
  attributes: Record<string, Attribute>
}

/**
 * What travels along a pipeline's stages for one frame: the frame, what the motion gate saw, the
 * detections of this frame and the tracks alive in it. Every stage reads it and adds to it.
 *
 * `frame` is borrowed from the decoder until a worker stage materialises it (then it is the owned
 * copy, valid until the envelope leaves the pipeline).
 */
export interface Envelope {
  frame: Frame
  motion?: MotionInfo
  detections: Detection[]
  tracks: Track[]
}
