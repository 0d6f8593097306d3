import { OkoError } from './errors.js'
import type { Rect } from './geometry.js'

/** Pixel layouts oko moves around. `gray8`: one plane; `yuv420p`: Y, U, V planes; `rgb24`: packed. */
export type PixelFormat = 'gray8' | 'yuv420p' | 'nv12' | 'rgb24' | 'bgr24' | 'rgba'

/** What identifies a frame and its geometry; plain data, safe to copy and send. */
export interface FrameInfo {
  /** Camera (source) id the frame came from. */
  readonly cameraId: string
  /** Per-source monotonic counter of decoded frames; gaps mean the source dropped frames. */
  readonly seq: number
  /** Presentation time in microseconds, from the stream's clock. */
  readonly ptsUs: number
  /** Wall-clock time the frame was decoded, in ms since the epoch. */
  readonly wallMs: number
  readonly width: number
  readonly height: number
  readonly format: PixelFormat
}

/**
 * A decoded frame. **Borrowed**: its planes may point into decoder memory that is reused after
 * the stage call that received it returns. Copy what you keep.
 */
export interface Frame extends FrameInfo {
  /** Planes in format order (Y, U, V for yuv420p; one plane for packed formats). */
  readonly planes: readonly Uint8Array[]
  /** Bytes per row of each plane (may exceed the visible width). */
  readonly strides: readonly number[]
  /**
   * Optional fast path of sources that decode into memory of their own (@oko/source): copies the
   * luma plane, rows packed to `width`, into `dst[0 .. width·height)` straight from the decoder.
   * False when the frame cannot (no longer current, `dst` too small, planes already read): read
   * `planes` then. Must not be an own enumerable property, so a spread copy of a frame stays data.
   */
  copyLumaTo?(dst: Uint8Array): boolean
  /**
   * Set when the frame holds only some regions of its picture (an owned copy made for a worker
   * stage): their pixels. `planes` and `strides` then throw; read pixels with `pixelsAt(frame,
   * rect)` or `@oko/imaging`'s `frameToImage(frame, rect)`, which find the crop that holds a rect.
   */
  readonly crops?: readonly FrameCrop[]
}

/** A region of a frame held as pixels of its own. */
export interface FrameCrop {
  /** Where it sits, in pixels of the frame (even x, y, width and height for 4:2:0 formats). */
  readonly rect: Rect
  readonly planes: readonly Uint8Array[]
  readonly strides: readonly number[]
}

/** A Frame that holds only `crops` of its picture: `planes` and `strides` throw, saying why. */
export function regionsFrame(info: FrameInfo, crops: readonly FrameCrop[]): Frame {
  const refuse = (): never => {
    throw new OkoError('ERR_INVALID_INPUT', `frame ${info.cameraId}#${info.seq} holds only some regions of its picture; read them with pixelsAt(frame, rect) or @oko/imaging's frameToImage(frame, rect)`)
  }
  const { cameraId, seq, ptsUs, wallMs, width, height, format } = info
  const frame = { cameraId, seq, ptsUs, wallMs, width, height, format, crops }
  Object.defineProperty(frame, 'planes', { get: refuse, enumerable: false })
  Object.defineProperty(frame, 'strides', { get: refuse, enumerable: false })
  return frame as unknown as Frame
}

/**
 * The part of `rect` (frame pixels) whose pixels the frame holds: all of it, clamped to the frame,
 * for a whole frame; for an owned copy of some regions, the part inside the crop that holds the
 * rect's centre (undefined when none does). For pictures around a box (snapshots) that must not
 * reach outside what was kept.
 */
export function heldPart(frame: Frame, rect: Rect): Rect | undefined {
  const x0 = Math.max(0, Math.floor(rect.x)), y0 = Math.max(0, Math.floor(rect.y))
  const x1 = Math.min(frame.width, Math.ceil(rect.x + rect.width)), y1 = Math.min(frame.height, Math.ceil(rect.y + rect.height))
  if (x1 <= x0 || y1 <= y0) return undefined
  const crops = frame.crops
  if (!crops) return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
  const cx = rect.x + rect.width / 2, cy = rect.y + rect.height / 2
  const c = crops.find((k) => cx >= k.rect.x && cy >= k.rect.y && cx < k.rect.x + k.rect.width && cy < k.rect.y + k.rect.height)
  if (!c) return undefined
  const r = c.rect
  const ax = Math.max(x0, r.x), ay = Math.max(y0, r.y), bx = Math.min(x1, r.x + r.width), by = Math.min(y1, r.y + r.height)
  return bx > ax && by > ay ? { x: ax, y: ay, width: bx - ax, height: by - ay } : undefined
}

/** Planes that hold a rect of a frame: pixel (x, y) of the frame is at (x - x0, y - y0) of them. */
export interface PixelsAt {
  readonly planes: readonly Uint8Array[]
  readonly strides: readonly number[]
  readonly x0: number
  readonly y0: number
}

/**
 * Where the pixels of `rect` (frame pixels, clamped to the frame) are: the frame's own planes, or
 * the crop of an owned frame that holds the whole rect. Throws ERR_INVALID_INPUT when the frame
 * holds no crop that covers it.
 */
export function pixelsAt(frame: Frame, rect: Rect): PixelsAt {
  const crops = frame.crops
  if (!crops) return { planes: frame.planes, strides: frame.strides, x0: 0, y0: 0 }
  const x0 = Math.max(0, Math.floor(rect.x)), y0 = Math.max(0, Math.floor(rect.y))
  const x1 = Math.min(frame.width, Math.ceil(rect.x + rect.width)), y1 = Math.min(frame.height, Math.ceil(rect.y + rect.height))
  for (const c of crops) {
    const r = c.rect
    if (x0 >= r.x && y0 >= r.y && x1 <= r.x + r.width && y1 <= r.y + r.height) return { planes: c.planes, strides: c.strides, x0: r.x, y0: r.y }
  }
  throw new OkoError('ERR_INVALID_INPUT', `frame ${frame.cameraId}#${frame.seq} holds only the regions ${crops.map((c) => `${c.rect.x},${c.rect.y} ${c.rect.width}×${c.rect.height}`).join('; ')}; ${x0},${y0} ${x1 - x0}×${y1 - y0} is not inside one (materialise the regions the later stages read)`)
}

/** A luma (grey) plane view: what motion and pixel kernels take. Borrowed like Frame. */
export interface LumaPlane {
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
  /** Bytes per row; `>= width`. */
  readonly stride: number
}

/** Returns the luma plane of a frame whose format has one (gray8, yuv420p, nv12). */
export function lumaOf(frame: Frame): LumaPlane {
  if (frame.crops) throw new OkoError('ERR_INVALID_INPUT', `frame ${frame.cameraId}#${frame.seq} holds only some regions; its whole luma plane is not available`)
  if (frame.format !== 'gray8' && frame.format !== 'yuv420p' && frame.format !== 'nv12') {
    throw new TypeError(`frame format ${frame.format} has no luma plane; decode to yuv420p, nv12 or gray8`)
  }
  return { data: frame.planes[0]!, width: frame.width, height: frame.height, stride: frame.strides[0]! }
}
