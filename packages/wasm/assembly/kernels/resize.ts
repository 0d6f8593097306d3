import { checkRange } from './common'

/** Bytes of scratch `downscaleArea` needs: a u16 row accumulator (padded) + column bounds. */
export function downscaleScratchBytes(srcWidth: i32, dstWidth: i32): i32 {
  return ((srcWidth * 2 + 47) & ~15) + (dstWidth + 1) * 4
}

/**
 * Area-average downscale of a strided 8-bit plane. Output pixel (x, y) averages the source box
 * [floor(x·sw/dw), floor((x+1)·sw/dw)) × [floor(y·sh/dh), floor((y+1)·sh/dh)), rounded.
 * Requires 1 ≤ dw ≤ sw, 1 ≤ dh ≤ sh, sh ≤ 257·dh (u16 column sums), srcStride ≥ sw.
 * Same size is a strided copy. scratch: downscaleScratchBytes(sw, dw) bytes.
 */
export function downscaleArea(src: usize, srcStride: i32, sw: i32, sh: i32, dst: usize, dw: i32, dh: i32, scratch: usize): void {
  if (sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0) return
  assert(dw <= sw && dh <= sh && srcStride >= sw && sh <= 257 * dh, 'downscaleArea: bad sizes')
  checkRange(src, <usize>srcStride * <usize>(sh - 1) + <usize>sw)
  checkRange(dst, <usize>dw * <usize>dh)
  checkRange(scratch, <usize>downscaleScratchBytes(sw, dw))
  const acc = scratch
  const cols = scratch + <usize>((sw * 2 + 47) & ~15)
  for (let x: i32 = 0; x <= dw; x++) {
    store<u32>(cols + (<usize>x << 2), <u32>((<i64>x * <i64>sw) / <i64>dw))
  }
  const bwSmall: u32 = <u32>(sw / dw)
  for (let y: i32 = 0; y < dh; y++) {
    const y0 = <i32>((<i64>y * <i64>sh) / <i64>dh)
    const y1 = <i32>((<i64>(y + 1) * <i64>sh) / <i64>dh)
    const bh = <u32>(y1 - y0)
    const row0 = src + <usize>y0 * <usize>srcStride
    const uniform = <u32>sw == bwSmall * <u32>dw
    if (ASC_FEATURE_SIMD) {
      if (uniform && (bwSmall & 1) == 0 && bh <= 128) {
        // even boxes: add horizontal pixel pairs first (one extadd per 16 pixels), then the
        // rows; acc holds sw/2 pair sums, the boxes are bwSmall/2 of them wide
        pairColumnSums(row0, srcStride, sw, bh, acc)
        const ox = boxRowSimd(acc, dst + <usize>y * <usize>dw, dw, bwSmall >> 1, boxMultiplier(bh * bwSmall))
        boxRowScalar(acc, dst + <usize>y * <usize>dw, ox, dw, bwSmall >> 1, boxMultiplier(bh * bwSmall))
        continue
      }
    }
    // vertical: acc[x] = sum of the bh source rows at column x, row by row (sequential reads)
    const body = ASC_FEATURE_SIMD ? sw & ~15 : 0
    let p = row0
    for (let r: u32 = 0; r < bh; r++) {
      let x: i32 = 0
      if (ASC_FEATURE_SIMD) {
        for (; x < body; x += 16) {
          const v = v128.load(p + <usize>x)
          const a = acc + (<usize>x << 1)
          let lo = i16x8.extend_low_i8x16_u(v)
          let hi = i16x8.extend_high_i8x16_u(v)
          if (r > 0) {
            lo = i16x8.add(lo, v128.load(a))
            hi = i16x8.add(hi, v128.load(a, 16))
          }
          v128.store(a, lo)
          v128.store(a, hi, 16)
        }
      }
      for (; x < sw; x++) {
        const a = acc + (<usize>x << 1)
        const v = <u32>load<u8>(p + <usize>x)
        store<u16>(a, <u16>(r == 0 ? v : <u32>load<u16>(a) + v))
      }
      p += <usize>srcStride
    }
    // horizontal: average over each column box; box widths are bwSmall or bwSmall + 1
    const cSmall = bh * bwSmall
    const cLarge = bh * (bwSmall + 1)
    const mSmall = boxMultiplier(cSmall)
    const mLarge = boxMultiplier(cLarge)
    const out = dst + <usize>y * <usize>dw
    let ox: i32 = 0
    if (uniform) {
      // every box has the same width
      if (ASC_FEATURE_SIMD) ox = boxRowSimd(acc, out, dw, bwSmall, mSmall)
      boxRowScalar(acc, out, ox, dw, bwSmall, mSmall)
      continue
    }
    let x0 = load<u32>(cols + (<usize>ox << 2))
    for (; ox < dw; ox++) {
      const x1 = load<u32>(cols + (<usize>(ox + 1) << 2))
      let s: u32 = 0
      for (let k = x0; k < x1; k++) s += <u32>load<u16>(acc + (<usize>k << 1))
      const m = x1 - x0 == bwSmall ? mSmall : mLarge
      store<u8>(out + <usize>ox, <u8>((s * m + (1 << 22)) >> 23))
      x0 = x1
    }
  }
}

