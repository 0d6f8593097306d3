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
 * Defaults for the `objects` detector's scores: MB3-CenterNet scores clear cars and people at
 * 0.35–0.6 (its detections arrive from 0.35, `objects.scoreThreshold`), below ByteTrack's 0.5/0.6.
 */
const DETECTOR_DEFAULTS: TrackingStageOptions = { snapshots: false, highScore: 0.4, newTrackScore: 0.45 }

/**
 * `tracking`: one tracker per camera over the detections of the stages before it (ByteTrack-style,
 * predicting by timestamp through frames the gate stopped or the detector skipped), writes the
 * tracks to each frame for the stages after it (rules, attributes, plates) and emits `object`
 * events (start, update, end). `fromMotion: true` tracks the motion gate's regions instead, for
 * cameras without a detector. Snapshots (the best view of each object) are opt-in, as for plates
 * and faces: people are personal data. Any option may be set per camera.
 *
 * ```yaml
 * stages:
 *   - motion
 *   - objects
 *   - tracking: { lostTimeoutMs: 2000, updateIntervalMs: 1000, snapshots: true }
 *   - rules
 * ```
 */
export const trackingProvider: StageProvider = {
  check(options, path) {
    void atPath(path, () => trackingStage(options as TrackingStageOptions)).close()
  },
  create(options) {
    const o = options as TrackingStageOptions
    return trackingStage(o.fromMotion ? o : { ...DETECTOR_DEFAULTS, ...o })
  },
}
