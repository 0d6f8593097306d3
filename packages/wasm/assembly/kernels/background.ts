import { checkRange, hsumU8, absI32, clampU8 } from './common'

// Running-average background with a per-pixel noise level. Both are u16 per pixel in 8.8 fixed
// point (value × 256). The background pixel in grey levels is round(bg / 256), i.e.
// (bg >> 8) + ((bg >> 7) & 1). Rates are in 1/4096 per frame (at most 2047).

@inline function bgLevel(b: i32): i32 {
  return (b >> 8) + ((b >> 7) & 1)
}

/**
 * Foreground test: fg[i] = 255 where min(|cur + offset − round(bg)|, 255) > max(thr[i], noise),
 * noise = ((dev[i] >> 6) · noiseGainQ2) >> 4 (the pixel's mean deviation × gain/4), else 0.
 * offset (−255..255) compensates a global brightness shift. Returns the foreground count.
 * noiseGainQ2 in [0, 63]. thr 255 never fires (masked pixels).
 */
export function bgSubtract(cur: usize, bg: usize, dev: usize, thr: usize, fg: usize, n: i32, offset: i32, noiseGainQ2: i32): i32 {
  if (n <= 0) return 0
  checkRange(cur, n); checkRange(bg, <usize>n << 1); checkRange(dev, <usize>n << 1); checkRange(thr, n); checkRange(fg, n)
  assert(noiseGainQ2 >= 0 && noiseGainQ2 <= 63 && offset >= -255 && offset <= 255, 'bgSubtract: bad parameters')
  let i: i32 = 0
  let count: i32 = 0
  if (ASC_FEATURE_SIMD) {
    const off = i16x8.splat(<i16>offset)
    const gain = i16x8.splat(<i16>noiseGainQ2)
    const one = i16x8.splat(1)
    const c255 = i16x8.splat(255)
    const z = i8x16.splat(0)
    let moved: i32 = 0
    while (i + 16 <= n) {
      let acc = z
      const lim = min(i + 255 * 16, n - ((n - i) & 15))
      for (; i < lim; i += 16) {
        const o = <usize>i
        const c0 = v128.load8x8_u(cur + o), c1 = v128.load8x8_u(cur + o, 8)
        const g0 = v128.load(bg + (o << 1)), g1 = v128.load(bg + (o << 1), 16)
        const b0 = i16x8.add(i16x8.shr_u(g0, 8), v128.and(i16x8.shr_u(g0, 7), one))
        const b1 = i16x8.add(i16x8.shr_u(g1, 8), v128.and(i16x8.shr_u(g1, 7), one))
        const d0 = i16x8.min_s(i16x8.abs(i16x8.sub(i16x8.add(c0, off), b0)), c255)
        const d1 = i16x8.min_s(i16x8.abs(i16x8.sub(i16x8.add(c1, off), b1)), c255)
        const e0 = v128.load(dev + (o << 1)), e1 = v128.load(dev + (o << 1), 16)
        const t0 = i16x8.max_s(v128.load8x8_u(thr + o), i16x8.shr_u(i16x8.mul(i16x8.shr_u(e0, 6), gain), 4))
        const t1 = i16x8.max_s(v128.load8x8_u(thr + o, 8), i16x8.shr_u(i16x8.mul(i16x8.shr_u(e1, 6), gain), 4))
        const m = i8x16.narrow_i16x8_s(i16x8.gt_s(d0, t0), i16x8.gt_s(d1, t1))
        v128.store(fg + o, m)
        acc = i8x16.sub(acc, m)
      }
      moved += hsumU8(acc)
    }
    count = moved
  }
  for (; i < n; i++) {
    const o = <usize>i
    const b = bgLevel(<i32>load<u16>(bg + (o << 1)))
    const d = min(absI32(<i32>load<u8>(cur + o) + offset - b), 255)
    const t = max(<i32>load<u8>(thr + o), ((<i32>load<u16>(dev + (o << 1)) >> 6) * noiseGainQ2) >> 4)
    const on = d > t
    store<u8>(fg + o, on ? 255 : 0)
    count += i32(on)
  }
  return count
}

/** Rounding Q15 multiply, as i16x8.q15mulr_sat_s: (a·b + 2^14) >> 15, saturated to i16. */
@inline function q15mulr(a: i32, b: i32): i32 {
  return min(32767, max(-32768, (a * b + 0x4000) >> 15))
}

