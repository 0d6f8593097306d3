import type { Frame, Rect } from '@oko/core'
import { OkoError, checkNumber, describeValue } from '@oko/core'

/** Pixel layouts the face API takes. Packed, row-major, 8 bits per channel. */
export type FacePixelFormat = 'rgb24' | 'bgr24' | 'rgba' | 'gray8'

/**
 * Raw pixels: what every face API takes (faces never decodes files). Borrowed: read during the
 * call, never kept; `stride` is bytes per row (defaults to width × channels).
 */
export interface FaceImage {
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
  readonly format: FacePixelFormat
  readonly stride?: number
}

/** A packed rgb24 image owned by the caller (what crops and conversions return). */
export interface RgbImage {
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
  readonly format: 'rgb24'
}

const CHANNELS: Record<FacePixelFormat, number> = { rgb24: 3, bgr24: 3, rgba: 4, gray8: 1 }

export function channelsOf(format: FacePixelFormat): number {
  return CHANNELS[format]
}

/** Checks an image's shape against its buffer; throws ERR_INVALID_INPUT naming `path`. */
export function checkImage(path: string, image: unknown): FaceImage {
  if (typeof image !== 'object' || image === null) {
    throw new OkoError('ERR_INVALID_INPUT', `${path}: expected an image { data, width, height, format }, received ${describeValue(image)}`)
  }
  const img = image as Partial<FaceImage>
  if (!(img.data instanceof Uint8Array)) {
    throw new OkoError('ERR_INVALID_INPUT', `${path}.data: expected a Uint8Array, received ${describeValue(img.data)}`)
  }
  const width = checkNumber(`${path}.width`, img.width, { min: 1, max: 32768, integer: true })
  const height = checkNumber(`${path}.height`, img.height, { min: 1, max: 32768, integer: true })
  if (typeof img.format !== 'string' || !(img.format in CHANNELS)) {
    throw new OkoError('ERR_INVALID_INPUT', `${path}.format: expected one of "rgb24", "bgr24", "rgba", "gray8", received ${describeValue(img.format)}`)
  }
  const channels = CHANNELS[img.format]
  const stride = img.stride ?? width * channels
  checkNumber(`${path}.stride`, stride, { min: width * channels, integer: true })
  const need = stride * (height - 1) + width * channels
  if (img.data.byteLength < need) {
    throw new OkoError('ERR_INVALID_INPUT', `${path}.data: ${width}×${height} ${img.format} needs ${need} bytes, received ${img.data.byteLength}`)
  }
  return img as FaceImage
}

/** Integer rectangle clamped to the image; undefined when nothing is left. */
export function clampRect(r: Rect, width: number, height: number): Rect | undefined {
  const x0 = Math.max(0, Math.floor(r.x))
  const y0 = Math.max(0, Math.floor(r.y))
  const x1 = Math.min(width, Math.ceil(r.x + r.width))
  const y1 = Math.min(height, Math.ceil(r.y + r.height))
  return x1 - x0 >= 1 && y1 - y0 >= 1 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : undefined
}

/** Copies `rect` (default: all) of an image into a new packed rgb24 image. */
export function toRgb(image: FaceImage, rect?: Rect): RgbImage {
  const r = rect ? clampRect(rect, image.width, image.height) : { x: 0, y: 0, width: image.width, height: image.height }
  if (!r) throw new OkoError('ERR_INVALID_INPUT', `crop ${JSON.stringify(rect)} lies outside the ${image.width}×${image.height} image`)
  const ch = CHANNELS[image.format]
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

/** Surrounds an image with `border` pixels of mid-grey (how tight face crops become detectable). */
export function padGrey(image: RgbImage, border: number): RgbImage {
  const width = image.width + 2 * border
  const height = image.height + 2 * border
  const out = new Uint8Array(width * height * 3).fill(128)
  for (let y = 0; y < image.height; y++) {
    out.set(image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3), ((y + border) * width + border) * 3)
  }
  return { data: out, width, height, format: 'rgb24' }
}

/**
 * Copies `rect` of a decoded frame (gray8, yuv420p, nv12, rgb24, bgr24, rgba) to packed rgb24.
 * YUV uses BT.601 limited range, as cameras send. The frame is only read during the call.
 */
export function frameToRgb(frame: Frame, rect?: Rect): RgbImage {
  const r = rect ? clampRect(rect, frame.width, frame.height) : { x: 0, y: 0, width: frame.width, height: frame.height }
  if (!r) throw new OkoError('ERR_INVALID_INPUT', `crop ${JSON.stringify(rect)} lies outside the ${frame.width}×${frame.height} frame`)
  const fmt = frame.format
  if (fmt === 'gray8' || fmt === 'rgb24' || fmt === 'bgr24' || fmt === 'rgba') {
    return toRgb({ data: frame.planes[0]!, width: frame.width, height: frame.height, format: fmt, stride: frame.strides[0]! }, r)
  }
  const Y = frame.planes[0]!
  const ys = frame.strides[0]!
  const out = new Uint8Array(r.width * r.height * 3)
  let o = 0
  for (let y = r.y; y < r.y + r.height; y++) {
    for (let x = r.x; x < r.x + r.width; x++) {
      let u: number
      let v: number
      if (fmt === 'nv12') {
        const i = (y >> 1) * frame.strides[1]! + (x & ~1)
        u = frame.planes[1]![i]!; v = frame.planes[1]![i + 1]!
      } else {
        u = frame.planes[1]![(y >> 1) * frame.strides[1]! + (x >> 1)]!
        v = frame.planes[2]![(y >> 1) * frame.strides[2]! + (x >> 1)]!
      }
      const c = 1.164 * (Y[y * ys + x]! - 16)
      const d = u - 128
      const e = v - 128
      out[o++] = clamp255(c + 1.596 * e)
      out[o++] = clamp255(c - 0.392 * d - 0.813 * e)
      out[o++] = clamp255(c + 2.017 * d)
    }
  }
  return { data: out, width: r.width, height: r.height, format: 'rgb24' }
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v)
}
