import { OkoError, bytesPerPixel, clampRect, pixelsAt, type Frame, type RawImage, type Rect, type RgbImage } from '@oko/core'

/**
 * Copies a decoded frame (or `rect` of it) into a packed image owned by the caller: packed
 * formats keep their format, yuv420p and nv12 become rgb24 (BT.601 limited range, as cameras send).
 * The one copy to make where frames are borrowed.
 */
export function frameToImage(frame: Frame, rect?: Rect): RawImage {
  const r = rect ? clampRect(rect, frame.width, frame.height) : { x: 0, y: 0, width: frame.width, height: frame.height }
  if (!r) throw new OkoError('ERR_INVALID_INPUT', `region ${JSON.stringify(rect)} lies outside the ${frame.width}×${frame.height} frame`)
  const { format } = frame
  // An owned copy of some regions holds the rect in one of its crops: (x, y) is at (x - x0, y - y0) there.
  const { planes, strides, x0, y0 } = pixelsAt(frame, r)
  if (format === 'gray8' || format === 'rgb24' || format === 'bgr24' || format === 'rgba') {
    const bpp = bytesPerPixel(format)
    const out = new Uint8Array(r.width * r.height * bpp)
    const src = planes[0]!
    const stride = strides[0]!
    for (let y = 0; y < r.height; y++) {
      const from = (r.y - y0 + y) * stride + (r.x - x0) * bpp
      out.set(src.subarray(from, from + r.width * bpp), y * r.width * bpp)
    }
    return { data: out, width: r.width, height: r.height, format }
  }
  const Y = planes[0]!
  const ys = strides[0]!
  const nv12 = format === 'nv12'
  const U = planes[1]!
  const V = nv12 ? U : planes[2]!
  const us = strides[1]!
  const vs = nv12 ? us : strides[2]!
  const out = new Uint8Array(r.width * r.height * 3)
  let o = 0
  for (let y = r.y - y0; y < r.y - y0 + r.height; y++) {
    const cy = y >> 1
    for (let x = r.x - x0; x < r.x - x0 + r.width; x++) {
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
  const ch = bytesPerPixel(image.format)
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
