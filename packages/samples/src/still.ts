import type { Point, RawImage, Rect } from '@oko/core'
import { InvalidOptionError, checkArray, checkKnownKeys, checkNumber, checkObject, checkRawImage, clampRect } from '@oko/core'
import { toRgb } from '@oko/imaging'
import { encodeYuvClip } from './encode.js'

/** Where a still moves: its top-left corner goes from `from` to `to` (frame pixels) over `seconds`, starting at `startSeconds`, then stays. */
export interface StillMotion {
  readonly from: Point
  readonly to: Point
  /** Default 0. */
  readonly startSeconds?: number
  /** Default 2. */
  readonly seconds?: number
}

/** One picture in a still clip: an RGB (or grey) photo, optionally scaled, moving along a path. */
export interface StillSprite {
  readonly image: RawImage
  readonly motion?: StillMotion
  /** Resize the photo by this factor first (bilinear). Default 1. */
  readonly scale?: number
}

export interface StillClipOptions {
  /** Frame size (even numbers). Default 640×360. */
  readonly size?: { readonly width: number; readonly height: number }
  /** Default 5. */
  readonly fps?: number
  /** Clip length. Default 4. */
  readonly seconds?: number
  /** The static scene behind: an rgb24 image of the frame size, or one colour [r, g, b]. Default a grey gradient. */
  readonly background?: RawImage | readonly [number, number, number]
  /** With a single image: its path (default: still in the middle). */
  readonly motion?: StillMotion
  /** H.264 bit rate. Default about 0.15 bit per pixel. */
  readonly bitrate?: string
  /** Keyframe interval in frames. Default 2 s. */
  readonly gopFrames?: number
}

export interface StillClip {
  readonly path: string
  readonly width: number
  readonly height: number
  readonly fps: number
  readonly frames: number
  /** Per frame, per sprite: where it is visible in the frame (undefined when outside). */
  readonly boxes: readonly (readonly (Rect | undefined)[])[]
}

/**
 * Renders photos moving over a static background and encodes them to H.264 (like writeSampleClip:
 * libx264, no B-frames, mp4/mkv/ts by extension). For end-to-end tests with real plates and faces:
 * `writeStillClip(path, carPhoto, { motion: { from: { x: -300, y: 60 }, to: { x: 200, y: 60 } } })`.
 * Deterministic for the same inputs. RGB → YUV is BT.601 limited range (as cameras send).
 */
export function writeStillClip(path: string, image: RawImage | readonly StillSprite[], options: StillClipOptions = {}): StillClip {
  const o = checkObject('options', options, {})
  checkKnownKeys('options', o, ['size', 'fps', 'seconds', 'background', 'motion', 'bitrate', 'gopFrames'])
  const size = checkObject('options.size', o.size, { width: 640, height: 360 }) as { width: unknown; height: unknown }
  const width = checkNumber('options.size.width', size.width, { min: 16, max: 4096, integer: true })
  const height = checkNumber('options.size.height', size.height, { min: 16, max: 4096, integer: true })
  if (width % 2 || height % 2) throw new InvalidOptionError('options.size', `expected even width and height (4:2:0), received ${width}×${height}`)
  const fps = o.fps === undefined ? 5 : checkNumber('options.fps', o.fps, { min: 1, max: 120 })
  const seconds = o.seconds === undefined ? 4 : checkNumber('options.seconds', o.seconds, { min: 0.1, max: 600 })
  const sprites = Array.isArray(image)
    ? checkArray('image', image).map((s, i) => prepareSprite(`image[${i}]`, s as StillSprite))
    : [prepareSprite('image', { image: image as RawImage, ...(o.motion ? { motion: o.motion as StillMotion } : {}) })]
  const background = makeBackground(o.background as StillClipOptions['background'], width, height)
  const frames = Math.max(1, Math.round(seconds * fps))
  const rgb = new Uint8Array(width * height * 3)
  const boxes: (Rect | undefined)[][] = []
  encodeYuvClip(path, { width, height, fps, frames, ...(o.bitrate ? { bitrate: o.bitrate as string } : {}), ...(o.gopFrames ? { gopFrames: o.gopFrames as number } : {}) }, (i, yuv) => {
    rgb.set(background)
    const t = i / fps
    boxes.push(sprites.map((s) => paste(rgb, width, height, s.image, positionAt(s, t, width, height))))
    rgbToYuv420(rgb, width, height, yuv)
  })
  return { path, width, height, fps, frames, boxes }
}

interface Prepared {
  readonly image: { data: Uint8Array; width: number; height: number }
  readonly motion?: StillMotion
}

