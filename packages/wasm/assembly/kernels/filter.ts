import { checkRange } from './common'

// 3×3 neighbourhood filters in one pass: per output row, a vertical 3-tap over rows y−1, y, y+1
// and a horizontal 3-tap over that result, kept in registers (no temporary picture). Borders
// replicate the edge pixel. OP: 0 = blur (1-2-1 as avg(avg(l, r), c), rounding up, which is what
// i8x16.avgr_u computes), 1 = erode (min), 2 = dilate (max). dst must not alias src.

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

/** Vertical 3-tap at column x of rows a (above), b, c (below). */
@inline function vert(op: i32, a: usize, b: usize, c: usize, x: i32): i32 {
  const o = <usize>x
  return op3(op, load<u8>(a + o), load<u8>(b + o), load<u8>(c + o))
}

/** Outputs from..w−1 of one row, plain loops with the vertical results rolling. */
@inline function rowScalar(op: i32, a: usize, b: usize, c: usize, q: usize, from: i32, w: i32): void {
  let vl = vert(op, a, b, c, max(from - 1, 0))
  let vc = vert(op, a, b, c, from)
  for (let x = from; x < w; x++) {
    const vr = vert(op, a, b, c, min(x + 1, w - 1))
    store<u8>(q + <usize>x, <u8>op3(op, vl, vc, vr))
    vl = vc
    vc = vr
  }
}

/** 16 outputs per step; returns the first column left to the scalar tail. Needs w ≥ 16. */
@inline function rowSimd(op: i32, a: usize, b: usize, c: usize, q: usize, w: i32): i32 {
  let cur = op3v(op, v128.load(a), v128.load(b), v128.load(c))
  // left neighbours of the first chunk: lane 0 repeats itself
  let left = v128.shuffle<u8>(cur, cur, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14)
  let x: i32 = 0
  for (; x + 32 <= w; x += 16) {
    const o = <usize>(x + 16)
    const next = op3v(op, v128.load(a + o), v128.load(b + o), v128.load(c + o))
    const right = v128.shuffle<u8>(cur, next, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)
    v128.store(q + <usize>x, op3v(op, left, cur, right))
    left = v128.shuffle<u8>(cur, next, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30)
    cur = next
  }
  if (x + 16 == w) {
    // last chunk ends the row: lane 15 repeats itself on the right
    const right = v128.shuffle<u8>(cur, cur, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15)
    v128.store(q + <usize>x, op3v(op, left, cur, right))
    return w
  }
  return x
}

@inline function filter3(op: i32, src: usize, dst: usize, w: i32, h: i32): void {
  if (w <= 0 || h <= 0) return
  const n = <usize>w * <usize>h
  checkRange(src, n); checkRange(dst, n)
  assert(dst + n <= src || src + n <= dst, 'dst must not overlap src')
  for (let y: i32 = 0; y < h; y++) {
    const a = src + <usize>max(y - 1, 0) * <usize>w
    const b = src + <usize>y * <usize>w
    const c = src + <usize>min(y + 1, h - 1) * <usize>w
    const q = dst + <usize>y * <usize>w
    let x: i32 = 0
    if (ASC_FEATURE_SIMD) {
      if (w >= 16) x = rowSimd(op, a, b, c, q, w)
    }
    if (x < w) rowScalar(op, a, b, c, q, x, w)
  }
}

/** 3×3 blur (1-2-1 each way, rounding averages, vertical first). dst must not overlap src. */
export function blur3(src: usize, dst: usize, w: i32, h: i32): void {
  filter3(0, src, dst, w, h)
}

/** 3×3 erosion (minimum). dst must not overlap src. */
export function erode3(src: usize, dst: usize, w: i32, h: i32): void {
  filter3(1, src, dst, w, h)
}

/** 3×3 dilation (maximum). dst must not overlap src. */
export function dilate3(src: usize, dst: usize, w: i32, h: i32): void {
  filter3(2, src, dst, w, h)
}
