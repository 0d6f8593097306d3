import type { Rect } from '@oko/core'
import { drawOccludersChroma, drawOccludersLuma, positionAt, visibleShare } from './path.js'
import { Random } from './random.js'
import type { SceneLamp, SceneObject, SceneSpec } from './scene.js'
import { checkScene } from './scene.js'
import { drawCar, drawWalker, type Rgb, type Sprite } from './sprites.js'

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
  /** The sprites of the frame last drawn (luma and chroma of one frame draw the same ones). */
  #drawn: { index: number; sprites: Placed[] } | undefined
  /** Sprites drawn so far, by object and pose (a car has one, a walker one per step of its gait). */
  readonly #looks = new Map<string, Sprite>()

  constructor(scene: SceneSpec) {
    this.scene = checkScene(scene)
    this.#background = scene.background === 'road' ? roadTexture(scene) : texture(scene.width, scene.height, scene.seed)
    this.#chroma = scene.background === 'road' ? new Uint8Array((scene.width / 2) * (scene.height / 2)).fill(128) : chromaBlocks(scene.width / 2, scene.height / 2)
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
    for (const { sprite, x0, y0 } of this.#sprites(index)) {
      for (let sy = Math.max(0, -y0); sy < sprite.height && y0 + sy < height; sy++) {
        for (let sx = Math.max(0, -x0); sx < sprite.width && x0 + sx < width; sx++) {
          const a = sprite.alpha[sy * sprite.width + sx]!
          if (a === 0) continue
          const i = 3 * (sy * sprite.width + sx)
          const luma = 16 + 0.257 * sprite.rgb[i]! + 0.504 * sprite.rgb[i + 1]! + 0.098 * sprite.rgb[i + 2]!
          const o = (y0 + sy) * stride + x0 + sx
          out[o] = clamp(out[o]! * (1 - a) + luma * a)
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
    for (const placed of this.#sprites(index)) spriteChroma(placed, u, v, cw, ch)
    drawOccludersChroma(this.scene.occluders ?? [], u, v, cw)
    this.#lampsChroma(index, u, v, cw)
  }

  /** The objects of frame `index` drawn as sprites, with their top-left corners (may be outside the frame). */
  #sprites(index: number): Placed[] {
    if (this.#drawn?.index === index) return this.#drawn.sprites
    const sprites: Placed[] = []
    for (const o of this.scene.objects) {
      if (!objectBox(o, index, this.scene.width, this.scene.height)) continue
      const { x0, y0 } = objectCorner(o, index)
      const key = `${this.scene.objects.indexOf(o)} ${poseOf(o, index)}`
      let sprite = this.#looks.get(key)
      if (!sprite) this.#looks.set(key, (sprite = drawObject(o, index)))
      sprites.push({ sprite, x0, y0 })
    }
    this.#drawn = { index, sprites }
    return sprites
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

interface Placed { readonly sprite: Sprite; readonly x0: number; readonly y0: number }

function objectCorner(o: SceneObject, index: number): { x0: number; y0: number } {
  const at = positionAt(o, Math.max(o.fromFrame, Math.min(o.toFrame, index)))!
  return { x0: at.x, y0: at.y }
}

/** Walkers are drawn in this many poses per stride. */
const GAIT_POSES = 16

/** Which of its poses an object shows in frame `index`: one stride (two steps) per 1.4 body heights walked. */
function poseOf(o: SceneObject, index: number): number {
  if (o.kind === 'car') return 0
  const { x0, y0 } = objectCorner(o, index)
  const walked = Math.hypot(x0 - o.from.x, y0 - o.from.y)
  return Math.floor(((walked / (1.4 * o.height)) % 1) * GAIT_POSES)
}

/** A car or a walker as it looks in frame `index`: facing where it goes, a walker in its gait's pose. */
function drawObject(o: SceneObject, index: number): Sprite {
  const dx = o.to.x - o.from.x, dy = o.to.y - o.from.y
  const facingRight = dx >= 0
  if (o.kind === 'car') {
    const view = o.view ?? (Math.abs(dx) >= Math.abs(dy) ? 'side' : dy > 0 ? 'front' : 'rear')
    const colour: Rgb = o.colour ?? [clamp(o.luma * 1.1), clamp(o.luma * 0.92), clamp(o.luma * 0.86)]
    return drawCar(o.width, o.height, { colour, view, facingRight, ...(o.plate ? { plate: o.plate } : {}) })
  }
  const jacket: Rgb = o.colour ?? [clamp(o.luma * 0.8), clamp(o.luma * 0.95), clamp(o.luma * 1.35)]
  return drawWalker(o.width, o.height, { jacket, trousers: [40, 42, 55], phase: poseOf(o, index) / GAIT_POSES, facingRight })
}

/** Blends a sprite's colour (its 2×2 blocks' mean, by coverage) into the chroma planes. */
function spriteChroma({ sprite, x0, y0 }: Placed, u: Uint8Array, v: Uint8Array, cw: number, ch: number): void {
  const cx0 = Math.max(0, Math.floor(x0 / 2)), cy0 = Math.max(0, Math.floor(y0 / 2))
  const cx1 = Math.min(cw, Math.ceil((x0 + sprite.width) / 2)), cy1 = Math.min(ch, Math.ceil((y0 + sprite.height) / 2))
  for (let cy = cy0; cy < cy1; cy++) {
    for (let cx = cx0; cx < cx1; cx++) {
      let a = 0, r = 0, g = 0, b = 0
      for (let d = 0; d < 4; d++) {
        const sx = 2 * cx + (d & 1) - x0, sy = 2 * cy + (d >> 1) - y0
        if (sx < 0 || sy < 0 || sx >= sprite.width || sy >= sprite.height) continue
        const ai = sprite.alpha[sy * sprite.width + sx]!
        const i = 3 * (sy * sprite.width + sx)
        a += ai; r += sprite.rgb[i]! * ai; g += sprite.rgb[i + 1]! * ai; b += sprite.rgb[i + 2]! * ai
      }
      if (a === 0) continue
      r /= a; g /= a; b /= a
      const k = a / 4, o = cy * cw + cx
      u[o] = clamp(u[o]! * (1 - k) + (128 - 0.148 * r - 0.291 * g + 0.439 * b) * k)
      v[o] = clamp(v[o]! * (1 - k) + (128 + 0.439 * r - 0.368 * g - 0.071 * b) * k)
    }
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

/**
 * A two-lane road seen from its kerb (at 960×540; other sizes scale): a wall and the far pavement
 * above 160 px, the far lane 170–335, a dashed centre line, the near lane 340–500, the near kerb;
 * a stop line across the near lane at x 620 and a zebra after it; each lamp's housing and pole.
 */
function roadTexture(scene: SceneSpec): Uint8Array {
  const { width, height } = scene
  const out = new Uint8Array(width * height)
  const sx = width / 960, sy = height / 540
  const random = new Random(scene.seed)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const X = x / sx, Y = y / sy
      let v = 88 + random.next() * 6 - 3 + 5 * Math.sin(X * 0.013 + Y * 0.05) + 3 * Math.sin(X * 0.11) * Math.sin(Y * 0.17)
      if (Y < 50) v = 120 + ((Math.floor(X / 60) + Math.floor(Y / 25)) % 2 ? 8 : -8) + (X % 120 > 20 && X % 120 < 90 && Y > 8 && Y < 42 ? -45 : 0)
      else if (Y < 160) v = 150 + ((Math.floor(X / 40) + Math.floor(Y / 40)) % 2 ? 6 : -6) + (X % 40 < 2 || Y % 40 < 2 ? -30 : 0)
      else if (Y < 170 || (Y >= 500 && Y < 512)) v = 178
      else if (Y >= 512) v = 150 + ((Math.floor(X / 40) + Math.floor(Y / 40)) % 2 ? 6 : -6) + (X % 40 < 2 || Y % 40 < 2 ? -30 : 0)
      else if (Math.abs(Y - 337) < 3 && X % 90 < 50) v = 215
      else if (Y >= 340 && Math.abs(X - 620) < 5) v = 220
      else if (X >= 640 && X < 720 && (Y - 170) % 50 < 28) v = 210
      out[y * width + x] = clamp(v)
    }
  }
  for (const lamp of scene.lamps ?? []) {
    if (!lamp.housing) continue
    const pad = Math.round(lamp.size / 4)
    const fill = (x0: number, y0: number, x1: number, y1: number, v: number) => {
      for (let y = Math.max(0, y0); y < Math.min(height, y1); y++) for (let x = Math.max(0, x0); x < Math.min(width, x1); x++) out[y * width + x] = v
    }
    fill(lamp.x + lamp.size / 2 - 3, lamp.y, lamp.x + lamp.size / 2 + 3, Math.round(165 * sy), 70)
    fill(lamp.x - pad, lamp.y - pad, lamp.x + lamp.size + pad, lamp.y + 3 * lamp.size + 2 * pad, 30)
    fill(lamp.x, lamp.y + lamp.size + pad, lamp.x + lamp.size, lamp.y + 2 * lamp.size + pad, 45)
    fill(lamp.x, lamp.y + 2 * lamp.size + 2 * pad, lamp.x + lamp.size, lamp.y + 3 * lamp.size + 2 * pad, 45)
  }
  return out
}

function chromaBlocks(cw: number, ch: number): Uint8Array {
  const out = new Uint8Array(cw * ch)
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) out[y * cw + x] = 128 + ((Math.floor(x / 40) + Math.floor(y / 30)) % 3) * 6 - 6
  return out
}
