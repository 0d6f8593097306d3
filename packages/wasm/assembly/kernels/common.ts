// Helpers shared by the kernels. `checkRange` compiles to nothing in release builds (--noAssert);
// the debug builds trap on any buffer that reaches past the instance's memory.

@inline export function checkRange(ptr: usize, bytes: usize): void {
  assert(ptr + bytes <= (<usize>memory.size() << 16) && ptr + bytes >= ptr, 'buffer out of bounds')
}

/** Sum of the 16 u8 lanes. */
@inline export function hsumU8(v: v128): i32 {
  const s = i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v))
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3)
}

/** Sum of the 4 i32 lanes as f64 (no overflow). */
@inline export function hsumI32(v: v128): f64 {
  return <f64>i32x4.extract_lane(v, 0) + <f64>i32x4.extract_lane(v, 1) + <f64>i32x4.extract_lane(v, 2) + <f64>i32x4.extract_lane(v, 3)
}

/** Sum of the 4 u32 lanes as f64. */
@inline export function hsumU32(v: v128): f64 {
  return <f64><u32>i32x4.extract_lane(v, 0) + <f64><u32>i32x4.extract_lane(v, 1) + <f64><u32>i32x4.extract_lane(v, 2) + <f64><u32>i32x4.extract_lane(v, 3)
}

@inline export function absI32(x: i32): i32 {
  return x < 0 ? -x : x
}

@inline export function clampU8(x: i32): i32 {
  return x < 0 ? 0 : x > 255 ? 255 : x
}
