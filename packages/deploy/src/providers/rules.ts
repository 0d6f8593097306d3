import { checkKnownKeys, checkBoolean } from '@oko/core'
import { rulesStage, type RuleEngine, type RulesStage } from '@oko/rules'
import type { StageProvider, StageRegistry } from '../stages.js'

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

/**
 * The registry with its `rules` stage telling `onEngine` of each camera's rule engine as the stage
 * is made; what `onEngine` returns runs when that stage closes. For whoever drives or reads the
 * engines from outside the pipeline (external lights, `oko count --config`).
 */
export function watchRuleEngines(registry: StageRegistry, onEngine: (cameraId: string, engine: RuleEngine) => (() => void) | void): StageRegistry {
  const rules = registry.rules
  if (!rules) return registry
  return {
    ...registry,
    rules: {
      ...rules,
      create: async (options, camera, shared) => {
        const stage = (await rules.create(options, camera, shared)) as RulesStage
        const release = onEngine(camera.id, stage.engine)
        if (!release) return stage
        const close = stage.close.bind(stage)
        return Object.assign(stage, { close: () => { release(); return close() } })
      },
    },
  }
}
