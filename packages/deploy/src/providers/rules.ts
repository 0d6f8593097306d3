import { checkKnownKeys, checkBoolean } from '@oko/core'
import { rulesStage } from '@oko/rules'
import type { StageProvider } from '../stages.js'

/**
 * `rules`: evaluates each camera's `rules:` (lines, zones, speed, stop lines) on the tracks of
 * the `tracking` stage before it, in the camera's `timeZone`, and emits `rule` events. A camera
 * without rules passes its frames on untouched.
 *
 * ```yaml
 * stages: [motion, { tracking: { fromMotion: true } }, rules]
 * cameras:
 *   - url: crossing.mp4
 *     timeZone: Europe/Kyiv
 *     rules:
 *       - { name: northbound, type: line, line: [[0.1, 0.6], [0.9, 0.6]], direction: a-b, countEveryMinutes: 15 }
 * ```
 */
export const rulesProvider: StageProvider = {
  check(options, path) {
    checkKnownKeys(path, options, ['snapshots'])
    if (options.snapshots !== undefined) checkBoolean(`${path}.snapshots`, options.snapshots)
  },
  create(options, camera) {
    return rulesStage({ rules: camera.rules ?? [], ...(camera.timeZone ? { timeZone: camera.timeZone } : {}), ...(options.snapshots !== undefined ? { snapshots: options.snapshots as boolean } : {}) })
  },
}
