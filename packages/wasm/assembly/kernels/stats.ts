import { checkRange, hsumI32, absI32 } from './common'

// Picture statistics for lighting and camera-health checks. Sums are returned as f64.

/** out[0] = Σ src, out[1] = Σ src² (f64 each; out is 16 bytes). */
export function sumStats(src: usize, n: i32, out: usize): void {
  checkRange(out, 16)
  let s: f64 = 0
  let q: f64 = 0
  let i: i32 = 0
  if (n > 0) checkRange(src, n)
  if (ASC_FEATURE_SIMD) {
    const ones = i16x8.splat(1)
    while (i + 16 <= n) {
      // per lane at most 4 × 255² per step: flush to f64 every 4096 steps
      let vs = i32x4.splat(0)
      let vq = vs
      const lim = min(i + 4096 * 16, n - ((n - i) & 15))
      for (; i < lim; i += 16) {
        const v = v128.load(src + <usize>i)
        const lo = i16x8.extend_low_i8x16_u(v), hi = i16x8.extend_high_i8x16_u(v)
        vs = i32x4.add(vs, i32x4.dot_i16x8_s(i16x8.add(lo, hi), ones))
        vq = i32x4.add(vq, i32x4.add(i32x4.dot_i16x8_s(lo, lo), i32x4.dot_i16x8_s(hi, hi)))
      }
      s += hsumI32(vs)
      q += hsumI32(vq)
    }
  }
  for (; i < n; i++) {
    const v = <f64>load<u8>(src + <usize>i)
    s += v
    q += v * v
  }
  store<f64>(out, s)
  store<f64>(out, q, 8)
}

/** out = [Σa, Σb, Σa², Σb², Σab] (f64 each; out is 40 bytes): what a correlation needs. */
export function correlationSums(a: usize, b: usize, n: i32, out: usize): void {
  checkRange(out, 40)
  let sa: f64 = 0, sb: f64 = 0, qa: f64 = 0, qb: f64 = 0, ab: f64 = 0
  let i: i32 = 0
  if (n > 0) { checkRange(a, n); checkRange(b, n) }
  if (ASC_FEATURE_SIMD) {
    const ones = i16x8.splat(1)
    while (i + 16 <= n) {
      let vsa = i32x4.splat(0), vsb = vsa, vqa = vsa, vqb = vsa, vab = vsa
      const lim = min(i + 4096 * 16, n - ((n - i) & 15))
      for (; i < lim; i += 16) {
        const x = v128.load(a + <usize>i), y = v128.load(b + <usize>i)
        const xl = i16x8.extend_low_i8x16_u(x), xh = i16x8.extend_high_i8x16_u(x)
        const yl = i16x8.extend_low_i8x16_u(y), yh = i16x8.extend_high_i8x16_u(y)
        vsa = i32x4.add(vsa, i32x4.dot_i16x8_s(i16x8.add(xl, xh), ones))
        vsb = i32x4.add(vsb, i32x4.dot_i16x8_s(i16x8.add(yl, yh), ones))
        vqa = i32x4.add(vqa, i32x4.add(i32x4.dot_i16x8_s(xl, xl), i32x4.dot_i16x8_s(xh, xh)))
        vqb = i32x4.add(vqb, i32x4.add(i32x4.dot_i16x8_s(yl, yl), i32x4.dot_i16x8_s(yh, yh)))
        vab = i32x4.add(vab, i32x4.add(i32x4.dot_i16x8_s(xl, yl), i32x4.dot_i16x8_s(xh, yh)))
      }
      sa += hsumI32(vsa); sb += hsumI32(vsb); qa += hsumI32(vqa); qb += hsumI32(vqb); ab += hsumI32(vab)
    }
  }
  for (; i < n; i++) {
    const x = <f64>load<u8>(a + <usize>i)
    const y = <f64>load<u8>(b + <usize>i)
    sa += x; sb += y; qa += x * x; qb += y * y; ab += x * y
  }
  store<f64>(out, sa); store<f64>(out, sb, 8); store<f64>(out, qa, 16); store<f64>(out, qb, 24); store<f64>(out, ab, 32)
}

/**
 * Σ |p(x+1, y) − p(x, y)| + |p(x, y+1) − p(x, y)| over x < w−1, y < h−1: edge energy, which falls
 * when the lens loses focus.
 */
export function gradientSum(src: usize, w: i32, h: i32): f64 {
  if (w < 2 || h < 2) return 0
  checkRange(src, <usize>w * <usize>h)
  let total: f64 = 0
  for (let y: i32 = 0; y < h - 1; y++) {
    const p = src + <usize>y * <usize>w
    const q = p + <usize>w
    let x: i32 = 0
    if (ASC_FEATURE_SIMD) {
      let acc = i16x8.splat(0)
      // u16 lanes: ≤ 4 × 255 per step; rows are at most 8192 wide → flush per 64 steps
      let steps = 0
      for (; x + 17 <= w; x += 16) {
        const c = v128.load(p + <usize>x), r = v128.load(p + <usize>x + 1), d = v128.load(q + <usize>x)
        const gx = v128.or(i8x16.sub_sat_u(c, r), i8x16.sub_sat_u(r, c))
        const gy = v128.or(i8x16.sub_sat_u(c, d), i8x16.sub_sat_u(d, c))
        acc = i16x8.add(acc, i16x8.add(i16x8.extadd_pairwise_i8x16_u(gx), i16x8.extadd_pairwise_i8x16_u(gy)))
        if (++steps == 64) {
          total += hsumI32(i32x4.extadd_pairwise_i16x8_u(acc))
          acc = i16x8.splat(0)
          steps = 0
        }
      }
      total += hsumI32(i32x4.extadd_pairwise_i16x8_u(acc))
    }
    let rest: i32 = 0
    for (; x < w - 1; x++) {
      const c = <i32>load<u8>(p + <usize>x)
      rest += absI32(<i32>load<u8>(p + <usize>x + 1) - c) + absI32(<i32>load<u8>(q + <usize>x) - c)
    }
    total += <f64>rest
  }
  return total
}
