import { checkRange, hsumU8 } from './common'

/**
 * out[i] = |a[i] - b[i]|; returns how many out[i] > threshold.
 * a, b, out: byte offsets of `length` bytes each (out may alias a or b).
 */
export function absDiffCount(a: usize, b: usize, out: usize, length: i32, threshold: u8): i32 {
  if (length <= 0) return 0
  checkRange(a, length); checkRange(b, length); checkRange(out, length)
  let count: i32 = 0
  let i: i32 = 0
  if (ASC_FEATURE_SIMD) {
    const t = i8x16.splat(threshold)
    const z = i8x16.splat(0)
    while (i + 16 <= length) {
      let acc = z
      const lim = min(i + 255 * 16, length - ((length - i) & 15))
      for (; i < lim; i += 16) {
        const va = v128.load(a + <usize>i)
        const vb = v128.load(b + <usize>i)
        const d = v128.or(i8x16.sub_sat_u(va, vb), i8x16.sub_sat_u(vb, va))
        v128.store(out + <usize>i, d)
        // d <= t  <=>  sat(d - t) == 0; acc counts those, the rest moved
        acc = i8x16.sub(acc, i8x16.eq(i8x16.sub_sat_u(d, t), z))
      }
      count += hsumU8(acc)
    }
    count = i - count
  }
  for (; i < length; i++) {
    const x = <i32>load<u8>(a + <usize>i)
    const y = <i32>load<u8>(b + <usize>i)
    const d = x > y ? x - y : y - x
    store<u8>(out + <usize>i, <u8>d)
    if (d > <i32>threshold) count++
  }
  return count
}

/**
 * Counts |a[i] - b[i]| > threshold without writing anything: the kernel the C and OpenCV
 * baselines are measured against. SIMD body: 4× unrolled sub_sat_u/eq form (psubusb + pcmpeqb).
 */
export function absDiffThresholdCount(a: usize, b: usize, length: i32, threshold: u8): i32 {
  if (length <= 0) return 0
  checkRange(a, length); checkRange(b, length)
  let i: i32 = 0
  let count: i32 = 0
  if (ASC_FEATURE_SIMD) {
    const th = i8x16.splat(threshold)
    const z = i8x16.splat(0)
    let le: i32 = 0
    while (i + 64 <= length) {
      let a0 = z, a1 = z, a2 = z, a3 = z
      const lim = min(i + 255 * 64, length - ((length - i) & 63))
      for (; i < lim; i += 64) {
        const p = a + <usize>i, q = b + <usize>i
        const x0 = v128.load(p), y0 = v128.load(q)
        const x1 = v128.load(p, 16), y1 = v128.load(q, 16)
        const x2 = v128.load(p, 32), y2 = v128.load(q, 32)
        const x3 = v128.load(p, 48), y3 = v128.load(q, 48)
        a0 = i8x16.sub(a0, i8x16.eq(i8x16.sub_sat_u(v128.or(i8x16.sub_sat_u(x0, y0), i8x16.sub_sat_u(y0, x0)), th), z))
        a1 = i8x16.sub(a1, i8x16.eq(i8x16.sub_sat_u(v128.or(i8x16.sub_sat_u(x1, y1), i8x16.sub_sat_u(y1, x1)), th), z))
        a2 = i8x16.sub(a2, i8x16.eq(i8x16.sub_sat_u(v128.or(i8x16.sub_sat_u(x2, y2), i8x16.sub_sat_u(y2, x2)), th), z))
        a3 = i8x16.sub(a3, i8x16.eq(i8x16.sub_sat_u(v128.or(i8x16.sub_sat_u(x3, y3), i8x16.sub_sat_u(y3, x3)), th), z))
      }
      le += hsumU8(a0) + hsumU8(a1) + hsumU8(a2) + hsumU8(a3)
    }
    while (i + 16 <= length) {
      const x = v128.load(a + <usize>i), y = v128.load(b + <usize>i)
      le += hsumU8(i8x16.sub(z, i8x16.eq(i8x16.sub_sat_u(v128.or(i8x16.sub_sat_u(x, y), i8x16.sub_sat_u(y, x)), th), z)))
      i += 16
    }
    count = i - le
  }
  for (; i < length; i++) {
    const x = <i32>load<u8>(a + <usize>i)
    const y = <i32>load<u8>(b + <usize>i)
    count += i32((x > y ? x - y : y - x) > <i32>threshold)
  }
  return count
}

