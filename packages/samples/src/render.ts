import type { Rect } from '@oko/core'
import { drawOccludersChroma, drawOccludersLuma, positionAt, visibleShare } from './path.js'
import { Random } from './random.js'
import type { SceneLamp, SceneObject, SceneSpec } from './scene.js'
import { checkScene } from './scene.js'

export interface ObjectTruth {
  readonly id: string
  readonly kind: SceneObject['kind']
  /** Where the object is in this frame, in pixels, clipped to the frame. */
  readonly box: Rect
  /** The share of the box no occluder hides, 0..1. */
  readonly visible: number
}

/** What is true of one frame: which objects are where, and whether the lighting just changed. */
export interface FrameTruth {
  readonly index: number
  readonly ptsUs: number
  readonly objects: readonly ObjectTruth[]
  /** A lighting change takes effect in this frame (motion here is not real motion). */
  readonly lightingChange: boolean
}

/** Renders the frames of a scene; any frame can be rendered on its own, in any order. */
export class SceneRenderer {
  readonly scene: SceneSpec
  readonly #background: Uint8Array
  readonly #chroma: Uint8Array

  constructor(scene: SceneSpec) {
    this.scene = checkScene(scene)
    this.#background = texture(scene.width, scene.height, scene.seed)
    this.#chroma = chromaBlocks(scene.width / 2, scene.height / 2)
  }

  /** Ground truth of frame `index`. */
  truth(index: number): FrameTruth {
    const { scene } = this
    const objects: ObjectTruth[] = []
    for (const o of scene.objects) {
      const box = objectBox(o, index, scene.width, scene.height)
      if (box) objects.push({ id: o.id, kind: o.kind, box, visible: visibleShare(box, scene.occluders ?? []) })
    }
    return {
      index,
      ptsUs: Math.round((index * 1e6) / scene.fps),
      objects,
      lightingChange: scene.lighting.some((l) => l.atFrame === index),
    }
  }

  /** Writes the luma plane of frame `index` into `out` (rows `stride` bytes apart). */
  renderLuma(index: number, out: Uint8Array, stride = this.scene.width): void {
    const { width, height, noiseSigma, rainStreaksPerFrame, seed } = this.scene
    const random = new Random(seed * 1_000_003 + index)
    const bg = this.#background
    for (let y = 0; y < height; y++) {
      const row = y * stride
      for (let x = 0; x < width; x++) out[row + x] = bg[y * width + x]!
    }
    for (const o of this.scene.objects) {
      const box = objectBox(o, index, width, height)
      if (!box) continue
      for (let y = box.y; y < box.y + box.height; y++) {
        for (let x = box.x; x < box.x + box.width; x++) {
          out[y * stride + x] = clamp(o.luma + ((((x >> 2) ^ (y >> 3)) & 1) ? 22 : -22))
        }
      }
    }
    drawOccludersLuma(this.scene.occluders ?? [], out, stride)
    for (const lamp of this.scene.lamps ?? []) {
      const colour = lampAt(lamp, index)
      if (!colour) continue
      for (let y = lamp.y; y < lamp.y + lamp.size; y++) for (let x = lamp.x; x < lamp.x + lamp.size; x++) out[y * stride + x] = LAMP_YUV[colour][0]
    }
    for (let i = 0; i < rainStreaksPerFrame; i++) {
      const x = Math.floor(random.next() * width)
      const y0 = Math.floor(random.next() * height)
      const length = 6 + Math.floor(random.next() * 7)
      for (let y = y0; y < Math.min(height, y0 + length); y++) out[y * stride + x] = clamp(out[y * stride + x]! + 60)
    }
    const { gain, offset } = this.#lightingAt(index)
    for (let y = 0; y < height; y++) {
      const row = y * stride
      for (let x = 0; x < width; x++) {
        const noise = noiseSigma > 0 ? random.gaussian() * noiseSigma : 0
        out[row + x] = clamp(out[row + x]! * gain + offset + noise)
      }
    }
  }

