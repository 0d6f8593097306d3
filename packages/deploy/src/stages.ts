import type { MotionStageOptions } from '@oko/motion'
import { motionStage, resolveMotionOptions } from '@oko/motion'
import type { StageLike } from '@oko/pipeline'
import type { KernelModule } from '@oko/wasm'
import { facesProvider } from './providers/faces.js'
import { platesProvider } from './providers/plates.js'
import type { CameraConfig } from './schema.js'

/**
 * What the stages of a deployment share: one kernel module for every camera's motion detector,
 * and `once()` for anything else made once per deployment (a model pool, a reader) and closed
 * when the run ends. Per-camera state over time (plate tracks) uses the stages' own `tick` and
 * `flush`, which the pipeline calls.
 */
export interface SharedResources {
  readonly module?: KernelModule
  once<T>(key: string, make: () => Promise<T>, close?: (value: T) => Promise<void>): Promise<T>
}

/** A stage that configs can name. */
export interface StageProvider {
  /**
   * Validates options synchronously; throws InvalidOptionError naming `path` (`stages[1].plates`,
   * or `cameras[0].stages.plates` for a camera's own options). May return normalized options
   * (file paths resolved against `context.baseDir`, the config file's folder).
   */
  check(options: Record<string, unknown>, path: string, context?: { readonly baseDir: string }): void | Record<string, unknown>
  /**
   * A model stage that consumes the gated frames and only emits events (passes nothing on).
   * Branch stages come after the others; several run side by side on the same frames (fan-out).
   */
  readonly branch?: boolean
  /** Validates what a camera adds (masks, zones) for this stage. */
  checkCamera?(camera: CameraConfig, path: string): void
  /**
   * Makes the stage for one camera: a Stage (per-camera state), or a workerStage(...) — return the
   * same worker stage for every camera (make it with `shared.once`) so cameras share its pool fairly.
   */
  create(options: Record<string, unknown>, camera: CameraConfig, shared: SharedResources): StageLike<unknown, unknown> | Promise<StageLike<unknown, unknown>>
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
    return motionStage(merged) as StageLike<unknown, unknown>
  },
}

/** The stages `oko run` knows by name: `motion` (the gate), `plates` and `faces` (model branches). */
export function defaultStages(): StageRegistry {
  return { motion: motionProvider, plates: platesProvider, faces: facesProvider }
}
