import { checkRange } from './common'

// Vehicle colour: each sampled pixel of a box named by hue, saturation and value, and the names
// counted. Integer arithmetic with exactly the JS reference's thresholds (test/wasm/colour-reference.ts;
// checked on all 2²⁴ colours): `v < 0.22` is `max ≤ 56`, `s < 0.22` is `50·chroma < 11·max`, and a
// hue sector is a ratio of channel differences to the chroma. SIMD where it paid: the chroma of
// the pixels outside the band (every 2nd pixel, the attributes stage's step; 8 pixels' channels
// gathered with two shuffles each). Naming pixels in SIMD lanes (the same comparisons as masks,
// counted in u8 lanes) ran no faster than this scalar code, so the band's pixels go one by one.

// Colour indices, in VEHICLE_COLOURS order; NONE for pixels that say nothing.
const WHITE: i32 = 0, BLACK: i32 = 1, GREY: i32 = 2, SILVER: i32 = 3, RED: i32 = 4, BLUE: i32 = 5
const GREEN: i32 = 6, YELLOW: i32 = 7, BROWN: i32 = 8, ORANGE: i32 = 9, BEIGE: i32 = 10, NONE: i32 = 11

/**
 * One pixel's colour index: achromatic pixels by brightness (black, grey, silver, white), the rest
 * by hue; NONE for a highlight (a window's glare) and for a pixel too dark to tell its hue.
 */
@inline function pixelClass(r: i32, g: i32, b: i32): i32 {
  const mx = max(r, max(g, b))
  const c = mx - min(r, min(g, b))
  if (mx >= 248 && 25 * c < 2 * mx) return NONE // v > 0.97, s < 0.08
  if (50 * c < 11 * mx || c < 24) return mx <= 56 ? BLACK : mx <= 127 ? GREY : mx <= 198 ? SILVER : WHITE
  if (mx <= 30) return NONE // v < 0.12
  if (mx == r) {
    const d = g - b // hue 60·d/c, below 0: from 360 down
    if (d < 0) return -3 * d <= c ? (mx <= 89 ? BROWN : RED) : RED // 340..360 red, 300..340 purple counts as red
    if (4 * d < c) return mx <= 89 ? BROWN : RED // < 15°
    if (4 * d < 3 * c) return mx <= 140 ? BROWN : 20 * c < 9 * mx ? BEIGE : ORANGE // < 45°
    return 5 * c < 2 * mx && mx >= 154 ? BEIGE : mx <= 114 ? BROWN : YELLOW // < 70°
  }
  if (mx == g) {
    const d = b - r // hue 120 + 60·d/c
    if (-6 * d > 5 * c) return 5 * c < 2 * mx && mx >= 154 ? BEIGE : mx <= 114 ? BROWN : YELLOW // < 70°
    return 4 * d < 3 * c ? GREEN : BLUE // < 165°
  }
  return 3 * (r - g) < c ? BLUE : RED // hue 240 + 60·(r − g)/c: < 260° blue, then purple
}

// r, g and b of the 8 pixels p, p + 6 … p + 42 (every 2nd rgb24 pixel; 48 bytes read), u8 lanes 0–7
@inline function red8(a: v128, b: v128, c: v128): v128 {
  return i8x16.shuffle(i8x16.shuffle(a, b, 0, 6, 12, 18, 24, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), c, 0, 1, 2, 3, 4, 5, 20, 26, 0, 0, 0, 0, 0, 0, 0, 0)
}
@inline function green8(a: v128, b: v128, c: v128): v128 {
  return i8x16.shuffle(i8x16.shuffle(a, b, 1, 7, 13, 19, 25, 31, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), c, 0, 1, 2, 3, 4, 5, 21, 27, 0, 0, 0, 0, 0, 0, 0, 0)
}
@inline function blue8(a: v128, b: v128, c: v128): v128 {
  return i8x16.shuffle(i8x16.shuffle(a, b, 2, 8, 14, 20, 26, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), c, 0, 1, 2, 3, 4, 16, 22, 28, 0, 0, 0, 0, 0, 0, 0, 0)
}

