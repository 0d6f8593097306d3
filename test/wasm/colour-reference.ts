// The JS reference of the `colourVotes` WASM kernel (packages/wasm/assembly/kernels/colour.ts):
// oko's vehicle colour as it was computed in JS, in floating point. test/wasm/colour.test.ts
// compares the kernel against it; bench/kernels.bench.ts and bench/tracking.bench.ts time it.
import type { RawImage } from '@oko/core'
import { VEHICLE_COLOURS, type ColourResult } from '@oko/objects'

/**
 * Names one pixel's colour (RGB 0-255) by hue, saturation and value; -1 for pixels that say
 * nothing (specular highlights, deep shadow). Achromatic pixels go by brightness: black, grey,
 * silver, white; browns are dark oranges and reds, beige a pale orange-yellow.
 */
export function pixelColour(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b), min = Math.min(r, g, b)
  const v = max / 255
  const chroma = max - min
  const s = max === 0 ? 0 : chroma / max
  if (v > 0.97 && s < 0.08) return -1 // highlight or a window's glare
  if (s < 0.22 || chroma < 24) {
    if (v < 0.22) return 1 // black
    if (v < 0.5) return 2 // grey
    if (v < 0.78) return 3 // silver
    return 0 // white
  }
  if (v < 0.12) return -1 // too dark to tell the hue
  let h: number
  if (max === r) h = ((g - b) / chroma) % 6
  else if (max === g) h = (b - r) / chroma + 2
  else h = (r - g) / chroma + 4
  h = (h * 60 + 360) % 360
  if (h < 15 || h >= 340) return v < 0.35 ? 8 : 4 // red (dark red: brown)
  if (h < 45) {
    if (v < 0.55) return 8 // brown
    return s < 0.45 ? 10 : 9 // beige : orange
  }
  if (h < 70) return s < 0.4 && v > 0.6 ? 10 : v < 0.45 ? 8 : 7 // beige, olive-brown, yellow
  if (h < 165) return 6 // green
  if (h < 260) return 5 // blue
  return 4 // purple and magenta count as red
}

/**
 * The dominant colour of a vehicle in `image` (RGB or grey, a crop of its box): pixels of the
 * middle band (the body below the windows, inside the wheels) vote, every `step`-th in each
 * direction. A picture without colour anywhere (every pixel's channels within a few levels: an
 * infrared or black-and-white camera) is `unknown`.
 */
export function dominantColour(image: RawImage, step = 2): ColourResult {
  const votes = new Array<number>(VEHICLE_COLOURS.length).fill(0)
  const { width, height, data } = image
  const channels = image.format === 'gray8' ? 1 : 3
  const stride = image.stride ?? width * channels
  if (channels === 1) return { colour: 'unknown', confidence: 1, votes }
  let chromaMax = 0, counted = 0
  // The whole box tells colour from infrared; the body band votes.
  const x0 = Math.floor(width * 0.15), x1 = Math.ceil(width * 0.85), y0 = Math.floor(height * 0.35), y1 = Math.ceil(height * 0.8)
  for (let y = 0; y < height; y += step) {
    const row = y * stride
    const band = y >= y0 && y < y1
    for (let x = 0; x < width; x += step) {
      const i = row + x * 3
      const r = data[i]!, g = data[i + 1]!, b = data[i + 2]!
      const c = Math.max(r, g, b) - Math.min(r, g, b)
      if (c > chromaMax) chromaMax = c
      if (!band || x < x0 || x >= x1) continue
      const k = pixelColour(r, g, b)
      if (k >= 0) { votes[k]!++; counted++ }
    }
  }
  if (chromaMax <= 8 || counted === 0) return { colour: 'unknown', confidence: 1, votes }
  let best = 0
  for (let k = 1; k < votes.length; k++) if (votes[k]! > votes[best]!) best = k
  return { colour: VEHICLE_COLOURS[best]!, confidence: votes[best]! / counted, votes }
}
