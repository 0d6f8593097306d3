import type { MotionStageOptions } from '@oko/motion'
import { motionStage, resolveMotionOptions } from '@oko/motion'
import type { Stage } from '@oko/core'
import type { WorkerStage } from '@oko/pipeline'
import { attributesProvider } from './providers/attributes.js'
import { facesProvider } from './providers/faces.js'
import { objectsProvider } from './providers/objects.js'
import { platesProvider } from './providers/plates.js'
import { rulesProvider } from './providers/rules.js'
import { trackingProvider } from './providers/tracking.js'
import type { SharedResources } from './resources.js'
import type { CameraConfig } from './schema.js'

export type { SharedResources } from './resources.js'

/** A stage that configs can name. */
export interface StageProvider {
  /**
   * Validates options synchronously; throws InvalidOptionError naming `path` (`stages[1].plates`,
   * or `cameras[0].stages.plates` for a camera's own options). May return normalized options
   * (file paths resolved against `context.baseDir`, the config file's folder).
   */
  check(options: Record<string, unknown>, path: string, context?: { readonly baseDir: string }): void | Record<string, unknown>
  /** Validates what a camera adds (masks, zones) for this stage. */
  checkCamera?(camera: CameraConfig, path: string): void
  /**
   * Makes the stage for one camera (the deployment's options merged with the camera's own): a
   * Stage of its own (closed when the camera leaves), or a worker stage shared by cameras (make it
   * with `shared.once`, which also closes it with the last camera that used it).
   */
  create(options: Record<string, unknown>, camera: CameraConfig, shared: SharedResources): Stage | WorkerStage | Promise<Stage | WorkerStage>
}

export type StageRegistry = Readonly<Record<string, StageProvider>>

export const motionProvider: StageProvider = {
  check(options, path) {
    resolveMotionOptions(options, path, ['eventIntervalMs'])
  },
  checkCamera(camera, path) {
    if (camera.masks.length + camera.zones.length > 0) resolveMotionOptions({ masks: camera.masks, zones: camera.zones }, path)
  },
  create(options, camera, shared) {
    const merged: MotionStageOptions = {
      ...(options as MotionStageOptions),
      ...(camera.masks.length > 0 ? { masks: camera.masks } : {}),
      ...(camera.zones.length > 0 ? { zones: camera.zones } : {}),
      ...(shared.module ? { module: shared.module } : {}),
    }
    return motionStage(merged)
  },
}

/** The stages `oko run` knows by name: `motion` (the gate), `objects`, `tracking`, `attributes`, `rules`, `plates` and `faces`. */
export function defaultStages(): StageRegistry {
  return { motion: motionProvider, objects: objectsProvider, tracking: trackingProvider, attributes: attributesProvider, rules: rulesProvider, plates: platesProvider, faces: facesProvider }
}
