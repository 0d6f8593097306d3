import type { FrameEventBase, Rect, Snapshot } from '@oko/core'

/** A face track's news: it started, its first face was described, or its best match improved. */
export interface FaceEvent extends FrameEventBase {
  readonly type: 'face'
  readonly box: Rect
  readonly confidence: number
  /** The face's track (unique across cameras and restarts). */
  readonly trackId: string
  /** The person track the face was found on, when a tracker runs before the face stage. */
  readonly objectId?: string
  /** Best watchlist match, when a watchlist is configured and the face matched. */
  readonly match?: { readonly identity: string; readonly distance: number }
  /** Distance to the nearest watchlist entry even when it did not match (for review); absent without a watchlist. */
  readonly nearestDistance?: number
  /** Why the face got no descriptor (quality gate): it was seen but could not be recognised. */
  readonly skipped?: 'too-small' | 'blurred' | 'turned-away' | 'low-confidence'
  /** Quality of the track's best face so far: size in px, sharpness, pose in degrees, score in [0, 1]. */
  readonly quality?: { readonly sizePx: number; readonly sharpness: number; readonly yawDeg: number; readonly pitchDeg: number; readonly score: number }
  /** The track's best face so far (aligned crop), JPEG. Personal data: never logged by default. */
  readonly snapshot?: Snapshot
}

declare module '@oko/core' {
  interface OkoEventMap {
    face: FaceEvent
  }
}
