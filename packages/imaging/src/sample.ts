import { type RawImage, bytesPerPixel } from '@oko/core'
import { channelOffsets } from './crop.js'
import type { Rect } from '@oko/core'

/** A rotated rectangle in image pixels: centre, size along its own axes, angle of its x-axis (radians). */
export interface OrientedBox {
  cx: number
  cy: number
  width: number
  height: number
  angle: number
}

/** Axis-aligned bounds of an oriented box, clipped to the image. */
export function boundsOf(box: OrientedBox, imageWidth: number, imageHeight: number): Rect {
  const c = Math.abs(Math.cos(box.angle))
  const s = Math.abs(Math.sin(box.angle))
  const hw = (box.width * c + box.height * s) / 2
  const hh = (box.width * s + box.height * c) / 2
  const x0 = Math.max(0, box.cx - hw)
  const y0 = Math.max(0, box.cy - hh)
  const x1 = Math.min(imageWidth, box.cx + hw)
  const y1 = Math.min(imageHeight, box.cy + hh)
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) }
}

/** Per-channel normalisation `(v / 255 - mean) / std`, channels in the model's order (B, G, R for PaddleOCR). */
export interface Normalization {
  mean: readonly [number, number, number]
  std: readonly [number, number, number]
  /** Channel order of the tensor. */
  order: 'bgr' | 'rgb'
}

/**
 * Samples the oriented box `box` of `image` into a CHW float tensor of outWidth × outHeight
 * (bilinear; with area pre-averaging when shrinking by more than 2×). Pixels outside the image
 * repeat the border. When `stretch` is set, grey levels are stretched so the 2nd..98th
 * percentiles span the range (night, IR and washed-out plates). `tapSpacing` is the source
 * pixels per area tap when shrinking (1: every pixel counts; the detector uses 2, half the work).
 */
export function sampleBox(
  image: RawImage,
  box: OrientedBox,
  outWidth: number,
  outHeight: number,
  norm: Normalization,
  stretch = false,
  out = new Float32Array(3 * outWidth * outHeight),
  tapSpacing = 1,
): Float32Array {
  const { width, height, data } = image
  const bpp = bytesPerPixel(image.format)
  const stride = image.stride ?? width * bpp
  const [ro, go, bo] = channelOffsets(image.format)
  const cos = Math.cos(box.angle)
  const sin = Math.sin(box.angle)
  const sx = box.width / outWidth
  const sy = box.height / outHeight
  // Taps per output pixel along each axis when shrinking (cheap area filter).
  const tx = Math.min(4, Math.max(1, Math.floor(sx / tapSpacing)))
  const ty = Math.min(4, Math.max(1, Math.floor(sy / tapSpacing)))
  const plane = outWidth * outHeight
  const rgb = Math.abs(box.angle) < 1e-4
    ? sampleAxisAligned(image, box.cx - box.width / 2, box.cy - box.height / 2, sx, sy, tx, ty, outWidth, outHeight)
    : new Float32Array(plane * 3)
  if (Math.abs(box.angle) < 1e-4) return normalize(rgb, plane, norm, stretch, out)
  const x0 = box.cx - (cos * box.width - sin * box.height) / 2
  const y0 = box.cy - (sin * box.width + cos * box.height) / 2
  const maxX = width - 1
  const maxY = height - 1
  const inv = 1 / (tx * ty)
  let i = 0
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++, i++) {
      let r = 0, g = 0, b = 0
      for (let jy = 0; jy < ty; jy++) {
        const v = (oy + (jy + 0.5) / ty) * sy
        for (let jx = 0; jx < tx; jx++) {
          const u = (ox + (jx + 0.5) / tx) * sx
          let px = x0 + u * cos - v * sin - 0.5
          let py = y0 + u * sin + v * cos - 0.5
          px = px < 0 ? 0 : px > maxX ? maxX : px
          py = py < 0 ? 0 : py > maxY ? maxY : py
          const xi = px | 0
          const yi = py | 0
          const fx = px - xi
          const fy = py - yi
          const xn = xi < maxX ? bpp : 0
          const yn = yi < maxY ? stride : 0
          const p = yi * stride + xi * bpp
          const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy
          r += data[p + ro]! * w00 + data[p + xn + ro]! * w01 + data[p + yn + ro]! * w10 + data[p + yn + xn + ro]! * w11
          g += data[p + go]! * w00 + data[p + xn + go]! * w01 + data[p + yn + go]! * w10 + data[p + yn + xn + go]! * w11
          b += data[p + bo]! * w00 + data[p + xn + bo]! * w01 + data[p + yn + bo]! * w10 + data[p + yn + xn + bo]! * w11
        }
      }
      rgb[i] = r * inv
      rgb[plane + i] = g * inv
      rgb[2 * plane + i] = b * inv
    }
  }
  return normalize(rgb, plane, norm, stretch, out)
}

