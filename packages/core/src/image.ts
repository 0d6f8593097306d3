import { OkoError } from './errors.js'
import type { Frame } from './frame.js'
import type { Rect } from './geometry.js'
import { describeValue } from './validate.js'

/** Packed pixel layouts that model stages take, 8 bits per channel. */
export type RawPixelFormat = 'rgb24' | 'bgr24' | 'rgba' | 'gray8'

/**
 * Raw pixels, row-major. **Borrowed** where an API takes one: read during the call, never kept.
 * `stride` is bytes per row (default width × bytes per pixel).
 */
export interface RawImage {
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
  readonly format: RawPixelFormat
  readonly stride?: number
}

/** A packed rgb24 image (stride = width × 3), owned by whoever made it. */
export interface RgbImage extends RawImage {
  readonly format: 'rgb24'
}

/** Largest side and area accepted; bigger images are refused rather than risk exhausting memory. */
export const MAX_IMAGE_SIDE = 16_384
export const MAX_IMAGE_PIXELS = 50_000_000

const BYTES_PER_PIXEL: Record<RawPixelFormat, number> = { rgb24: 3, bgr24: 3, rgba: 4, gray8: 1 }

export function bytesPerPixel(format: RawPixelFormat): number {
  return BYTES_PER_PIXEL[format]
}

/** Checks an image's shape against its buffer; throws ERR_INVALID_INPUT naming `path` (an argument or a file). */
export function checkRawImage(path: string, image: unknown): RawImage {
  const fail = (where: string, why: string): never => {
    throw new OkoError('ERR_INVALID_INPUT', `${path}${where}: ${why}`)
  }
  if (typeof image !== 'object' || image === null) fail('', `expected an image { data, width, height, format }, received ${describeValue(image)}`)
  const img = image as Partial<RawImage>
  if (!(img.data instanceof Uint8Array)) fail('.data', `expected a Uint8Array, received ${describeValue(img.data)}`)
  const { width, height } = img
  if (!Number.isInteger(width) || !Number.isInteger(height)) fail('', `width and height: expected integers, received ${describeValue(width)} × ${describeValue(height)}`)
  if (width! <= 0 || height! <= 0) fail('', `empty image (${width}×${height})`)
  if (width! > MAX_IMAGE_SIDE || height! > MAX_IMAGE_SIDE || width! * height! > MAX_IMAGE_PIXELS) {
    fail('', `image too large (${width}×${height}; at most ${MAX_IMAGE_SIDE} per side and ${MAX_IMAGE_PIXELS / 1e6} megapixels)`)
  }
  if (typeof img.format !== 'string' || !(img.format in BYTES_PER_PIXEL)) {
    fail('.format', `expected one of "rgb24", "bgr24", "rgba", "gray8", received ${describeValue(img.format)}`)
  }
  const bpp = BYTES_PER_PIXEL[img.format!]
  const stride = img.stride ?? width! * bpp
  if (!Number.isInteger(stride) || stride < width! * bpp) fail('.stride', `expected an integer ≥ ${width! * bpp} (width × ${bpp}), received ${describeValue(stride)}`)
  const need = stride * (height! - 1) + width! * bpp
  if (img.data!.byteLength < need) fail('.data', `${width}×${height} ${img.format} needs ${need} bytes, received ${img.data!.byteLength}`)
  return img as RawImage
}

/** Integer rectangle clamped to width × height; undefined when nothing is left. */
export function clampRect(r: Rect, width: number, height: number): Rect | undefined {
  const x0 = Math.max(0, Math.floor(r.x))
  const y0 = Math.max(0, Math.floor(r.y))
  const x1 = Math.min(width, Math.ceil(r.x + r.width))
  const y1 = Math.min(height, Math.ceil(r.y + r.height))
  return x1 - x0 >= 1 && y1 - y0 >= 1 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : undefined
}