/**
 * Learns, per pixel, in 16-bit lanes: with r = fg[i] ? fgRate : rate (1/4096 per frame, ≤ 2047),
 * bg += q15mulr((cur << 8 >> 1) − (bg >> 1), 16·r), i.e. (cur·256 − bg)·r/4096, rounded.
 * Where fg[i] == 0 the noise level follows the residual too, with the old bg:
 * dev += q15mulr((a >> 1) − (dev >> 1), 16·devRate), a = min(|cur + offset − round(bg)|, 255) << 8.
 */
export function bgUpdate(cur: usize, bg: usize, dev: usize, fg: usize, n: i32, rate: i32, fgRate: i32, devRate: i32, offset: i32): void {
  if (n <= 0) return
  checkRange(cur, n); checkRange(bg, <usize>n << 1); checkRange(dev, <usize>n << 1); checkRange(fg, n)
  assert(rate >= 0 && rate <= 2047 && fgRate >= 0 && fgRate <= 2047 && devRate >= 0 && devRate <= 2047, 'bgUpdate: bad rates')
  let i: i32 = 0
  if (ASC_FEATURE_SIMD) {
    const vr = i16x8.splat(<i16>(rate << 4)), vf = i16x8.splat(<i16>(fgRate << 4)), vd = i16x8.splat(<i16>(devRate << 4))
    const off = i16x8.splat(<i16>offset)
    const one = i16x8.splat(1)
    const c255 = i16x8.splat(255)
    const z = i16x8.splat(0)
    // 16 pixels a step: two independent 8-lane chains (more work in flight per iteration)
    for (; i + 16 <= n; i += 16) {
      const o = <usize>i
      const cc = v128.load(cur + o)
      const ff = v128.load(fg + o)
      const c0 = i16x8.extend_low_i8x16_u(cc), c1 = i16x8.extend_high_i8x16_u(cc)
      const f0 = i16x8.ne(i16x8.extend_low_i8x16_u(ff), z), f1 = i16x8.ne(i16x8.extend_high_i8x16_u(ff), z)
      const g0 = v128.load(bg + (o << 1)), g1 = v128.load(bg + (o << 1), 16)
      const e0 = v128.load(dev + (o << 1)), e1 = v128.load(dev + (o << 1), 16)
      const ng0 = i16x8.add(g0, i16x8.q15mulr_sat_s(i16x8.sub(i16x8.shl(c0, 7), i16x8.shr_u(g0, 1)), v128.bitselect(vf, vr, f0)))
      const ng1 = i16x8.add(g1, i16x8.q15mulr_sat_s(i16x8.sub(i16x8.shl(c1, 7), i16x8.shr_u(g1, 1)), v128.bitselect(vf, vr, f1)))
      const a0 = i16x8.min_s(i16x8.abs(i16x8.sub(i16x8.add(c0, off), i16x8.add(i16x8.shr_u(g0, 8), v128.and(i16x8.shr_u(g0, 7), one)))), c255)
      const a1 = i16x8.min_s(i16x8.abs(i16x8.sub(i16x8.add(c1, off), i16x8.add(i16x8.shr_u(g1, 8), v128.and(i16x8.shr_u(g1, 7), one)))), c255)
      const ne0 = i16x8.add(e0, i16x8.q15mulr_sat_s(i16x8.sub(i16x8.shl(a0, 7), i16x8.shr_u(e0, 1)), vd))
      const ne1 = i16x8.add(e1, i16x8.q15mulr_sat_s(i16x8.sub(i16x8.shl(a1, 7), i16x8.shr_u(e1, 1)), vd))
      v128.store(bg + (o << 1), ng0)
      v128.store(bg + (o << 1), ng1, 16)
      v128.store(dev + (o << 1), v128.bitselect(e0, ne0, f0))
      v128.store(dev + (o << 1), v128.bitselect(e1, ne1, f1), 16)
    }
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i
      const c = v128.load8x8_u(cur + o)
      const g = v128.load(bg + (o << 1))
      const e = v128.load(dev + (o << 1))
      const f = i16x8.ne(v128.load8x8_u(fg + o), z)
      const r = v128.bitselect(vf, vr, f)
      const ng = i16x8.add(g, i16x8.q15mulr_sat_s(i16x8.sub(i16x8.shl(c, 7), i16x8.shr_u(g, 1)), r))
      const b = i16x8.add(i16x8.shr_u(g, 8), v128.and(i16x8.shr_u(g, 7), one))
      const a = i16x8.min_s(i16x8.abs(i16x8.sub(i16x8.add(c, off), b)), c255)
      const ne = i16x8.add(e, i16x8.q15mulr_sat_s(i16x8.sub(i16x8.shl(a, 7), i16x8.shr_u(e, 1)), vd))
      v128.store(bg + (o << 1), ng)
      v128.store(dev + (o << 1), v128.bitselect(e, ne, f))
    }
  }
  for (; i < n; i++) {
    const o = <usize>i
    const c = <i32>load<u8>(cur + o)
    const g = <i32>load<u16>(bg + (o << 1))
    const moving = load<u8>(fg + o) != 0
    const r = moving ? fgRate : rate
    store<u16>(bg + (o << 1), <u16>(g + q15mulr((c << 7) - (g >> 1), r << 4)))
    if (!moving) {
      const e = <i32>load<u16>(dev + (o << 1))
      const a = min(absI32(c + offset - bgLevel(g)), 255)
      store<u16>(dev + (o << 1), <u16>(e + q15mulr((a << 7) - (e >> 1), devRate << 4)))
    }
  }
}