/** Planar RGB floats → normalised CHW tensor in the model's channel order, with optional contrast stretch. */
function normalize(rgb: Float32Array, plane: number, norm: Normalization, stretch: boolean, out: Float32Array): Float32Array {
  let lo = 0
  let scale = 1
  if (stretch) {
    const [p2, p98] = percentiles(rgb, plane)
    if (p98 - p2 > 8) { lo = p2; scale = 255 / (p98 - p2) }
  }
  const order = norm.order === 'bgr' ? [2, 1, 0] : [0, 1, 2]
  for (let c = 0; c < 3; c++) {
    const src = order[c]! * plane
    const dst = c * plane
    const m = norm.mean[c]!
    const k = 1 / (255 * norm.std[c]!)
    const mk = m / norm.std[c]!
    for (let j = 0; j < plane; j++) {
      let v = (rgb[src + j]! - lo) * scale
      v = v < 0 ? 0 : v > 255 ? 255 : v
      out[dst + j] = v * k - mk
    }
  }
  return out
}

/**
 * Fast path for unrotated boxes: per-column and per-row taps computed once, then a plain loop
 * (the kernel worth moving to WASM SIMD: it runs over every detector input pixel).
 */
function sampleAxisAligned(
  image: RawImage, left: number, top: number, sx: number, sy: number, tx: number, ty: number, outWidth: number, outHeight: number,
): Float32Array {
  const { width, height, data } = image
  const bpp = bytesPerPixel(image.format)
  const stride = image.stride ?? width * bpp
  const [ro, go, bo] = channelOffsets(image.format)
  const plane = outWidth * outHeight
  const rgb = new Float32Array(plane * 3)
  const taps = (n: number, t: number, start: number, step: number, max: number) => {
    const idx = new Int32Array(n * t)
    const next = new Int32Array(n * t)
    const frac = new Float32Array(n * t)
    for (let o = 0; o < n; o++) {
      for (let j = 0; j < t; j++) {
        let p = start + (o + (j + 0.5) / t) * step - 0.5
        p = p < 0 ? 0 : p > max ? max : p
        const i = p | 0
        idx[o * t + j] = i
        next[o * t + j] = i < max ? 1 : 0
        frac[o * t + j] = p - i
      }
    }
    return { idx, next, frac }
  }
  const X = taps(outWidth, tx, left, sx, width - 1)
  const Y = taps(outHeight, ty, top, sy, height - 1)
  const inv = 1 / (tx * ty)
  for (let oy = 0; oy < outHeight; oy++) {
    const rowOut = oy * outWidth
    for (let jy = 0; jy < ty; jy++) {
      const k = oy * ty + jy
      const r0 = Y.idx[k]! * stride
      const r1 = r0 + Y.next[k]! * stride
      const fy = Y.frac[k]!
      const wy0 = (1 - fy) * inv
      const wy1 = fy * inv
      for (let ox = 0; ox < outWidth; ox++) {
        let r = 0, g = 0, b = 0
        for (let jx = 0; jx < tx; jx++) {
          const q = ox * tx + jx
          const c0 = X.idx[q]! * bpp
          const c1 = c0 + X.next[q]! * bpp
          const fx = X.frac[q]!
          const a = r0 + c0, bq = r0 + c1, c = r1 + c0, d = r1 + c1
          const w00 = (1 - fx) * wy0, w01 = fx * wy0, w10 = (1 - fx) * wy1, w11 = fx * wy1
          r += data[a + ro]! * w00 + data[bq + ro]! * w01 + data[c + ro]! * w10 + data[d + ro]! * w11
          g += data[a + go]! * w00 + data[bq + go]! * w01 + data[c + go]! * w10 + data[d + go]! * w11
          b += data[a + bo]! * w00 + data[bq + bo]! * w01 + data[c + bo]! * w10 + data[d + bo]! * w11
        }
        const i = rowOut + ox
        rgb[i]! += r
        rgb[plane + i]! += g
        rgb[2 * plane + i]! += b
      }
    }
  }
  return rgb
}

/** 2nd and 98th percentiles of the luma of a planar RGB buffer. */
function percentiles(rgb: Float32Array, plane: number): [number, number] {
  const hist = new Uint32Array(256)
  for (let j = 0; j < plane; j++) {
    const y = (0.299 * rgb[j]! + 0.587 * rgb[plane + j]! + 0.114 * rgb[2 * plane + j]!) | 0
    hist[y < 0 ? 0 : y > 255 ? 255 : y]!++
  }
  const lowCount = plane * 0.02
  const highCount = plane * 0.98
  let acc = 0
  let p2 = 0
  let p98 = 255
  let seenLow = false
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!
    if (!seenLow && acc >= lowCount) { p2 = v; seenLow = true }
    if (acc >= highCount) { p98 = v; break }
  }
  return [p2, p98]
}

/** An axis-aligned region as an oriented box. */
export function boxOfRect(r: Rect): OrientedBox {
  return { cx: r.x + r.width / 2, cy: r.y + r.height / 2, width: r.width, height: r.height, angle: 0 }
}