  /** Writes frame `index` as tightly packed yuv420p (Y, then U, then V) into `out`. */
  renderYuv420(index: number, out: Uint8Array): void {
    const { width, height } = this.scene
    this.renderLuma(index, out, width)
    const cw = width / 2
    const ch = height / 2
    const u = out.subarray(width * height, width * height + cw * ch)
    const v = out.subarray(width * height + cw * ch, width * height + 2 * cw * ch)
    if (this.#lightingAt(index).infrared) {
      u.fill(128)
      v.fill(128)
      return
    }
    u.set(this.#chroma)
    v.set(this.#chroma)
    for (const o of this.scene.objects) {
      const box = objectBox(o, index, width, height)
      if (!box) continue
      const [du, dv] = o.kind === 'car' ? [-20, 50] : [40, -10]
      for (let y = box.y >> 1; y < (box.y + box.height) >> 1; y++) {
        for (let x = box.x >> 1; x < (box.x + box.width) >> 1; x++) {
          u[y * cw + x] = 128 + du
          v[y * cw + x] = 128 + dv
        }
      }
    }
    drawOccludersChroma(this.scene.occluders ?? [], u, v, cw)
    this.#lampsChroma(index, u, v, cw)
  }

  #lampsChroma(index: number, u: Uint8Array, v: Uint8Array, cw: number): void {
    for (const lamp of this.scene.lamps ?? []) {
      const colour = lampAt(lamp, index)
      if (!colour) continue
      for (let y = lamp.y >> 1; y < (lamp.y + lamp.size) >> 1; y++) {
        for (let x = lamp.x >> 1; x < (lamp.x + lamp.size) >> 1; x++) {
          u[y * cw + x] = LAMP_YUV[colour][1]
          v[y * cw + x] = LAMP_YUV[colour][2]
        }
      }
    }
  }

  #lightingAt(index: number): { gain: number; offset: number; infrared: boolean } {
    let gain = 1
    let offset = 0
    let infrared = false
    for (const l of this.scene.lighting) {
      if (l.atFrame > index) continue
      gain *= l.gain
      offset = offset * l.gain + l.offset
      infrared = l.infrared ?? infrared
    }
    return { gain, offset, infrared }
  }
}

function objectBox(o: SceneObject, index: number, width: number, height: number): Rect | undefined {
  const at = positionAt(o, index)
  if (!at) return undefined
  const { x: x0, y: y0 } = at
  const x = Math.max(0, x0)
  const y = Math.max(0, y0)
  const x1 = Math.min(width, x0 + o.width)
  const y1 = Math.min(height, y0 + o.height)
  return x1 > x && y1 > y ? { x, y, width: x1 - x, height: y1 - y } : undefined
}

/** BT.601 limited-range Y, U, V of lit lamps (red 230,30,30; amber 250,170,20; green 30,220,90). */
const LAMP_YUV = { red: [93, 98, 216], amber: [168, 50, 174], green: [143, 99, 54] } as const

function lampAt(lamp: SceneLamp, index: number): SceneLamp['states'][number]['colour'] | undefined {
  let colour: SceneLamp['states'][number]['colour'] | undefined
  for (const s of lamp.states) if (s.fromFrame <= index) colour = s.colour
  return colour
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v)
}

/** A static street-like background: sky gradient, building blocks with windows, a textured road. */
function texture(width: number, height: number, seed: number): Uint8Array {
  const out = new Uint8Array(width * height)
  const random = new Random(seed)
  const blocks = Array.from({ length: 8 }, () => ({
    x: random.next() * width, w: (0.08 + random.next() * 0.15) * width,
    top: (0.1 + random.next() * 0.25) * height, luma: 70 + random.next() * 90,
  }))
  const horizon = Math.round(height * 0.55)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 150 + 40 * (1 - y / horizon)
      if (y >= horizon) {
        v = 95 + 12 * Math.sin(x * 0.21) * Math.sin(y * 0.37) + ((x * 7 + y * 13) % 17) - 8
      } else {
        for (const b of blocks) {
          if (x >= b.x && x < b.x + b.w && y >= b.top) {
            const window = (Math.floor((x - b.x) / 9) % 2 === 0 && Math.floor(y / 11) % 2 === 0)
            v = b.luma + (window ? 35 : 0)
          }
        }
      }
      out[y * width + x] = clamp(v)
    }
  }
  return out
}

function chromaBlocks(cw: number, ch: number): Uint8Array {
  const out = new Uint8Array(cw * ch)
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) out[y * cw + x] = 128 + ((Math.floor(x / 40) + Math.floor(y / 30)) % 3) * 6 - 6
  return out
}