/** bg[i] = cur[i] << 8: restarts the model from the current picture. */
export function bgReset(cur: usize, bg: usize, n: i32): void {
  if (n <= 0) return
  checkRange(cur, n); checkRange(bg, <usize>n << 1)
  let i: i32 = 0
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) {
      v128.store(bg + (<usize>i << 1), i16x8.shl(v128.load8x8_u(cur + <usize>i), 8))
    }
  }
  for (; i < n; i++) store<u16>(bg + (<usize>i << 1), <u16>(<u32>load<u8>(cur + <usize>i) << 8))
}

/** dst[i] = round(bg[i] / 256): the background as an 8-bit picture. */
export function bgToU8(bg: usize, dst: usize, n: i32): void {
  if (n <= 0) return
  checkRange(bg, <usize>n << 1); checkRange(dst, n)
  let i: i32 = 0
  if (ASC_FEATURE_SIMD) {
    const one = i16x8.splat(1)
    for (; i + 16 <= n; i += 16) {
      const g0 = v128.load(bg + (<usize>i << 1)), g1 = v128.load(bg + (<usize>i << 1), 16)
      const b0 = i16x8.add(i16x8.shr_u(g0, 8), v128.and(i16x8.shr_u(g0, 7), one))
      const b1 = i16x8.add(i16x8.shr_u(g1, 8), v128.and(i16x8.shr_u(g1, 7), one))
      v128.store(dst + <usize>i, i8x16.narrow_i16x8_u(b0, b1))
    }
  }
  for (; i < n; i++) store<u8>(dst + <usize>i, <u8>clampU8(bgLevel(<i32>load<u16>(bg + (<usize>i << 1)))))
}

/** dst[i] = value (u16). */
export function fillU16(dst: usize, n: i32, value: u16): void {
  if (n <= 0) return
  checkRange(dst, <usize>n << 1)
  let i: i32 = 0
  if (ASC_FEATURE_SIMD) {
    const v = i16x8.splat(value)
    for (; i + 8 <= n; i += 8) v128.store(dst + (<usize>i << 1), v)
  }
  for (; i < n; i++) store<u16>(dst + (<usize>i << 1), value)
}

/**
 * Histogram (511 u32 bins, zeroed here) of cur − round(bg) + 255 over every `step`-th pixel of
 * every `step`-th row. Returns the number of samples. Its median is a robust global offset.
 */
export function diffHistogram(cur: usize, bg: usize, hist: usize, w: i32, h: i32, step: i32): i32 {
  checkRange(hist, 511 * 4)
  memory.fill(hist, 0, 511 * 4)
  if (w <= 0 || h <= 0 || step <= 0) return 0
  checkRange(cur, <usize>w * <usize>h); checkRange(bg, (<usize>w * <usize>h) << 1)
  let samples: i32 = 0
  for (let y: i32 = 0; y < h; y += step) {
    const row = <usize>y * <usize>w
    for (let x: i32 = 0; x < w; x += step) {
      const o = row + <usize>x
      const k = <i32>load<u8>(cur + o) - bgLevel(<i32>load<u16>(bg + (o << 1))) + 255
      const p = hist + (<usize>k << 2)
      store<u32>(p, load<u32>(p) + 1)
      samples++
    }
  }
  return samples
}
