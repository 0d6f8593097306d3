import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RgbImage } from '@oko/core'
import { PlateEngine, resolveReaderOptions } from '@oko/plates'
import { drawText } from '@oko/samples'

/** A light plate of `lines` (text rows, top first) on a grey background, `scale` px per glyph dot. */
function stackedPlate(lines: string[], scale = 4): { image: RgbImage; plate: { x: number; y: number; width: number; height: number } } {
  const width = 640
  const height = 480
  const image: RgbImage = { data: new Uint8Array(width * height * 3).fill(90), width, height, format: 'rgb24' }
  const plate = { x: 200, y: 120, width: (Math.max(...lines.map((l) => l.length)) * 6 + 3) * scale, height: (lines.length * 10 + 2) * scale }
  for (let y = plate.y; y < plate.y + plate.height; y++) image.data.fill(235, (y * width + plate.x) * 3, (y * width + plate.x + plate.width) * 3)
  lines.forEach((line, i) => drawText(image, line, plate.x + 2 * scale, plate.y + (2 + 10 * i) * scale, scale))
  return { image, plate }
}

describe('PlateEngine: one-, two- and three-line plates', () => {
  let engine: PlateEngine
  beforeAll(async () => {
    engine = await PlateEngine.create(resolveReaderOptions({ countries: ['ua'] }))
  })
  afterAll(() => engine.close())

  it('reads a one-line crop', async () => {
    const { image, plate } = stackedPlate(['AB1234CE'])
    const [reading, ...rest] = await engine.read(image, { region: plate, crop: true })
    expect(rest).toEqual([])
    expect(reading).toMatchObject({ text: 'AB1234CE', format: 'ua', lines: 1 })
  })

  it('reads a square two-line plate in plate order (AB CE over 1234 is AB1234CE), as a crop and in a frame', async () => {
    const { image, plate } = stackedPlate(['ABCE', '1234'])
    expect(await engine.read(image, { region: plate, crop: true })).toMatchObject([{ text: 'AB1234CE', format: 'ua', lines: 2 }])
    expect(await engine.read(image)).toMatchObject([{ text: 'AB1234CE', format: 'ua', lines: 2 }])
  })

  it('reads a three-line crop (small UA plates: AB over 1234 over CE)', async () => {
    // The 5×7 dot font is no plate font: oko's plate recogniser reads its A as H, so PaddleOCR's alone reads this one.
    const paddle = await PlateEngine.create(resolveReaderOptions({ countries: ['ua'], secondRecognizer: false }))
    try {
      const { image, plate } = stackedPlate(['AB', '1234', 'CE'])
      expect(await paddle.read(image, { region: plate, crop: true })).toMatchObject([{ text: 'AB1234CE', format: 'ua', lines: 3 }])
    } finally {
      await paddle.close()
    }
  })
})
