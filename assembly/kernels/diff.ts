/**
 * out[i] = |a[i] - b[i]|; returns how many out[i] > threshold.
 * a, b, out: byte offsets of `length` bytes each (out may alias a or b).
 */
export function absDiffCount(a: usize, b: usize, out: usize, length: i32, threshold: u8): i32 {
  let count: i32 = 0
  let i: i32 = 0
  if (ASC_FEATURE_SIMD) {
    const t = i8x16.splat(threshold)
    const end = length & ~15
    for (; i < end; i += 16) {
      const va = v128.load(a + <usize>i)
      const vb = v128.load(b + <usize>i)
      const d = v128.or(i8x16.sub_sat_u(va, vb), i8x16.sub_sat_u(vb, va))
      v128.store(out + <usize>i, d)
      // d > t  <=>  sat(d - t) != 0
      const over = i8x16.ne(i8x16.sub_sat_u(d, t), i8x16.splat(0))
      count += <i32>popcnt(i8x16.bitmask(over))
    }
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
