import type { FrameEventBase, Rect, Snapshot } from '@oko/core'

/** A vehicle's plate, voted over the frames it was read in: one event per plate track. */
export interface PlateEvent extends FrameEventBase {
  readonly type: 'plate'
  /** Plate text, upper-case, no spaces. Personal data: not logged by default. */
  readonly text: string
  readonly confidence: number
  /** Country/format id that matched (`ua`, `ru`, `kz`, …). */
  readonly format?: string
  /** Country code of the format (`UA`, `EU`, `US`…). */
  readonly country?: string
  /** Confidence of each character of `text`. */
  readonly charConfidences?: readonly number[]
  /** The plate in the best frame (`seq`, `ptsUs` are that frame's), frame pixels. */
  readonly box: Rect
  /** The plate's own track (unique across cameras and restarts). */
  readonly trackId: string
  /** The vehicle track the plate was read on, when a tracker runs before the plate stage. */
  readonly objectId?: string
  readonly watchlist?: readonly { readonly list: string; readonly entry: string; readonly distance: number }[]
  /** Frames whose readings were voted into this event. */
  readonly readings: number
  /** The best frame around the plate (about the car's front), JPEG. Personal data. */
  readonly snapshot?: Snapshot
}

declare module '@oko/core' {
  interface OkoEventMap {
    plate: PlateEvent
  }
}
