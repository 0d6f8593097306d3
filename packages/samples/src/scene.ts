import { checkArray, checkNumber, checkObject, checkOneOf, checkString, InvalidOptionError } from '@oko/core'
import { PLATE_GLYPHS } from './plate.js'

/** Something that moves through the scene in a straight line at constant speed. */
export interface SceneObject {
  readonly id: string
  readonly kind: 'person' | 'car'
  /** Size in pixels. */
  readonly width: number
  readonly height: number
  /** Top-left corner at `fromFrame` and at `toFrame`, in pixels. */
  readonly from: { readonly x: number; readonly y: number }
  readonly to: { readonly x: number; readonly y: number }
  readonly fromFrame: number
  readonly toFrame: number
  /** Mean luma of the object, 0..255 (its colour when `colour` is not given). */
  readonly luma: number
  /** Body colour of a car, jacket of a person, [r, g, b]. Default: a tint of `luma`. */
  readonly colour?: readonly [number, number, number]
  /** How a car is seen. Default: from the side when it moves more across than up or down, else its front (coming down) or rear. */
  readonly view?: 'side' | 'front' | 'rear' | 'front-quarter' | 'rear-quarter'
  /** A car's number plate (front and rear views): text of PLATE_GLYPHS, `ua` (flag band) or `eu` style. */
  readonly plate?: { readonly text: string; readonly style: 'ua' | 'eu' }
  /**
   * Waypoints between `from` (at `fromFrame`) and `to` (at `toFrame`), frames increasing: the
   * object moves in straight lines from one to the next at constant speed, so two waypoints at
   * the same place are a stop. Default none (one straight line).
   */
  readonly via?: readonly SceneWaypoint[]
}

/** Where an object's top-left corner is at frame `frame`, in pixels. */
export interface SceneWaypoint {
  readonly frame: number
  readonly x: number
  readonly y: number
}

/** Something static drawn in front of the objects (a bus shelter, a wall, a tree): objects behind it are hidden. */
export interface SceneOccluder {
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
  /** Mean luma, 0..255 (drawn with a brick-like texture). */
  readonly luma: number
}

/** From `atFrame` on, every pixel becomes `pixel × gain + offset` (lights on/off, IR day/night switch). */
export interface LightingChange {
  readonly atFrame: number
  readonly gain: number
  readonly offset: number
  /** IR night mode: colour is dropped (chroma neutral) from this change on. */
  readonly infrared?: boolean
}

/** A traffic light's lamp: a square that shows a colour from each `at` frame on (the last one wins). */
export interface SceneLamp {
  readonly x: number
  readonly y: number
  /** Side in pixels (even). */
  readonly size: number
  readonly states: readonly { readonly fromFrame: number; readonly colour: 'red' | 'amber' | 'green' }[]
  /** Draw the light's dark housing and its pole around the lamp (into the background). */
  readonly housing?: boolean
}

export interface SceneSpec {
  readonly width: number
  readonly height: number
  readonly fps: number
  readonly frames: number
  readonly seed: number
  /** Standard deviation of per-pixel sensor noise, in luma levels. */
  readonly noiseSigma: number
  /** Rain: expected number of short bright streaks per frame. */
  readonly rainStreaksPerFrame: number
  readonly objects: readonly SceneObject[]
  readonly lighting: readonly LightingChange[]
  /** Traffic-light lamps drawn over everything. */
  readonly lamps?: readonly SceneLamp[]
  /** `street` (default): sky, buildings and a road across the lower half; `road`: a two-lane road seen from its kerb, with a stop line and a zebra (see cityScene). */
  readonly background?: 'street' | 'road'
  /** Static things drawn over the objects (not over the lamps). */
  readonly occluders?: readonly SceneOccluder[]
}

/** The street scene used by `oko demo` and the tests: a walker, a car, then the lights change. */
export function streetScene(options: { width?: number; height?: number; fps?: number; seed?: number } = {}): SceneSpec {
  const width = options.width ?? 640
  const height = options.height ?? 360
  const fps = options.fps ?? 15
  const s = height / 360
  return {
    width, height, fps, frames: fps * 12, seed: options.seed ?? 7, noiseSigma: 3, rainStreaksPerFrame: 0,
    objects: [
      { id: 'walker', kind: 'person', width: Math.round(24 * s), height: Math.round(64 * s),
        from: { x: Math.round(40 * s), y: Math.round(220 * s) }, to: { x: Math.round(560 * s), y: Math.round(230 * s) },
        fromFrame: fps * 1, toFrame: fps * 8, luma: 60 },
      { id: 'car', kind: 'car', width: Math.round(120 * s), height: Math.round(56 * s),
        from: { x: Math.round(600 * s) - Math.round(120 * s), y: Math.round(120 * s) }, to: { x: Math.round(10 * s), y: Math.round(110 * s) },
        fromFrame: fps * 4, toFrame: fps * 7, luma: 200 },
    ],
    lighting: [{ atFrame: fps * 9, gain: 0.55, offset: 10, infrared: true }],
  }
}

