import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { InvalidOptionError, checkKnownKeys, checkNumber, checkOneOf, checkString } from '@oko/core'
import { DETECTOR_KEYS, ObjectDetectorPool, checkDetail, objectStage, resolveDetectorOptions, type DetectorOptions } from '@oko/objects'
import type { StageProvider } from '../stages.js'

/** Options that make the shared detector: deployment-wide, not per camera. */
const POOL_KEYS = DETECTOR_KEYS.filter((k) => k !== 'cacheDir')
const CAMERA_KEYS = ['fps', 'idleFps', 'within', 'detail']

/**
 * `objects`: detects vehicles and people behind the motion gate (MB3-CenterNet converted to ONNX
 * by default, or your own YOLO-family ONNX) on `threads` worker threads shared by every camera,
 * at most `fps` frames a second per camera (`idleFps`, default half, once the last 3 runs found
 * nothing where things moved), and adds the detections to each frame for the
 * stages after it (`tracking`, then plates in the vehicles, faces in the people).
 *
 * ```yaml
 * stages:
 *   - motion
 *   - objects: { classes: [car, bus, truck, person], fps: 5, threads: 1 }
 *   - tracking
 * ```
 */
export const objectsProvider: StageProvider = {
  check(options, path, context) {
    const perCamera = path.startsWith('cameras[')
    checkKnownKeys(path, options, perCamera ? CAMERA_KEYS : [...POOL_KEYS, ...CAMERA_KEYS])
    if (options.fps !== undefined) checkNumber(`${path}.fps`, options.fps, { min: 0, exclusiveMin: true, max: 1000 })
    if (options.idleFps !== undefined) checkNumber(`${path}.idleFps`, options.idleFps, { min: 0, exclusiveMin: true, max: 1000 })
    if (options.within !== undefined) checkOneOf(`${path}.within`, options.within, ['auto', 'motion', 'frame'] as const)
    if (options.detail !== undefined) checkDetail(`${path}.detail`, options.detail)
    if (perCamera) return options
    const out: Record<string, unknown> = { ...options }
    const base = context?.baseDir ?? process.cwd()
    if (typeof options.model === 'string' && options.model.endsWith('.onnx')) {
      out.model = resolve(base, options.model)
      if (!existsSync(out.model as string)) throw new InvalidOptionError(`${path}.model`, `${out.model as string} not found; give the path of your ONNX detector (relative to the config file), or centernet / nanodet`)
    }
    if (options.labels !== undefined) out.labels = resolve(base, checkString(`${path}.labels`, options.labels))
    resolveDetectorOptions(detectorInput(out), path)
    return out
  },
  async create(options, _camera, shared) {
    const input = detectorInput(options)
    const detector = await shared.once(`objects:detector:${JSON.stringify(input)}`, () => ObjectDetectorPool.create(input), (d) => d.close())
    const fps = options.fps as number | undefined
    const idleFps = options.idleFps as number | undefined
    const within = options.within as 'auto' | 'motion' | 'frame' | undefined
    const detail = options.detail as number | undefined
    // Cameras with the same settings share one stage (one fair edge onto the detector's threads).
    return shared.once(`objects:stage:${JSON.stringify({ input, fps, idleFps, within, detail })}`, () => objectStage({
      detector, ...(fps !== undefined ? { fps } : {}), ...(idleFps !== undefined ? { idleFps } : {}), ...(within ? { within } : {}), ...(detail !== undefined ? { detail } : {}),
    }), (s) => s.close())
  },
}

function detectorInput(options: Record<string, unknown>): DetectorOptions {
  return Object.fromEntries(Object.entries(options).filter(([k]) => POOL_KEYS.includes(k))) as DetectorOptions
}
