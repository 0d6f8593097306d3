import { OkoError } from './errors.js'
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
