import { InvalidOptionError } from '@oko/core'
import { trackingStage, type TrackingStageOptions } from '@oko/tracking'
import type { StageProvider } from '../stages.js'

/** Re-throws an option error of a library's `options.x` as the config's `path.x`. */
export function atPath<T>(path: string, make: () => T): T {
  try {
    return make()
  } catch (error) {
    if (error instanceof InvalidOptionError && error.option.startsWith('options')) {
      throw new InvalidOptionError(path + error.option.slice('options'.length), error.message.slice(error.option.length + 2))
    }
    throw error
  }
}

/**
 * `tracking`: one ByteTrack-style tracker per camera on the detections of the stages before it
 * (`fromMotion: true`: on the motion gate's regions, for cameras without a detector), writing the
 * tracks rules and later stages read, and `object` events.
 *
 * ```yaml
 * stages:
 *   - motion
 *   - tracking: { fromMotion: true, lostTimeoutMs: 2000 }
 *   - rules
 * ```
 */
export const trackingProvider: StageProvider = {
  check(options, path) {
    void atPath(path, () => trackingStage(options as TrackingStageOptions)).close()
  },
  create(options) {
    return trackingStage(options as TrackingStageOptions)
  },
}
