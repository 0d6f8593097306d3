import { checkRange } from './common'

// 3×3 neighbourhood filters, separable: a horizontal pass into tmp, a vertical pass into dst.
// Borders replicate the edge pixel. OP: 0 = blur (1-2-1 as avg(avg(l, r), c), rounding up, which
// is what i8x16.avgr_u computes), 1 = erode (min), 2 = dilate (max).

@inline function op3(op: i32, l: i32, c: i32, r: i32): i32 {
  if (op == 0) return (((l + r + 1) >> 1) + c + 1) >> 1
  if (op == 1) return min(min(l, c), r)
  return max(max(l, c), r)
}

@inline function op3v(op: i32, l: v128, c: v128, r: v128): v128 {
  if (op == 0) return i8x16.avgr_u(i8x16.avgr_u(l, r), c)
  if (op == 1) return i8x16.min_u(i8x16.min_u(l, c), r)
  return i8x16.max_u(i8x16.max_u(l, c), r)
}

@inline function separable3(op: i32, src: usize, dst: usize, tmp: usize, w: i32, h: i32): void {
  if (w <= 0 || h <= 0) return
  const n = <usize>w * <usize>h
  checkRange(src, n); checkRange(dst, n); checkRange(tmp, n)
  assert(tmp != src && tmp != dst, 'tmp must not alias src or dst')
  // horizontal
  for (let y: i32 = 0; y < h; y++) {
    const p = src + <usize>y * <usize>w
    const q = tmp + <usize>y * <usize>w
    if (w == 1) { store<u8>(q, load<u8>(p)); continue }
    store<u8>(q, <u8>op3(op, load<u8>(p), load<u8>(p), load<u8>(p + 1)))
    let x: i32 = 1
    if (ASC_FEATURE_SIMD) {
      for (; x + 17 <= w; x += 16) {
        const a = p + <usize>x
        v128.store(q + <usize>x, op3v(op, v128.load(a - 1), v128.load(a), v128.load(a + 1)))
      }
    }
    for (; x < w - 1; x++) {
      const a = p + <usize>x
      store<u8>(q + <usize>x, <u8>op3(op, load<u8>(a - 1), load<u8>(a), load<u8>(a + 1)))
    }
    const e = p + <usize>(w - 1)
    store<u8>(q + <usize>(w - 1), <u8>op3(op, load<u8>(e - 1), load<u8>(e), load<u8>(e)))
  }
  // vertical
  for (let y: i32 = 0; y < h; y++) {
    const a = tmp + <usize>max(y - 1, 0) * <usize>w
    const b = tmp + <usize>y * <usize>w
    const c = tmp + <usize>min(y + 1, h - 1) * <usize>w
    const q = dst + <usize>y * <usize>w
    let x: i32 = 0
    if (ASC_FEATURE_SIMD) {
      for (; x + 16 <= w; x += 16) {
        const o = <usize>x
        v128.store(q + o, op3v(op, v128.load(a + o), v128.load(b + o), v128.load(c + o)))
      }
    }
    for (; x < w; x++) {
      const o = <usize>x
      store<u8>(q + o, <u8>op3(op, load<u8>(a + o), load<u8>(b + o), load<u8>(c + o)))
    }
  }
}

/** 3×3 blur (1-2-1 each way, rounding averages). dst may alias src; tmp is w·h bytes of its own. */
export function blur3(src: usize, dst: usize, tmp: usize, w: i32, h: i32): void {
  separable3(0, src, dst, tmp, w, h)
}

/** 3×3 erosion (minimum). dst may alias src; tmp is w·h bytes of its own. */
export function erode3(src: usize, dst: usize, tmp: usize, w: i32, h: i32): void {
  separable3(1, src, dst, tmp, w, h)
}

/** 3×3 dilation (maximum). dst may alias src; tmp is w·h bytes of its own. */
export function dilate3(src: usize, dst: usize, tmp: usize, w: i32, h: i32): void {
  separable3(2, src, dst, tmp, w, h)
}
