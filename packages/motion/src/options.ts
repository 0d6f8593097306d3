import {
  checkArray, checkKnownKeys, checkNumber, checkObject, checkString, InvalidOptionError, optionalNumber,
  type Point, type Polygon,
} from '@oko/core'
import type { KernelModule } from '@oko/wasm'

/** A named area of the picture whose motion is reported on its own. */
export interface MotionZone {
  readonly name: string
  /** Vertices as fractions [0, 1] of the frame's width and height. */
  readonly polygon: Polygon
  /** Pixel-change threshold inside the zone, grey levels (lower = more sensitive). Default: `threshold`. */
  readonly threshold?: number
  /** Fraction of the zone that must move for a hit, in [0, 1]. Default 0 (any moving region in it). */
  readonly minScore?: number
}

/** Camera-health checks. Durations are of the condition lasting, in stream time (ptsUs). */
export interface TamperOptions {
  /** Picture unchanged (mean |Δ| below 0.05 grey levels) this long → `frozen`. Default 5000. */
  readonly frozenMs?: number
  /** Picture almost uniform (std-dev below `coveredStd`) this long → `covered`. Default 2000. */
  readonly coveredMs?: number
  /** Std-dev of grey levels under which the lens counts as covered. Default 6. */
  readonly coveredStd?: number
  /** Sharpness below `defocusRatio` × the learned sharpness this long → `defocused`. Default 4000. */
  readonly defocusMs?: number
  /** Default 0.5. */
  readonly defocusRatio?: number
  /** Picture no longer correlates with the long-term scene this long → `moved`. Default 6000. */
  readonly movedMs?: number
  /** Correlation (−1..1) under which the scene counts as changed. Default 0.4. */
  readonly movedCorrelation?: number
}

export interface MotionOptions {
  /** Height the detector works at; frames are area-averaged down to it. Default 180. */
  readonly processingHeight?: number
  /** Grey-level change that counts as motion (1–254). Default 18. */
  readonly threshold?: number
  /** Pixels whose own noise is high need `noiseGain` × their mean deviation too (0–15). Default 3.5. */
  readonly noiseGain?: number
  /** Smallest region reported, as a fraction of the frame area. Default 0.0004. */
  readonly minRegionArea?: number
  /** Polygons to ignore (fractions of the frame). */
  readonly masks?: readonly Polygon[]
  readonly zones?: readonly MotionZone[]
  /** Fraction per frame the background moves towards the picture, (0, 0.5]. Default 0.02. */
  readonly learningRate?: number
  /** Learning rate under moving pixels, as a fraction of `learningRate`, [0, 1]. Default 0.1. */
  readonly foregroundLearning?: number
  /** Frames in a row with motion before `motion` is true. Default 2. */
  readonly minFrames?: number
  /** Changed fraction of the frame that means a lighting change (background reset), (0, 1]. Default 0.45. */
  readonly lightingChange?: number
  /** Camera-health checks, or false to turn them off. */
  readonly tamper?: TamperOptions | false
  /** A compiled kernel module to share between cameras. Default: one loaded for this detector. */
  readonly module?: KernelModule
}

export interface ResolvedZone {
  readonly name: string
  readonly polygon: Polygon
  readonly threshold: number
  readonly minScore: number
}

export interface ResolvedTamper {
  readonly frozenMs: number
  readonly coveredMs: number
  readonly coveredStd: number
  readonly defocusMs: number
  readonly defocusRatio: number
  readonly movedMs: number
  readonly movedCorrelation: number
}

export interface ResolvedMotionOptions {
  readonly processingHeight: number
  readonly threshold: number
  readonly noiseGain: number
  readonly minRegionArea: number
  readonly masks: readonly Polygon[]
  readonly zones: readonly ResolvedZone[]
  readonly learningRate: number
  readonly foregroundLearning: number
  readonly minFrames: number
  readonly lightingChange: number
  readonly tamper: ResolvedTamper | false
  readonly module: KernelModule | undefined
}

export const MOTION_OPTION_KEYS = [
  'processingHeight', 'threshold', 'noiseGain', 'minRegionArea', 'masks', 'zones', 'learningRate',
  'foregroundLearning', 'minFrames', 'lightingChange', 'tamper', 'module',
] as const