/**
 * Largest chroma of the sampled pixels x, x + step … before `end` of a row of `width` pixels.
 * SIMD for step 2: 8 pixels at a time while their 48 bytes lie in the row (the last group may
 * reach past `end` into pixels that are sampled too; the max does not mind).
 */
@inline function chromaSpan(row: usize, x: i32, end: i32, step: i32, width: i32): i32 {
  let most: i32 = 0
  if (ASC_FEATURE_SIMD && step == 2 && x + 16 <= min(end, width)) {
    let m = i8x16.splat(0)
    for (; x < end && x + 16 <= width; x += 16) {
      const p = row + <usize>x * 3
      const a = v128.load(p), b = v128.load(p, 16), c = v128.load(p, 32)
      const r = red8(a, b, c), g = green8(a, b, c), bl = blue8(a, b, c)
      m = i8x16.max_u(m, i8x16.sub(i8x16.max_u(r, i8x16.max_u(g, bl)), i8x16.min_u(r, i8x16.min_u(g, bl))))
    }
    // lanes 8–15 repeat lane 0 (a sampled pixel too)
    m = i8x16.max_u(m, i8x16.shuffle(m, m, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    m = i8x16.max_u(m, i8x16.shuffle(m, m, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    most = max(<i32>i8x16.extract_lane_u(m, 0), <i32>i8x16.extract_lane_u(m, 1))
  }
  for (; x < end; x += step) most = max(most, chromaOf(row + <usize>x * 3))
  return most
}

@inline function chromaOf(p: usize): i32 {
  const r = <i32>load<u8>(p), g = <i32>load<u8>(p, 1), b = <i32>load<u8>(p, 2)
  return max(r, max(g, b)) - min(r, min(g, b))
}

/**
 * Colour votes of a vehicle box: rgb24 pixels at `src` (`stride` bytes a row), every `stepX`-th
 * pixel of every `stepY`-th row from (0, 0). Pixels inside the band [bandX0, bandX1) ×
 * [bandY0, bandY1) vote: `votes` (i32 × 12) has 1 **added** per pixel at its colour's index
 * (VEHICLE_COLOURS order), index 11 for those that say nothing, so a caller may count a box in
 * chunks of rows. Returns the largest chroma (max − min channel) of all the sampled pixels, in and
 * out of the band: ≤ 8 means a picture without colour (infrared, black-and-white).
 */
export function colourVotes(src: usize, stride: i32, width: i32, height: i32, stepX: i32, stepY: i32, bandX0: i32, bandY0: i32, bandX1: i32, bandY1: i32, votes: usize): i32 {
  if (width <= 0 || height <= 0 || stepX <= 0 || stepY <= 0) return 0
  checkRange(src, <usize>stride * <usize>(height - 1) + <usize>width * 3)
  checkRange(votes, 48)
  // the band's first and last sampled columns
  const xa = bandX0 <= 0 ? 0 : (bandX0 + stepX - 1) / stepX * stepX
  const xb = min(bandX1, width)
  const px = <usize>stepX * 3
  let chromaMax: i32 = 0
  for (let y: i32 = 0; y < height; y += stepY) {
    const row = src + <usize>y * <usize>stride
    const band = y >= bandY0 && y < bandY1 && xa < xb
    chromaMax = max(chromaMax, chromaSpan(row, 0, band ? xa : width, stepX, width))
    if (!band) continue
    let x = xa
    for (let p = row + <usize>xa * 3; x < xb; x += stepX, p += px) {
      const r = <i32>load<u8>(p), g = <i32>load<u8>(p, 1), b = <i32>load<u8>(p, 2)
      chromaMax = max(chromaMax, max(r, max(g, b)) - min(r, min(g, b)))
      const at = votes + (<usize>pixelClass(r, g, b) << 2)
      store<i32>(at, load<i32>(at) + 1)
    }
    chromaMax = max(chromaMax, chromaSpan(row, x, width, stepX, width))
  }
  return chromaMax
}
