import { pixelsAt, type Frame } from '@oko/core'
import { frameToImage, sampleBox } from '@oko/imaging'
import type { SearchPlan } from './search.js'

/** How a detector takes its input: channel layout and pixel range (255: 0..255, 1: 0..1). */
export interface InputLayout {
  readonly layout: 'nchw' | 'nhwc'
  readonly range: 1 | 255
}

/**
 * The detector's input tensor for `plan`, sampled straight from the frame's planes: yuv420p, nv12
 * and gray8 are read in place (Y area-averaged over up to 4×4 taps when shrinking, bilinear
 * otherwise; chroma at its own resolution) and converted to RGB per input pixel (BT.601 limited
 * range, as frameToImage does), so no RGB copy of the frame is made. Other formats go through
 * frameToImage. Input pixels outside the frame repeat its edge. `reuse`: a buffer of the right
 * length to write into instead of a new one.
 */
export function frameInput(frame: Frame, plan: SearchPlan, spec: InputLayout, reuse?: Float32Array): Float32Array {
  const { size } = plan
  if (frame.format !== 'yuv420p' && frame.format !== 'nv12' && frame.format !== 'gray8') return viaImage(frame, plan, spec)
  const { planes, strides, x0: ox, y0: oy } = pixelsAt(frame, plan.area)
  const a = plan.area
  const k = plan.side / size
  const taps = Math.min(4, Math.max(1, Math.floor(k)))
  const cols = axis(plan.x, k, taps, a.x, a.x + a.width - 1, ox, size)
  const rows = axis(plan.y, k, taps, a.y, a.y + a.height - 1, oy, size)
  const Y = planes[0]!, ys = strides[0]!
  const grey = frame.format === 'gray8'
  const nv12 = frame.format === 'nv12'
  const U = grey ? Y : planes[1]!, us = grey ? 0 : strides[1]!
  const V = grey ? Y : nv12 ? U : planes[2]!, vs = grey ? 0 : nv12 ? us : strides[2]!
  // every element is written below: a buffer of the right size may be reused as it is
  const out = reuse?.length === 3 * size * size ? reuse : new Float32Array(3 * size * size)
  const norm = spec.range === 255 ? 1 : 1 / 255
  const plane = size * size
  const nhwc = spec.layout === 'nhwc'
  const inv = 1 / (taps * taps)
  const luma = new Float32Array(size)
  for (let iy = 0; iy < size; iy++) {
    lumaRow(luma, Y, ys, rows, cols, iy, taps, size)
    if (taps > 1) for (let ix = 0; ix < size; ix++) luma[ix]! *= inv
    const cRow = rows.chroma[iy]!
    for (let ix = 0; ix < size; ix++) {
      const c = (luma[ix]! - 16) * 1.164
      let r = c, g = c, b = c
      if (!grey) {
        const cc = cols.chroma[ix]!
        const d = (nv12 ? U[cRow * us + cc * 2]! : U[cRow * us + cc]!) - 128
        const e = (nv12 ? V[cRow * vs + cc * 2 + 1]! : V[cRow * vs + cc]!) - 128
        r = c + 1.596 * e; g = c - 0.392 * d - 0.813 * e; b = c + 2.017 * d
      }
      r = (r < 0 ? 0 : r > 255 ? 255 : r) * norm
      g = (g < 0 ? 0 : g > 255 ? 255 : g) * norm
      b = (b < 0 ? 0 : b > 255 ? 255 : b) * norm
      const p = iy * size + ix
      if (nhwc) { out[3 * p] = r; out[3 * p + 1] = g; out[3 * p + 2] = b } else { out[p] = r; out[plane + p] = g; out[2 * plane + p] = b }
    }
  }
  return out
}

type Axis = ReturnType<typeof axis>

/** One input row of luma: the sum of the taps × taps area taps (bilinear when one tap). */
function lumaRow(out: Float32Array, Y: Uint8Array, ys: number, rows: Axis, cols: Axis, iy: number, taps: number, size: number): void {
  if (taps === 1) {
    const r0 = rows.at[iy]! * ys, r1 = rows.next[iy]! * ys, fy = rows.frac[iy]!
    for (let ix = 0; ix < size; ix++) {
      const c0 = cols.at[ix]!, c1 = cols.next[ix]!, fx = cols.frac[ix]!
      const top = Y[r0 + c0]! * (1 - fx) + Y[r0 + c1]! * fx
      const bottom = Y[r1 + c0]! * (1 - fx) + Y[r1 + c1]! * fx
      out[ix] = top * (1 - fy) + bottom * fy
    }
    return
  }
  out.fill(0)
  const ct = cols.taps
  for (let j = 0; j < taps; j++) {
    const base = rows.taps[iy * taps + j]! * ys
    if (taps === 2) for (let ix = 0, c = 0; ix < size; ix++, c += 2) out[ix]! += Y[base + ct[c]!]! + Y[base + ct[c + 1]!]!
    else if (taps === 3) for (let ix = 0, c = 0; ix < size; ix++, c += 3) out[ix]! += Y[base + ct[c]!]! + Y[base + ct[c + 1]!]! + Y[base + ct[c + 2]!]!
    else for (let ix = 0, c = 0; ix < size; ix++, c += 4) out[ix]! += Y[base + ct[c]!]! + Y[base + ct[c + 1]!]! + Y[base + ct[c + 2]!]! + Y[base + ct[c + 3]!]!
  }
}

/**
 * Where input pixel i reads along one axis, as plane indices (frame coordinate − the plane's
 * origin): `taps` area taps, or (one tap) the bilinear pair and weight; the chroma index.
 * Coordinates are clamped to [lo, hi], the frame pixels held.
 */
function axis(start: number, k: number, taps: number, lo: number, hi: number, origin: number, size: number) {
  const t = new Int32Array(size * taps), at = new Int32Array(size), next = new Int32Array(size), frac = new Float32Array(size), chroma = new Int32Array(size)
  const clamp = (v: number) => (v < lo ? lo : v > hi ? hi : v)
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < taps; j++) t[i * taps + j] = clamp(Math.floor(start + (i + (j + 0.5) / taps) * k)) - origin
    const centre = start + (i + 0.5) * k
    const p = clamp(centre - 0.5)
    const p0 = Math.floor(p)
    at[i] = p0 - origin
    next[i] = Math.min(p0 + 1, hi) - origin
    frac[i] = p - p0
    chroma[i] = (clamp(Math.floor(centre)) - origin) >> 1
  }
  return { taps: t, at, next, frac, chroma }
}

/** Packed formats: the area as an image, then sampled like any image. */
function viaImage(frame: Frame, plan: SearchPlan, spec: InputLayout): Float32Array {
  const image = frameToImage(frame, plan.area)
  const { size, side } = plan
  const box = { cx: plan.x - plan.area.x + side / 2, cy: plan.y - plan.area.y + side / 2, width: side, height: side, angle: 0 }
  const s = spec.range === 255 ? 1 / 255 : 1
  const chw = sampleBox(image, box, size, size, { mean: [0, 0, 0], std: [s, s, s], order: 'rgb' })
  if (spec.layout === 'nchw') return chw
  const hwc = new Float32Array(chw.length)
  const plane = size * size
  for (let i = 0; i < plane; i++) { hwc[3 * i] = chw[i]!; hwc[3 * i + 1] = chw[plane + i]!; hwc[3 * i + 2] = chw[2 * plane + i]! }
  return hwc
}