/**
 * Copies a decoded frame (or `rect` of it) into a packed image owned by the caller: packed
 * formats keep their format, yuv420p and nv12 become rgb24 (BT.601 limited range, as cameras send).
 * The one copy to make where frames are borrowed.
 */
export function frameToImage(frame: Frame, rect?: Rect): RawImage {
  const r = rect ? clampRect(rect, frame.width, frame.height) : { x: 0, y: 0, width: frame.width, height: frame.height }
  if (!r) throw new OkoError('ERR_INVALID_INPUT', `region ${JSON.stringify(rect)} lies outside the ${frame.width}×${frame.height} frame`)
  const { format } = frame
  if (format === 'gray8' || format === 'rgb24' || format === 'bgr24' || format === 'rgba') {
    const bpp = BYTES_PER_PIXEL[format]
    const out = new Uint8Array(r.width * r.height * bpp)
    const src = frame.planes[0]!
    const stride = frame.strides[0]!
    for (let y = 0; y < r.height; y++) {
      const from = (r.y + y) * stride + r.x * bpp
      out.set(src.subarray(from, from + r.width * bpp), y * r.width * bpp)
    }
    return { data: out, width: r.width, height: r.height, format }
  }
  const Y = frame.planes[0]!
  const ys = frame.strides[0]!
  const nv12 = format === 'nv12'
  const U = frame.planes[1]!
  const V = nv12 ? U : frame.planes[2]!
  const us = frame.strides[1]!
  const vs = nv12 ? us : frame.strides[2]!
  const out = new Uint8Array(r.width * r.height * 3)
  let o = 0
  for (let y = r.y; y < r.y + r.height; y++) {
    const cy = y >> 1
    for (let x = r.x; x < r.x + r.width; x++) {
      const cx = x >> 1
      const c = (Y[y * ys + x]! - 16) * 1.164
      const d = (nv12 ? U[cy * us + cx * 2]! : U[cy * us + cx]!) - 128
      const e = (nv12 ? V[cy * vs + cx * 2 + 1]! : V[cy * vs + cx]!) - 128
      out[o++] = clamp255(c + 1.596 * e)
      out[o++] = clamp255(c - 0.392 * d - 0.813 * e)
      out[o++] = clamp255(c + 2.017 * d)
    }
  }
  return { data: out, width: r.width, height: r.height, format: 'rgb24' }
}

/** Copies `rect` (default: all) of a packed image into a new rgb24 image. */
export function toRgb(image: RawImage, rect?: Rect): RgbImage {
  const r = rect ? clampRect(rect, image.width, image.height) : { x: 0, y: 0, width: image.width, height: image.height }
  if (!r) throw new OkoError('ERR_INVALID_INPUT', `region ${JSON.stringify(rect)} lies outside the ${image.width}×${image.height} image`)
  const ch = BYTES_PER_PIXEL[image.format]
  const stride = image.stride ?? image.width * ch
  const out = new Uint8Array(r.width * r.height * 3)
  const src = image.data
  let o = 0
  for (let y = r.y; y < r.y + r.height; y++) {
    let i = y * stride + r.x * ch
    for (let x = 0; x < r.width; x++, i += ch) {
      if (ch === 1) {
        const v = src[i]!
        out[o++] = v; out[o++] = v; out[o++] = v
      } else if (image.format === 'bgr24') {
        out[o++] = src[i + 2]!; out[o++] = src[i + 1]!; out[o++] = src[i]!
      } else {
        out[o++] = src[i]!; out[o++] = src[i + 1]!; out[o++] = src[i + 2]!
      }
    }
  }
  return { data: out, width: r.width, height: r.height, format: 'rgb24' }
}

/** The rgb24 pixels of a frame or a region of it, owned by the caller. */
export function frameToRgb(frame: Frame, rect?: Rect): RgbImage {
  const image = frameToImage(frame, rect)
  return image.format === 'rgb24' ? (image as RgbImage) : toRgb(image)
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v)
}