/** round(2^23 / count): (sum · m + 2^22) >> 23 is the rounded average of `count` pixels. */
@inline function boxMultiplier(count: u32): u32 {
  return ((1 << 23) + (count >> 1)) / count
}

/** acc[k] (u16) = Σ over bh rows of p[2k] + p[2k+1], for k < sw/2 (sw even, bh ≤ 128). */
@inline function pairColumnSums(row0: usize, stride: i32, sw: i32, bh: u32, acc: usize): void {
  // row by row (one sequential stream, which the prefetcher follows), acc stays in L1
  const body = sw & ~15
  let p = row0
  for (let r: u32 = 0; r < bh; r++) {
    let x: i32 = 0
    if (r == 0) {
      for (; x < body; x += 16) v128.store(acc + <usize>x, i16x8.extadd_pairwise_i8x16_u(v128.load(p + <usize>x)))
    } else {
      for (; x < body; x += 16) {
        const a = acc + <usize>x
        v128.store(a, i16x8.add(v128.load(a), i16x8.extadd_pairwise_i8x16_u(v128.load(p + <usize>x))))
      }
    }
    for (; x < sw; x += 2) {
      const a = acc + <usize>x
      const v = <u32>load<u8>(p + <usize>x) + <u32>load<u8>(p + <usize>x, 1)
      store<u16>(a, <u16>(r == 0 ? v : <u32>load<u16>(a) + v))
    }
    p += <usize>stride
  }
}

/** Outputs ox.. of a row where every box is bw wide, plain loops (the tail, or the scalar build). */
@inline function boxRowScalar(acc: usize, out: usize, ox: i32, dw: i32, bw: u32, m: u32): void {
  for (; ox < dw; ox++) {
    const p = acc + ((<usize>ox * <usize>bw) << 1)
    let s: u32 = 0
    for (let k: u32 = 0; k < bw; k++) s += <u32>load<u16>(p + (<usize>k << 1))
    store<u8>(out + <usize>ox, <u8>((s * m + (1 << 22)) >> 23))
  }
}

/** (a0, a3, a6, a9) + (a1, a4, a7, a10) + (a2, a5, a8, a11) for a = A ++ B ++ C (i32 lanes). */
@inline function triples(A: v128, B: v128, C: v128): v128 {
  const x = v128.shuffle<i32>(v128.shuffle<i32>(A, B, 0, 3, 6, 6), C, 0, 1, 2, 5)
  const y = v128.shuffle<i32>(v128.shuffle<i32>(A, B, 1, 4, 7, 7), C, 0, 1, 2, 6)
  const z = v128.shuffle<i32>(v128.shuffle<i32>(A, B, 2, 5, 5, 5), C, 0, 1, 4, 7)
  return i32x4.add(i32x4.add(x, y), z)
}

