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
    // vertical: acc[x] = sum of the bh source rows at column x
    let x: i32 = 0
    if (ASC_FEATURE_SIMD) {
      for (; x + 16 <= sw; x += 16) {
        let lo = i16x8.splat(0)
        let hi = lo
        let p = row0 + <usize>x
        for (let r: u32 = 0; r < bh; r++) {
          const v = v128.load(p)
          lo = i16x8.add(lo, i16x8.extend_low_i8x16_u(v))
          hi = i16x8.add(hi, i16x8.extend_high_i8x16_u(v))
          p += <usize>srcStride
        }
        v128.store(acc + (<usize>x << 1), lo)
        v128.store(acc + (<usize>x << 1), hi, 16)
      }
    }
    for (; x < sw; x++) {
      let s: u32 = 0
      let p = row0 + <usize>x
      for (let r: u32 = 0; r < bh; r++) {
        s += <u32>load<u8>(p)
        p += <usize>srcStride
      }
      store<u16>(acc + (<usize>x << 1), <u16>s)
    }
    // horizontal: average over each column box; box widths are bwSmall or bwSmall + 1
    const cSmall = bh * bwSmall
    const cLarge = bh * (bwSmall + 1)
    const mSmall: u32 = ((1 << 23) + (cSmall >> 1)) / cSmall
    const mLarge: u32 = ((1 << 23) + (cLarge >> 1)) / cLarge
    const out = dst + <usize>y * <usize>dw
    let x0 = load<u32>(cols)
    for (let ox: i32 = 0; ox < dw; ox++) {
      const x1 = load<u32>(cols + (<usize>(ox + 1) << 2))
      let s: u32 = 0
      for (let k = x0; k < x1; k++) s += <u32>load<u16>(acc + (<usize>k << 1))
      const m = x1 - x0 == bwSmall ? mSmall : mLarge
      store<u8>(out + <usize>ox, <u8>((s * m + (1 << 22)) >> 23))
      x0 = x1
    }
  }
}
