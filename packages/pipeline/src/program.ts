import type { Envelope, Stage } from '@oko/core'
import type { Dispatcher } from './dispatcher.js'
import { Histogram } from './stats.js'

/** Counters of one stage over every camera (by stage name). */
export class StageCounter {
  items = 0
  errors = 0
  readonly latency = new Histogram()
}

/** A step of a camera's compiled program. */
export type CStep =
  | { readonly kind: 'inline'; readonly stage: Stage; readonly counter: StageCounter }
  | { readonly kind: 'worker'; readonly dispatcher: Dispatcher; readonly counter: StageCounter; readonly wholeFrame: boolean
    /**
     * Whether a later stage may read this envelope's pixels (a worker stage that does not say it
     * will not, or one that reads the whole picture): a frame PASSed behind the camera's items is
     * then materialised whole.
     */
    readonly pixelsLater: (envelope: Envelope) => boolean }
  | { readonly kind: 'fan'; readonly branches: readonly (readonly CStep[])[] }
