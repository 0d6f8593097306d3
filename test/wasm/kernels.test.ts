import { beforeAll, describe, expect, it } from 'vitest'
import { KernelModule, type KernelInstance } from '@oko/wasm'
import * as ref from './reference.js'

// Every kernel, in all four builds (SIMD/scalar × release/debug), against its JS reference, on
// sizes that are not multiples of 16, on 1×1, and with strides wider than the picture.

const SIZES: readonly [number, number][] = [[1, 1], [2, 3], [15, 4], [16, 16], [17, 5], [33, 9], [64, 3], [100, 37], [321, 181]]

function noise(length: number, seed: number, max = 256): Uint8Array {
  const out = new Uint8Array(length)
  let s = seed >>> 0
  for (let i = 0; i < length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0
    out[i] = (s >>> 24) % max
  }
  return out
}

/** Sparse blobs: a mask with several components, holes and diagonal links. */
function blobs(w: number, h: number, seed: number): Uint8Array {
  const r = noise(w * h, seed)
  const m = new Uint8Array(w * h)
  for (let i = 0; i < m.length; i++) m[i] = r[i]! > 170 ? 255 : 0
  return m
}

interface Variant { name: string; make(bytes: number): KernelInstance }
const variants: Variant[] = []

beforeAll(async () => {
  for (const build of ['simd', 'scalar'] as const) {
    for (const debug of [false, true]) {
      const module = await KernelModule.load({ build, debug })
      variants.push({ name: `${build}${debug ? '.debug' : ''}`, make: (bytes) => module.instantiate(bytes) })
    }
  }
})

/** Copies `data` into a fresh reservation and returns its offset. */
function put(k: KernelInstance, data: Uint8Array | Uint16Array): number {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  const p = k.reserve(Math.max(bytes.length, 1))
  k.view(p, bytes.length).set(bytes)
  return p
}
const u8 = (k: KernelInstance, p: number, n: number) => Uint8Array.from(k.view(p, n))
const u16 = (k: KernelInstance, p: number, n: number) => new Uint16Array(Uint8Array.from(k.view(p, n * 2)).buffer)
/** Byte-exact comparison that reports the first differing index (fast on big arrays). */
function same(got: Uint8Array | Uint16Array, label: string, want: Uint8Array | Uint16Array): void {
  const g = Buffer.from(got.buffer, got.byteOffset, got.byteLength)
  const w = Buffer.from(want.buffer, want.byteOffset, want.byteLength)
  if (g.equals(w)) return
  let i = 0
  while (got[i] === want[i]) i++
  expect.fail(`${label}: ${got.length} values, first difference at ${i}: got ${got[i]}, want ${want[i]}`)
}
const f64 = (k: KernelInstance, p: number, n: number) => Array.from(new Float64Array(Uint8Array.from(k.view(p, n * 8)).buffer))

