import type { RgbImage } from '@oko/core'

/** 5×7 glyphs (1 = ink): enough to draw plates a recogniser reads, with no image files. */
const FONT: Readonly<Record<string, readonly string[]>> = {
  A: ['00100', '01010', '10001', '10001', '11111', '10001', '10001'],
  B: ['11110', '10001', '10001', '11110', '10001', '10001', '11110'],
  C: ['01110', '10001', '10000', '10000', '10000', '10001', '01110'],
  E: ['11111', '10000', '10000', '11110', '10000', '10000', '11111'],
  H: ['10001', '10001', '10001', '11111', '10001', '10001', '10001'],
  K: ['10001', '10010', '10100', '11000', '10100', '10010', '10001'],
  X: ['10001', '10001', '01010', '00100', '01010', '10001', '10001'],
  '1': ['00100', '01100', '00100', '00100', '00100', '00100', '01110'],
  '2': ['01110', '10001', '00001', '00010', '00100', '01000', '11111'],
  '3': ['11110', '00001', '00001', '01110', '00001', '00001', '11110'],
  '4': ['00010', '00110', '01010', '10010', '11111', '00010', '00010'],
  '5': ['11111', '10000', '11110', '00001', '00001', '10001', '01110'],
  '7': ['11111', '00001', '00010', '00100', '01000', '01000', '01000'],
  '9': ['01110', '10001', '10001', '01111', '00001', '00010', '01100'],
}

/** Whether dot (`row` 0..6, `col` 0..4) of `ch`'s glyph is ink. */
export function glyphAt(ch: string, row: number, col: number): boolean {
  return FONT[ch]?.[row]?.[col] === '1'
}

/** Characters `drawPlate` and `drawText` can draw. */
export const PLATE_GLYPHS: string = Object.keys(FONT).join('')

/**
 * An rgb24 picture of `width`×`height` grey (`background`) with a white plate at (`px`, `py`)
 * carrying `text` in black, `scale` pixels per font dot. For plate tests and benchmarks.
 */
export function drawPlate(text: string, width = 640, height = 480, px = 100, py = 200, scale = 4, background = 90): RgbImage {
  const data = new Uint8Array(width * height * 3).fill(background)
  const image: RgbImage = { data, width, height, format: 'rgb24' }
  for (let y = py; y < py + 11 * scale; y++) {
    for (let x = px; x < px + (text.length * 6 + 3) * scale; x++) data.fill(235, (y * width + x) * 3, (y * width + x) * 3 + 3)
  }
  return drawText(image, text, px + 2 * scale, py + 2 * scale, scale)
}

/** Draws `text` in black onto `image` in place (no plate background), top-left at (`px`, `py`). */
export function drawText(image: RgbImage, text: string, px: number, py: number, scale: number): RgbImage {
  const { data, width } = image
  ;[...text].forEach((ch, i) => {
    const glyph = FONT[ch]
    if (!glyph) throw new RangeError(`drawText: no glyph for ${JSON.stringify(ch)}; available: ${PLATE_GLYPHS}`)
    glyph.forEach((row, r) => [...row].forEach((bit, c) => {
      if (bit !== '1') return
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const o = ((py + r * scale + dy) * width + px + (i * 6 + c) * scale + dx) * 3
          data.fill(20, o, o + 3)
        }
      }
    }))
  })
  return image
}
