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
    return trackingStage({ snapshots: false, ...(options as TrackingStageOptions) })
  },
}