/** Validates options synchronously; errors name the option (`options.zones[1].threshold`). */
export function resolveMotionOptions(value: unknown, path = 'options', extraKeys: readonly string[] = []): ResolvedMotionOptions {
  const o = checkObject(path, value, {})
  checkKnownKeys(path, o, [...MOTION_OPTION_KEYS, ...extraKeys])
  const threshold = optionalNumber(`${path}.threshold`, o.threshold, 18, { min: 1, max: 254, integer: true })
  const zones = checkArray(`${path}.zones`, o.zones, []).map((z, i) => resolveZone(`${path}.zones[${i}]`, z, threshold))
  const names = new Set<string>()
  zones.forEach((z, i) => {
    if (names.has(z.name)) throw new InvalidOptionError(`${path}.zones[${i}].name`, `zone names must be unique, "${z.name}" appears twice`)
    names.add(z.name)
  })
  const module = o.module
  if (module !== undefined && (typeof module !== 'object' || module === null || typeof (module as KernelModule).instantiate !== 'function')) {
    throw new InvalidOptionError(`${path}.module`, 'expected a KernelModule from KernelModule.load()')
  }
  return {
    processingHeight: optionalNumber(`${path}.processingHeight`, o.processingHeight, 180, { min: 16, max: 2160, integer: true }),
    threshold,
    noiseGain: optionalNumber(`${path}.noiseGain`, o.noiseGain, 3.5, { min: 0, max: 15 }),
    minRegionArea: optionalNumber(`${path}.minRegionArea`, o.minRegionArea, 0.0004, { min: 0, max: 1 }),
    masks: checkArray(`${path}.masks`, o.masks, []).map((m, i) => checkPolygon(`${path}.masks[${i}]`, m)),
    zones,
    learningRate: optionalNumber(`${path}.learningRate`, o.learningRate, 0.02, { min: 0, max: 0.5, exclusiveMin: true }),
    foregroundLearning: optionalNumber(`${path}.foregroundLearning`, o.foregroundLearning, 0.1, { min: 0, max: 1 }),
    minFrames: optionalNumber(`${path}.minFrames`, o.minFrames, 2, { min: 1, max: 1000, integer: true }),
    lightingChange: optionalNumber(`${path}.lightingChange`, o.lightingChange, 0.45, { min: 0, max: 1, exclusiveMin: true }),
    tamper: resolveTamper(`${path}.tamper`, o.tamper),
    module: module as KernelModule | undefined,
  }
}

function resolveZone(path: string, value: unknown, threshold: number): ResolvedZone {
  const z = checkObject(path, value)
  checkKnownKeys(path, z, ['name', 'polygon', 'threshold', 'minScore'])
  return {
    name: checkString(`${path}.name`, z.name),
    polygon: checkPolygon(`${path}.polygon`, z.polygon),
    threshold: optionalNumber(`${path}.threshold`, z.threshold, threshold, { min: 1, max: 254, integer: true }),
    minScore: optionalNumber(`${path}.minScore`, z.minScore, 0, { min: 0, max: 1 }),
  }
}

function resolveTamper(path: string, value: unknown): ResolvedTamper | false {
  if (value === false) return false
  const t = checkObject(path, value, {})
  checkKnownKeys(path, t, ['frozenMs', 'coveredMs', 'coveredStd', 'defocusMs', 'defocusRatio', 'movedMs', 'movedCorrelation'])
  const ms = { min: 0, max: 86_400_000 }
  return {
    frozenMs: optionalNumber(`${path}.frozenMs`, t.frozenMs, 5000, ms),
    coveredMs: optionalNumber(`${path}.coveredMs`, t.coveredMs, 2000, ms),
    coveredStd: optionalNumber(`${path}.coveredStd`, t.coveredStd, 6, { min: 0, max: 128 }),
    defocusMs: optionalNumber(`${path}.defocusMs`, t.defocusMs, 4000, ms),
    defocusRatio: optionalNumber(`${path}.defocusRatio`, t.defocusRatio, 0.5, { min: 0, max: 1 }),
    movedMs: optionalNumber(`${path}.movedMs`, t.movedMs, 6000, ms),
    movedCorrelation: optionalNumber(`${path}.movedCorrelation`, t.movedCorrelation, 0.4, { min: -1, max: 1 }),
  }
}

/** A polygon of at least 3 points, each inside the frame ([0, 1] fractions). */
export function checkPolygon(path: string, value: unknown): Polygon {
  const points = checkArray(path, value)
  if (points.length < 3) throw new InvalidOptionError(path, `expected a polygon of at least 3 points, received ${points.length}`)
  return points.map((p, i): Point => {
    const q = checkObject(`${path}[${i}]`, p)
    checkKnownKeys(`${path}[${i}]`, q, ['x', 'y'])
    return { x: checkNumber(`${path}[${i}].x`, q.x, { min: 0, max: 1 }), y: checkNumber(`${path}[${i}].y`, q.y, { min: 0, max: 1 }) }
  })
}