/** (a0 + a1, a2 + a3, a4 + a5, a6 + a7) for a = A ++ B (i32 lanes). */
@inline function pairs(A: v128, B: v128): v128 {
  return i32x4.add(v128.shuffle<i32>(A, B, 0, 2, 4, 6), v128.shuffle<i32>(A, B, 1, 3, 5, 7))
}

/** Box sums (u32) of the 4 boxes at p, each bw u16 column sums wide (bw in 1, 2, 3, 4, 6, 8). */
@inline function boxSums4(p: usize, bw: u32): v128 {
  if (bw == 1) return v128.load16x4_u(p)
  if (bw == 2) return i32x4.extadd_pairwise_i16x8_u(v128.load(p))
  if (bw == 3) {
    const v0 = v128.load(p), v1 = v128.load(p, 16)
    return triples(i32x4.extend_low_i16x8_u(v0), i32x4.extend_high_i16x8_u(v0), i32x4.extend_low_i16x8_u(v1))
  }
  if (bw == 4) return pairs(i32x4.extadd_pairwise_i16x8_u(v128.load(p)), i32x4.extadd_pairwise_i16x8_u(v128.load(p, 16)))
  if (bw == 6) return triples(i32x4.extadd_pairwise_i16x8_u(v128.load(p)), i32x4.extadd_pairwise_i16x8_u(v128.load(p, 16)), i32x4.extadd_pairwise_i16x8_u(v128.load(p, 32)))
  const q0 = pairs(i32x4.extadd_pairwise_i16x8_u(v128.load(p)), i32x4.extadd_pairwise_i16x8_u(v128.load(p, 16)))
  const q1 = pairs(i32x4.extadd_pairwise_i16x8_u(v128.load(p, 32)), i32x4.extadd_pairwise_i16x8_u(v128.load(p, 48)))
  return pairs(q0, q1)
}

/**
 * 8 outputs per step (then 4) for box widths 1, 2, 3, 4, 6, 8 (u16 column sums → u32 box sums →
 * rounded average). Returns the first output left to the scalar tail. Loads may read up to 16 u16
 * past the row: the accumulator is padded for that.
 */
@inline function boxRowSimd(acc: usize, out: usize, dw: i32, bw: u32, m: u32): i32 {
  if (bw != 1 && bw != 2 && bw != 3 && bw != 4 && bw != 6 && bw != 8) return 0
  const vm = i32x4.splat(m)
  const half = i32x4.splat(1 << 22)
  let ox: i32 = 0
  // (s·m + 2^22) >> 23 in u32 (wrapping i32 multiply, logical shift)
  for (; ox + 8 <= dw; ox += 8) {
    const p = acc + ((<usize>ox * <usize>bw) << 1)
    const s0 = boxSums4(p, bw)
    const s1 = boxSums4(p + ((<usize>bw * 4) << 1), bw)
    const r0 = i32x4.shr_u(i32x4.add(i32x4.mul(s0, vm), half), 23)
    const r1 = i32x4.shr_u(i32x4.add(i32x4.mul(s1, vm), half), 23)
    const w = i16x8.narrow_i32x4_u(r0, r1)
    v128.store64_lane(out + <usize>ox, i8x16.narrow_i16x8_u(w, w), 0)
  }
  for (; ox + 4 <= dw; ox += 4) {
    const s = boxSums4(acc + ((<usize>ox * <usize>bw) << 1), bw)
    const r = i32x4.shr_u(i32x4.add(i32x4.mul(s, vm), half), 23)
    const b = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(r, r), r)
    v128.store32_lane(out + <usize>ox, b, 0)
  }
  return ox
}