/** dst[i] = src[i] > threshold ? 255 : 0; returns the count of 255s. dst may alias src. */
export function threshold(src: usize, dst: usize, length: i32, threshold: u8): i32 {
  if (length <= 0) return 0
  checkRange(src, length); checkRange(dst, length)
  let i: i32 = 0
  let count: i32 = 0
  if (ASC_FEATURE_SIMD) {
    const th = i8x16.splat(threshold)
    const z = i8x16.splat(0)
    let le: i32 = 0
    while (i + 64 <= length) {
      let a0 = z, a1 = z, a2 = z, a3 = z
      const lim = min(i + 255 * 64, length - ((length - i) & 63))
      for (; i < lim; i += 64) {
        const p = src + <usize>i, q = dst + <usize>i
        const m0 = i8x16.eq(i8x16.sub_sat_u(v128.load(p), th), z)
        const m1 = i8x16.eq(i8x16.sub_sat_u(v128.load(p, 16), th), z)
        const m2 = i8x16.eq(i8x16.sub_sat_u(v128.load(p, 32), th), z)
        const m3 = i8x16.eq(i8x16.sub_sat_u(v128.load(p, 48), th), z)
        v128.store(q, v128.not(m0)); v128.store(q, v128.not(m1), 16)
        v128.store(q, v128.not(m2), 32); v128.store(q, v128.not(m3), 48)
        a0 = i8x16.sub(a0, m0); a1 = i8x16.sub(a1, m1); a2 = i8x16.sub(a2, m2); a3 = i8x16.sub(a3, m3)
      }
      le += hsumU8(a0) + hsumU8(a1) + hsumU8(a2) + hsumU8(a3)
    }
    while (i + 16 <= length) {
      const m = i8x16.eq(i8x16.sub_sat_u(v128.load(src + <usize>i), th), z)
      v128.store(dst + <usize>i, v128.not(m))
      le += hsumU8(i8x16.sub(z, m))
      i += 16
    }
    count = i - le
  }
  for (; i < length; i++) {
    const on = load<u8>(src + <usize>i) > threshold
    store<u8>(dst + <usize>i, on ? 255 : 0)
    count += i32(on)
  }
  return count
}

/** Sum of |a[i] - b[i]| (as f64: exact up to 2^53). */
export function sumAbsDiff(a: usize, b: usize, length: i32): f64 {
  if (length <= 0) return 0
  checkRange(a, length); checkRange(b, length)
  let i: i32 = 0
  let total: f64 = 0
  if (ASC_FEATURE_SIMD) {
    while (i + 16 <= length) {
      // u16 lanes hold at most 2 × 255 per step: flush every 128 steps
      let acc = i16x8.splat(0)
      const lim = min(i + 128 * 16, length - ((length - i) & 15))
      for (; i < lim; i += 16) {
        const x = v128.load(a + <usize>i), y = v128.load(b + <usize>i)
        acc = i16x8.add(acc, i16x8.extadd_pairwise_i8x16_u(v128.or(i8x16.sub_sat_u(x, y), i8x16.sub_sat_u(y, x))))
      }
      const s = i32x4.extadd_pairwise_i16x8_u(acc)
      total += <f64>(i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3))
    }
  }
  let rest: i32 = 0
  for (; i < length; i++) {
    const x = <i32>load<u8>(a + <usize>i)
    const y = <i32>load<u8>(b + <usize>i)
    rest += x > y ? x - y : y - x
  }
  return total + <f64>rest
}

/** Pixels where a[i] != 0 and b[i] != 0 (e.g. motion mask AND zone mask). */
export function countAnd(a: usize, b: usize, length: i32): i32 {
  if (length <= 0) return 0
  checkRange(a, length); checkRange(b, length)
  let i: i32 = 0
  let count: i32 = 0
  if (ASC_FEATURE_SIMD) {
    const z = i8x16.splat(0)
    let zeros: i32 = 0
    while (i + 16 <= length) {
      let acc = z
      const lim = min(i + 255 * 16, length - ((length - i) & 15))
      for (; i < lim; i += 16) {
        const x = v128.load(a + <usize>i), y = v128.load(b + <usize>i)
        // lane is 0 when either is 0
        const both = v128.and(v128.not(i8x16.eq(x, z)), v128.not(i8x16.eq(y, z)))
        acc = i8x16.sub(acc, both)
      }
      zeros += hsumU8(acc)
    }
    count = zeros
  }
  for (; i < length; i++) {
    count += i32(load<u8>(a + <usize>i) != 0 && load<u8>(b + <usize>i) != 0)
  }
  return count
}

/** dst[i] &= mask[i] (mask is 0 or 255 per pixel). */
export function maskApply(dst: usize, mask: usize, length: i32): void {
  if (length <= 0) return
  checkRange(dst, length); checkRange(mask, length)
  let i: i32 = 0
  if (ASC_FEATURE_SIMD) {
    for (; i + 16 <= length; i += 16) {
      v128.store(dst + <usize>i, v128.and(v128.load(dst + <usize>i), v128.load(mask + <usize>i)))
    }
  }
  for (; i < length; i++) store<u8>(dst + <usize>i, load<u8>(dst + <usize>i) & load<u8>(mask + <usize>i))
}