function prepareSprite(path: string, sprite: StillSprite): Prepared {
  const s = checkObject(path, sprite)
  checkKnownKeys(path, s, ['image', 'motion', 'scale'])
  let image = toRgb(checkRawImage(`${path}.image`, s.image))
  const scale = s.scale === undefined ? 1 : checkNumber(`${path}.scale`, s.scale, { min: 0.05, max: 8 })
  if (scale !== 1) image = resizeBilinear(image, Math.max(1, Math.round(image.width * scale)), Math.max(1, Math.round(image.height * scale)))
  if (s.motion === undefined) return { image }
  const m = checkObject(`${path}.motion`, s.motion)
  checkKnownKeys(`${path}.motion`, m, ['from', 'to', 'startSeconds', 'seconds'])
  const point = (at: string, v: unknown): Point => {
    const p = checkObject(at, v)
    return { x: checkNumber(`${at}.x`, p.x), y: checkNumber(`${at}.y`, p.y) }
  }
  return {
    image,
    motion: {
      from: point(`${path}.motion.from`, m.from),
      to: point(`${path}.motion.to`, m.to),
      startSeconds: m.startSeconds === undefined ? 0 : checkNumber(`${path}.motion.startSeconds`, m.startSeconds, { min: 0 }),
      seconds: m.seconds === undefined ? 2 : checkNumber(`${path}.motion.seconds`, m.seconds, { min: 0 }),
    },
  }
}

function positionAt(s: Prepared, t: number, width: number, height: number): Point {
  const m = s.motion
  if (!m) return { x: Math.round((width - s.image.width) / 2), y: Math.round((height - s.image.height) / 2) }
  const span = m.seconds ?? 2
  const k = span === 0 ? 1 : Math.min(1, Math.max(0, (t - (m.startSeconds ?? 0)) / span))
  return { x: Math.round(m.from.x + (m.to.x - m.from.x) * k), y: Math.round(m.from.y + (m.to.y - m.from.y) * k) }
}

/** Copies `image` into the frame at `at` (clipped); returns the visible box. */
function paste(rgb: Uint8Array, width: number, height: number, image: Prepared['image'], at: Point): Rect | undefined {
  const box = clampRect({ x: at.x, y: at.y, width: image.width, height: image.height }, width, height)
  if (!box) return undefined
  for (let y = box.y; y < box.y + box.height; y++) {
    const from = ((y - at.y) * image.width + (box.x - at.x)) * 3
    rgb.set(image.data.subarray(from, from + box.width * 3), (y * width + box.x) * 3)
  }
  return box
}

function makeBackground(value: StillClipOptions['background'], width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3)
  if (value === undefined) {
    // A soft vertical gradient (sky to road), static.
    for (let y = 0; y < height; y++) {
      const v = Math.round(150 - (60 * y) / height)
      out.fill(v, y * width * 3, (y + 1) * width * 3)
    }
    return out
  }
  if (Array.isArray(value)) {
    if (value.length !== 3) throw new InvalidOptionError('options.background', `expected [r, g, b], received ${value.length} values`)
    const [r, g, b] = value.map((v, i) => checkNumber(`options.background[${i}]`, v, { min: 0, max: 255, integer: true })) as [number, number, number]
    for (let i = 0; i < out.length; i += 3) { out[i] = r; out[i + 1] = g; out[i + 2] = b }
    return out
  }
  const img = checkRawImage('options.background', value)
  if (img.width !== width || img.height !== height) throw new InvalidOptionError('options.background', `expected a ${width}×${height} image (the frame size), received ${img.width}×${img.height}`)
  const rgb = toRgb(img)
  out.set(rgb.data)
  return out
}

function resizeBilinear(image: { data: Uint8Array; width: number; height: number }, w: number, h: number): { data: Uint8Array; width: number; height: number; format: 'rgb24' } {
  const out = new Uint8Array(w * h * 3)
  const sx = image.width / w, sy = image.height / h
  for (let y = 0; y < h; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5)
    const y0 = Math.min(image.height - 1, Math.floor(fy)), y1 = Math.min(image.height - 1, y0 + 1), wy = fy - y0
    for (let x = 0; x < w; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5)
      const x0 = Math.min(image.width - 1, Math.floor(fx)), x1 = Math.min(image.width - 1, x0 + 1), wx = fx - x0
      for (let c = 0; c < 3; c++) {
        const a = image.data[(y0 * image.width + x0) * 3 + c]!, b = image.data[(y0 * image.width + x1) * 3 + c]!
        const d = image.data[(y1 * image.width + x0) * 3 + c]!, e = image.data[(y1 * image.width + x1) * 3 + c]!
        out[(y * w + x) * 3 + c] = Math.round((a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy)
      }
    }
  }
  return { data: out, width: w, height: h, format: 'rgb24' }
}

/** BT.601 limited range, chroma averaged over 2×2 blocks. */
function rgbToYuv420(rgb: Uint8Array, width: number, height: number, out: Uint8Array): void {
  const cw = width / 2
  const u = out.subarray(width * height, width * height + cw * (height / 2))
  const v = out.subarray(width * height + cw * (height / 2))
  for (let i = 0, p = 0; i < width * height; i++, p += 3) {
    out[i] = Math.round(16 + 0.257 * rgb[p]! + 0.504 * rgb[p + 1]! + 0.098 * rgb[p + 2]!)
  }
  for (let y = 0; y < height / 2; y++) {
    for (let x = 0; x < cw; x++) {
      let r = 0, g = 0, b = 0
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const p = ((2 * y + dy) * width + 2 * x + dx) * 3
        r += rgb[p]!; g += rgb[p + 1]!; b += rgb[p + 2]!
      }
      r /= 4; g /= 4; b /= 4
      u[y * cw + x] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b)
      v[y * cw + x] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b)
    }
  }
}