describe('WASM kernels against their JS references', () => {
  for (const [w, h] of SIZES) {
    const n = w * h
    const a = noise(n, w * 7 + h)
    const b = noise(n, w * 13 + h + 1)

    it(`diff, threshold, counts ${w}×${h}`, () => {
      const outRef = new Uint8Array(n)
      const count = ref.absDiffCountRef(a, b, outRef, 25)
      const thrRef = new Uint8Array(n)
      const thrCount = ref.thresholdRef(a, thrRef, 100)
      const mask = blobs(w, h, 3)
      const masked = Uint8Array.from(a)
      ref.maskApplyRef(masked, mask)
      for (const v of variants) {
        const k = v.make(n * 8 + 4096)
        const [pa, pb, po] = [put(k, a), put(k, b), k.reserve(n)]
        expect(k.kernels.absDiffCount(pa, pb, po, n, 25), v.name).toBe(count)
        same(u8(k, po, n), v.name, outRef)
        expect(k.kernels.absDiffThresholdCount(pa, pb, n, 25), v.name).toBe(count)
        expect(k.kernels.threshold(pa, po, n, 100), v.name).toBe(thrCount)
        same(u8(k, po, n), v.name, thrRef)
        expect(k.kernels.sumAbsDiff(pa, pb, n), v.name).toBe(ref.sumAbsDiffRef(a, b))
        const pm = put(k, mask)
        expect(k.kernels.countAnd(pa, pm, n), v.name).toBe(ref.countAndRef(a, mask))
        k.kernels.maskApply(pa, pm, n)
        same(u8(k, pa, n), v.name, masked)
      }
    })

    it(`3×3 blur, erode, dilate ${w}×${h}`, () => {
      const mask = blobs(w, h, 5)
      for (const v of variants) {
        const k = v.make(n * 4 + 4096)
        const [ps, pd] = [put(k, a), k.reserve(n)]
        k.kernels.blur3(ps, pd, w, h)
        same(u8(k, pd, n), `${v.name} blur`, ref.filter3Ref(ref.blurOp, a, w, h))
        const pm = put(k, mask)
        k.kernels.erode3(pm, pd, w, h)
        same(u8(k, pd, n), `${v.name} erode`, ref.filter3Ref(ref.erodeOp, mask, w, h))
        k.kernels.dilate3(pm, pd, w, h)
        same(u8(k, pd, n), `${v.name} dilate`, ref.filter3Ref(ref.dilateOp, mask, w, h))
      }
    })

    it(`background model ${w}×${h}`, () => {
      const bg = new Uint16Array(n).map((_, i) => (b[i]! << 8) + (a[i]! & 0xff))
      const dev = new Uint16Array(n).map((_, i) => (a[i]! * 37) & 0x3fff)
      const thr = noise(n, 11, 40)
      thr[0] = 255
      for (const [offset, gain, rate] of [[0, 12, 41], [-17, 0, 2047], [40, 63, 1]] as const) {
        const fgRef = new Uint8Array(n)
        const count = ref.bgSubtractRef(a, bg, dev, thr, fgRef, offset, gain)
        const bgRef = Uint16Array.from(bg)
        const devRef = Uint16Array.from(dev)
        ref.bgUpdateRef(a, bgRef, devRef, fgRef, rate, 3, 200, offset)
        for (const v of variants) {
          const k = v.make(n * 8 + 8192)
          const [pc, pg, pe, pt, pf] = [put(k, a), put(k, bg), put(k, dev), put(k, thr), k.reserve(n)]
          expect(k.kernels.bgSubtract(pc, pg, pe, pt, pf, n, offset, gain), v.name).toBe(count)
          same(u8(k, pf, n), v.name, fgRef)
          const ph = k.reserve(511 * 4)
          const samples = k.kernels.diffHistogram(pc, pg, ph, w, h, 2)
          const histRef = ref.diffHistogramRef(a, bg, w, h, 2)
          expect(samples).toBe(histRef.reduce((s, x) => s + x, 0))
          expect(new Uint32Array(Uint8Array.from(k.view(ph, 511 * 4)).buffer), v.name).toEqual(histRef)
          const pu = k.reserve(n)
          k.kernels.bgToU8(pg, pu, n)
          same(u8(k, pu, n), v.name, ref.bgToU8Ref(bg))
          k.kernels.bgUpdate(pc, pg, pe, pf, n, rate, 3, 200, offset)
          same(u16(k, pg, n), v.name, bgRef)
          same(u16(k, pe, n), v.name, devRef)
          k.kernels.bgReset(pc, pg, n)
          same(u16(k, pg, n), v.name, Uint16Array.from(a, (x) => x << 8))
          k.kernels.fillU16(pe, n, 777)
          same(u16(k, pe, n), v.name, new Uint16Array(n).fill(777))
        }
      }
    })

    it(`connected components ${w}×${h}`, () => {
      const mask = blobs(w, h, 9)
      const expected = ref.labelRegionsRef(mask, w, h)
      for (const v of variants) {
        const k = v.make(n * 24 + 8192)
        const cap = k.kernels.regionLabelCapacity(w, h)
        const [pm, pl, pp, pr] = [put(k, mask), k.reserve(n * 4), k.reserve(cap * 4), k.reserve(cap * 20)]
        const count = k.kernels.labelRegions(pm, w, h, pl, pp, cap, pr, cap)
        expect(count, v.name).toBe(expected.regions.length)
        const table = new Int32Array(Uint8Array.from(k.view(pr, count * 20)).buffer)
        const got = Array.from({ length: count }, (_, i) => ({ minX: table[i * 5], minY: table[i * 5 + 1], maxX: table[i * 5 + 2], maxY: table[i * 5 + 3], pixels: table[i * 5 + 4] }))
        expect(got, v.name).toEqual(expected.regions)
        // keep every other region
        const keep = Uint8Array.from({ length: count }, (_, i) => (i % 2 === 0 ? 1 : 0))
        const pk = put(k, keep)
        k.kernels.keepRegions(pm, pl, pk, n, count)
        const kept = mask.map((m, i) => (m !== 0 && expected.labels[i]! % 2 === 1 ? 255 : 0))
        same(u8(k, pm, n), v.name, kept)
      }
    })

    it(`statistics ${w}×${h}`, () => {
      for (const v of variants) {
        const k = v.make(n * 2 + 4096)
        const [pa, pb, po] = [put(k, a), put(k, b), k.reserve(40)]
        k.kernels.sumStats(pa, n, po)
        expect(f64(k, po, 2), v.name).toEqual(ref.sumStatsRef(a))
        k.kernels.correlationSums(pa, pb, n, po)
        expect(f64(k, po, 5), v.name).toEqual(ref.correlationSumsRef(a, b))
        expect(k.kernels.gradientSum(pa, w, h), v.name).toBe(ref.gradientSumRef(a, w, h))
      }
    })
  }

  // Downscale from strided planes to several output sizes, including same size (a copy).
  const DOWNSCALES: readonly [number, number, number, number, number][] = [
    [1, 1, 1, 1, 1], [17, 5, 23, 5, 3], [33, 9, 40, 11, 4], [64, 48, 64, 16, 12], [100, 37, 128, 100, 37], [321, 181, 336, 107, 60], [1920, 1080, 1920, 320, 180], [1280, 720, 1344, 320, 180], [640, 360, 640, 320, 180], [2560, 1440, 2560, 320, 180], [1926, 1080, 1926, 321, 180], [36, 40, 36, 3, 2], [30, 9, 31, 5, 9],
    // odd box heights (1, 3, 5, 7 rows) with even box widths, bodies with and without a tail
    [96, 21, 112, 24, 3], [48, 9, 48, 8, 3], [50, 10, 64, 5, 2], [32, 5, 32, 16, 5],
  ]
  for (const [sw, sh, stride, dw, dh] of DOWNSCALES) {
    it(`downscaleArea ${sw}×${sh} (stride ${stride}) → ${dw}×${dh}`, () => {
      const src = noise(stride * sh, sw + sh)
      const expected = ref.downscaleAreaRef(src, stride, sw, sh, dw, dh)
      for (const v of variants) {
        const k = v.make(stride * sh + dw * dh + sw * 2 + 8192)
        const scratch = k.kernels.downscaleScratchBytes(sw, dw)
        const [ps, pd, px] = [put(k, src), k.reserve(dw * dh), k.reserve(scratch)]
        k.kernels.downscaleArea(ps, stride, sw, sh, pd, dw, dh, px)
        same(u8(k, pd, dw * dh), v.name, expected)
      }
    })
  }

  it('a flat picture downscales to itself and blurs to itself', () => {
    for (const v of variants) {
      const k = v.make(200_000)
      const src = new Uint8Array(99 * 77).fill(201)
      const [ps, pd, px] = [put(k, src), k.reserve(33 * 20), k.reserve(k.kernels.downscaleScratchBytes(99, 33))]
      k.kernels.downscaleArea(ps, 99, 99, 77, pd, 33, 20, px)
      expect(u8(k, pd, 33 * 20).every((x) => x === 201), v.name).toBe(true)
    }
  })

  it('the worst-case mask (isolated pixels) fits the label capacity', () => {
    const w = 37
    const h = 21
    const mask = new Uint8Array(w * h).map((_, i) => ((i % w) % 2 === 0 && Math.floor(i / w) % 2 === 0 ? 255 : 0))
    for (const v of variants) {
      const k = v.make(w * h * 32 + 4096)
      const cap = k.kernels.regionLabelCapacity(w, h)
      const [pm, pl, pp, pr] = [put(k, mask), k.reserve(w * h * 4), k.reserve(cap * 4), k.reserve(cap * 20)]
      expect(k.kernels.labelRegions(pm, w, h, pl, pp, cap, pr, cap)).toBe(19 * 11)
      // a capacity too small is reported, not overrun
      expect(k.kernels.labelRegions(pm, w, h, pl, pp, 10, pr, cap)).toBe(-1)
      expect(k.kernels.labelRegions(pm, w, h, pl, pp, cap, pr, 5)).toBe(-1)
    }
  })

  it('debug builds trap buffers that reach past memory instead of reading them', () => {
    for (const v of variants.filter((x) => x.name.endsWith('.debug'))) {
      const k = v.make(1024)
      const end = k.memory.buffer.byteLength
      expect(() => k.kernels.absDiffCount(0, end - 8, 0, 16, 1), v.name).toThrow(/WASM assertion failed/)
      expect(() => k.kernels.blur3(0, 50, 10, 10), v.name).toThrow(/WASM assertion failed/)
      expect(() => k.kernels.blur3(0, end - 50, 10, 10), v.name).toThrow(/WASM assertion failed/)
      expect(() => k.kernels.downscaleArea(0, 10, 10, 10, 200, 20, 5, 400), v.name).toThrow(/WASM assertion failed/)
      expect(() => k.kernels.labelRegions(0, 1000, 1000, 0, 0, 10, 0, 10), v.name).toThrow(/WASM assertion failed/)
    }
  })
})