/** Checks a scene; errors name the field. */
export function checkScene(value: unknown): SceneSpec {
  const o = checkObject('scene', value)
  const width = checkNumber('scene.width', o.width, { min: 16, max: 7680, integer: true })
  const height = checkNumber('scene.height', o.height, { min: 16, max: 4320, integer: true })
  if (width % 2 || height % 2) throw new InvalidOptionError('scene.width', `width and height must be even for yuv420p, received ${width}×${height}`)
  checkNumber('scene.fps', o.fps, { min: 1, max: 120 })
  checkNumber('scene.frames', o.frames, { min: 1, max: 100_000, integer: true })
  checkNumber('scene.seed', o.seed, { integer: true })
  checkNumber('scene.noiseSigma', o.noiseSigma, { min: 0, max: 64 })
  checkNumber('scene.rainStreaksPerFrame', o.rainStreaksPerFrame, { min: 0, max: 10_000 })
  checkArray('scene.objects', o.objects).forEach((obj, i) => {
    const p = `scene.objects[${i}]`
    const b = checkObject(p, obj)
    checkString(`${p}.id`, b.id)
    checkOneOf(`${p}.kind`, b.kind, ['person', 'car'] as const)
    checkNumber(`${p}.width`, b.width, { min: 1, max: width, integer: true })
    checkNumber(`${p}.height`, b.height, { min: 1, max: height, integer: true })
    checkNumber(`${p}.fromFrame`, b.fromFrame, { min: 0, integer: true })
    checkNumber(`${p}.toFrame`, b.toFrame, { min: Number(b.fromFrame) + 1, integer: true })
    checkNumber(`${p}.luma`, b.luma, { min: 0, max: 255 })
    if (b.colour !== undefined) checkArray(`${p}.colour`, b.colour).forEach((c, k) => checkNumber(`${p}.colour[${k}]`, c, { min: 0, max: 255 }))
    if (b.view !== undefined) checkOneOf(`${p}.view`, b.view, ['side', 'front', 'rear', 'front-quarter', 'rear-quarter'] as const)
    if (b.plate !== undefined) {
      const plate = checkObject(`${p}.plate`, b.plate)
      const text = checkString(`${p}.plate.text`, plate.text)
      const bad = [...text].find((ch) => !PLATE_GLYPHS.includes(ch))
      if (bad !== undefined) throw new InvalidOptionError(`${p}.plate.text`, `no glyph for ${JSON.stringify(bad)}; available: ${PLATE_GLYPHS}`)
      checkOneOf(`${p}.plate.style`, plate.style, ['ua', 'eu'] as const)
    }
    let after = Number(b.fromFrame)
    checkArray(`${p}.via`, b.via, []).forEach((w, j) => {
      const q = `${p}.via[${j}]`
      const v = checkObject(q, w)
      after = checkNumber(`${q}.frame`, v.frame, { min: after, max: Number(b.toFrame), integer: true })
      checkNumber(`${q}.x`, v.x)
      checkNumber(`${q}.y`, v.y)
    })
  })
  checkArray('scene.occluders', o.occluders, []).forEach((occ, i) => {
    const p = `scene.occluders[${i}]`
    const b = checkObject(p, occ)
    checkNumber(`${p}.x`, b.x, { min: 0, max: width - 1, integer: true })
    checkNumber(`${p}.y`, b.y, { min: 0, max: height - 1, integer: true })
    checkNumber(`${p}.width`, b.width, { min: 1, max: width - Number(b.x), integer: true })
    checkNumber(`${p}.height`, b.height, { min: 1, max: height - Number(b.y), integer: true })
    checkNumber(`${p}.luma`, b.luma, { min: 0, max: 255 })
  })
  if (o.background !== undefined) checkOneOf('scene.background', o.background, ['street', 'road'] as const)
  checkArray('scene.lighting', o.lighting).forEach((l, i) => {
    const b = checkObject(`scene.lighting[${i}]`, l)
    checkNumber(`scene.lighting[${i}].atFrame`, b.atFrame, { min: 0, integer: true })
    checkNumber(`scene.lighting[${i}].gain`, b.gain, { min: 0, max: 8 })
    checkNumber(`scene.lighting[${i}].offset`, b.offset, { min: -255, max: 255 })
  })
  return value as SceneSpec
}
