import { InvalidOptionError } from '@oko/core'
import { trackingStage, type TrackingStageOptions } from '@oko/tracking'
import type { StageProvider } from '../stages.js'

/**
 * `tracking`: one tracker per camera over the detections of the stages before it (ByteTrack-style,
 * predicting by timestamp through frames the gate stopped or the detector skipped), writes the
 * tracks to each frame for the stages after it and emits `object` events (start, update, end).
 * Snapshots (the best view of each object) are opt-in, as for plates and faces: people are
 * personal data. Any option may be set per camera.
 *
 * ```yaml
 * stages:
 *   - motion
 *   - objects
 *   - tracking: { lostTimeoutMs: 2000, updateIntervalMs: 1000, snapshots: true }
 * ```
 */
/**
 * Defaults for the `objects` detector's scores: MB3-CenterNet scores clear cars and people at
 * 0.35–0.6 (its detections arrive from 0.35, `objects.scoreThreshold`), below ByteTrack's 0.5/0.6.
 */
const DETECTOR_DEFAULTS: TrackingStageOptions = { snapshots: false, highScore: 0.4, newTrackScore: 0.45 }

export const trackingProvider: StageProvider = {
  check(options, path) {
    try {
      trackingStage(options as TrackingStageOptions)
    } catch (error) {
      // the stage names its options `options.…`; configs name them by where they are written
      if (error instanceof InvalidOptionError && error.option.startsWith('options')) {
        throw new InvalidOptionError(path + error.option.slice('options'.length), error.message.slice(error.option.length + 2))
      }
      throw error
    }
  },
  create(options) {
    return trackingStage({ ...DETECTOR_DEFAULTS, ...(options as TrackingStageOptions) })
  },
}
