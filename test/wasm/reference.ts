// JS reference implementations of the WASM kernels: the oracle tests compare both builds against.
// Plain loops, written for clarity; each states the same arithmetic as its kernel.

export function absDiffCountRef(a: Uint8Array, b: Uint8Array, out: Uint8Array, threshold: number): number {
  let count = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!)
    out[i] = d
    if (d > threshold) count++
  }
  return count
}

export function thresholdRef(src: Uint8Array, dst: Uint8Array, threshold: number): number {
  let count = 0
  for (let i = 0; i < src.length; i++) {
    dst[i] = src[i]! > threshold ? 255 : 0
    if (src[i]! > threshold) count++
  }
  return count
}

export function sumAbsDiffRef(a: Uint8Array, b: Uint8Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!)
  return s
}

export function countAndRef(a: Uint8Array, b: Uint8Array): number {
  let c = 0
  for (let i = 0; i < a.length; i++) if (a[i] !== 0 && b[i] !== 0) c++
  return c
}

export function maskApplyRef(dst: Uint8Array, mask: Uint8Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] = dst[i]! & mask[i]!
}

/** Area average over [floor(x·sw/dw), floor((x+1)·sw/dw)) boxes, rounded as the kernel does. */
export function downscaleAreaRef(src: Uint8Array, stride: number, sw: number, sh: number, dw: number, dh: number): Uint8Array {
  const out = new Uint8Array(dw * dh)
  for (let y = 0; y < dh; y++) {
    const y0 = Math.floor((y * sh) / dh)
    const y1 = Math.floor(((y + 1) * sh) / dh)
    for (let x = 0; x < dw; x++) {
      const x0 = Math.floor((x * sw) / dw)
      const x1 = Math.floor(((x + 1) * sw) / dw)
      let s = 0
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += src[yy * stride + xx]!
      const c = (y1 - y0) * (x1 - x0)
      const m = Math.floor((2 ** 23 + Math.floor(c / 2)) / c)
      out[y * dw + x] = Math.floor((s * m + 2 ** 22) / 2 ** 23)
    }
  }
  return out
}

type Op3 = (l: number, c: number, r: number) => number
const avg = (a: number, b: number) => (a + b + 1) >> 1
export const blurOp: Op3 = (l, c, r) => avg(avg(l, r), c)
export const erodeOp: Op3 = (l, c, r) => Math.min(l, c, r)
export const dilateOp: Op3 = (l, c, r) => Math.max(l, c, r)

/** Separable 3×3: vertical then horizontal, edge pixels replicated. */
export function filter3Ref(op: Op3, src: Uint8Array, w: number, h: number): Uint8Array {
  const tmp = new Uint8Array(w * h)
  const out = new Uint8Array(w * h)
  const at = (a: Uint8Array, x: number, y: number) => a[Math.min(Math.max(y, 0), h - 1) * w + Math.min(Math.max(x, 0), w - 1)]!
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) tmp[y * w + x] = op(at(src, x, y - 1), at(src, x, y), at(src, x, y + 1))
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = op(at(tmp, x - 1, y), at(tmp, x, y), at(tmp, x + 1, y))
  return out
}

const bgLevel = (b: number) => (b >> 8) + ((b >> 7) & 1)

export function bgSubtractRef(cur: Uint8Array, bg: Uint16Array, dev: Uint16Array, thr: Uint8Array, fg: Uint8Array, offset: number, noiseGainQ2: number): number {
  let count = 0
  for (let i = 0; i < cur.length; i++) {
    const d = Math.min(Math.abs(cur[i]! + offset - bgLevel(bg[i]!)), 255)
    const t = Math.max(thr[i]!, ((dev[i]! >> 6) * noiseGainQ2) >> 4)
    fg[i] = d > t ? 255 : 0
    if (d > t) count++
  }
  return count
}

const q15mulr = (a: number, b: number) => Math.min(32767, Math.max(-32768, (a * b + 0x4000) >> 15))

export function bgUpdateRef(cur: Uint8Array, bg: Uint16Array, dev: Uint16Array, fg: Uint8Array, rate: number, fgRate: number, devRate: number, offset: number): void {
  for (let i = 0; i < cur.length; i++) {
    const c = cur[i]!
    const g = bg[i]!
    const moving = fg[i] !== 0
    bg[i] = g + q15mulr((c << 7) - (g >> 1), (moving ? fgRate : rate) << 4)
    if (!moving) {
      const a = Math.min(Math.abs(c + offset - bgLevel(g)), 255)
      dev[i] = dev[i]! + q15mulr((a << 7) - (dev[i]! >> 1), devRate << 4)
    }
  }
}

export function bgToU8Ref(bg: Uint16Array): Uint8Array {
  return Uint8Array.from(bg, (b) => Math.min(bgLevel(b), 255))
}

export function diffHistogramRef(cur: Uint8Array, bg: Uint16Array, w: number, h: number, step: number): Uint32Array {
  const hist = new Uint32Array(511)
  for (let y = 0; y < h; y += step) for (let x = 0; x < w; x += step) hist[cur[y * w + x]! - bgLevel(bg[y * w + x]!) + 255]!++
  return hist
}

export interface RegionRef { minX: number; minY: number; maxX: number; maxY: number; pixels: number }

/** 8-connected components by flood fill; regions ordered by their first pixel in raster order. */
export function labelRegionsRef(mask: Uint8Array, w: number, h: number): { regions: RegionRef[]; labels: Int32Array } {
  const labels = new Int32Array(w * h)
  const regions: RegionRef[] = []
  const stack: number[] = []
  for (let i = 0; i < w * h; i++) {
    if (mask[i] === 0 || labels[i] !== 0) continue
    const id = regions.length + 1
    const r: RegionRef = { minX: w, minY: h, maxX: -1, maxY: -1, pixels: 0 }
    regions.push(r)
    labels[i] = id
    stack.push(i)
    while (stack.length > 0) {
      const p = stack.pop()!
      const x = p % w
      const y = (p - x) / w
      r.minX = Math.min(r.minX, x); r.maxX = Math.max(r.maxX, x)
      r.minY = Math.min(r.minY, y); r.maxY = Math.max(r.maxY, y)
      r.pixels++
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx
          const ny = y + dy
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue
          const q = ny * w + nx
          if (mask[q] !== 0 && labels[q] === 0) { labels[q] = id; stack.push(q) }
        }
      }
    }
  }
  return { regions, labels }
}

export function sumStatsRef(src: Uint8Array): [number, number] {
  let s = 0
  let q = 0
  for (const v of src) { s += v; q += v * v }
  return [s, q]
}

export function correlationSumsRef(a: Uint8Array, b: Uint8Array): number[] {
  const out = [0, 0, 0, 0, 0]
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    out[0]! += x; out[1]! += y; out[2]! += x * x; out[3]! += y * y; out[4]! += x * y
  }
  return out
}

export function gradientSumRef(src: Uint8Array, w: number, h: number): number {
  let s = 0
  for (let y = 0; y < h - 1; y++) {
    for (let x = 0; x < w - 1; x++) {
      const c = src[y * w + x]!
      s += Math.abs(src[y * w + x + 1]! - c) + Math.abs(src[(y + 1) * w + x]! - c)
    }
  }
  return s
}
