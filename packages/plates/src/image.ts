import { OkoError, type Frame, type Rect } from '@oko/core'

/** Pixel layouts the reader accepts. Packed formats only; `Frame`s in yuv420p/nv12 go through `imageFromFrame`. */
export type PlateImageFormat = 'rgb24' | 'bgr24' | 'rgba' | 'gray8'

/**
 * A raw image: what the finder and reader take. **Borrowed**: read during the call, never kept.
 * Sending it to a worker copies `data` (the reader never transfers a caller's buffer).
 */
export interface PlateImage {
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
  readonly format: PlateImageFormat
  /** Bytes per row; defaults to width × bytes per pixel. */
  readonly stride?: number
}

/** Largest side and pixel count accepted; bigger images are refused rather than risk exhausting memory. */
export const MAX_IMAGE_SIDE = 16_384
export const MAX_IMAGE_PIXELS = 50_000_000

export function bytesPerPixel(format: PlateImageFormat): number {
  switch (format) {
    case 'gray8': return 1
    case 'rgba': return 4
    default: return 3
  }
}

/** Checks that `image` is a usable PlateImage; throws ERR_INVALID_INPUT naming `what` (a file or argument). */
export function checkImage(image: unknown, what = 'image'): PlateImage {
  const fail = (why: string): never => { throw new OkoError('ERR_INVALID_INPUT', `${what}: ${why}`) }
  if (typeof image !== 'object' || image === null) fail('expected an object { data, width, height, format }')
  const img = image as Partial<PlateImage>
  if (!(img.data instanceof Uint8Array)) fail('data: expected a Uint8Array')
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height)) fail('width and height: expected integers')
  const width = img.width!
  const height = img.height!
  if (width <= 0 || height <= 0) fail(`empty image (${width}×${height})`)
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    fail(`image too large (${width}×${height}; at most ${MAX_IMAGE_SIDE} per side and ${MAX_IMAGE_PIXELS / 1e6} megapixels)`)
  }
  if (img.format !== 'rgb24' && img.format !== 'bgr24' && img.format !== 'rgba' && img.format !== 'gray8') {
    fail(`format: expected "rgb24", "bgr24", "rgba" or "gray8", received ${JSON.stringify(img.format)}`)
  }
  const bpp = bytesPerPixel(img.format!)
  const stride = img.stride ?? width * bpp
  if (!Number.isInteger(stride) || stride < width * bpp) fail(`stride ${stride} is smaller than width × ${bpp}`)
  if (img.data!.length < stride * (height - 1) + width * bpp) fail(`data holds ${img.data!.length} bytes, ${width}×${height} ${img.format} needs ${stride * (height - 1) + width * bpp}`)
  return img as PlateImage
}

/**
 * Packs a decoded frame (or `region` of it) into an rgb24/gray8 PlateImage: one copy, owned by
 * the caller; yuv420p/nv12 are converted with BT.601. Use it where frames are borrowed.
 */
export function imageFromFrame(frame: Frame, region?: Rect): PlateImage {
  const x0 = region ? Math.max(0, Math.floor(region.x)) : 0
  const y0 = region ? Math.max(0, Math.floor(region.y)) : 0
  const width = (region ? Math.min(frame.width, Math.ceil(region.x + region.width)) : frame.width) - x0
  const height = (region ? Math.min(frame.height, Math.ceil(region.y + region.height)) : frame.height) - y0
  if (width <= 0 || height <= 0) throw new OkoError('ERR_INVALID_INPUT', `region ${JSON.stringify(region)} is outside the ${frame.width}×${frame.height} frame`)
  switch (frame.format) {
    case 'gray8': case 'rgb24': case 'bgr24': case 'rgba': {
      const bpp = bytesPerPixel(frame.format)
      const out = new Uint8Array(width * height * bpp)
      const src = frame.planes[0]!
      const stride = frame.strides[0]!
      for (let y = 0; y < height; y++) {
        const from = (y0 + y) * stride + x0 * bpp
        out.set(src.subarray(from, from + width * bpp), y * width * bpp)
      }
      return { data: out, width, height, format: frame.format }
    }
    case 'yuv420p': case 'nv12': {
      const out = new Uint8Array(width * height * 3)
      const Y = frame.planes[0]!
      const ys = frame.strides[0]!
      const nv12 = frame.format === 'nv12'
      const U = frame.planes[1]!
      const V = nv12 ? U : frame.planes[2]!
      const us = frame.strides[1]!
      const vs = nv12 ? us : frame.strides[2]!
      let o = 0
      for (let y = y0; y < y0 + height; y++) {
        const cy = y >> 1
        for (let x = x0; x < x0 + width; x++) {
          const cx = x >> 1
          const yy = (Y[y * ys + x]! - 16) * 1.164
          const u = (nv12 ? U[cy * us + cx * 2]! : U[cy * us + cx]!) - 128
          const v = (nv12 ? V[cy * vs + cx * 2 + 1]! : V[cy * vs + cx]!) - 128
          out[o++] = clamp255(yy + 1.596 * v)
          out[o++] = clamp255(yy - 0.392 * u - 0.813 * v)
          out[o++] = clamp255(yy + 2.017 * u)
        }
      }
      return { data: out, width, height, format: 'rgb24' }
    }
  }
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v | 0
}

/** Channel offsets of R, G, B in a pixel of `format` (grey: all 0). */
export function channelOffsets(format: PlateImageFormat): readonly [number, number, number] {
  switch (format) {
    case 'rgb24': case 'rgba': return [0, 1, 2]
    case 'bgr24': return [2, 1, 0]
    case 'gray8': return [0, 0, 0]
  }
}
