import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decodeImage, decodeImageFile } from '@oko/source'
import { encodePgm } from '../helpers/pgm.js'

describe('decodeImage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oko-image-'))

  it('decodes a grey image exactly, from a path and from bytes', () => {
    const width = 37
    const height = 11
    const pixels = Uint8Array.from({ length: width * height }, (_, i) => (i * 7) % 256)
    const file = join(dir, 'ramp.pgm')
    writeFileSync(file, encodePgm(pixels, width, height))
    for (const input of [file, new Uint8Array(readFileSync(file))]) {
      const image = decodeImage(input, { format: 'gray8' })
      expect([image.width, image.height, image.format]).toEqual([width, height, 'gray8'])
      expect(Buffer.from(image.data).equals(Buffer.from(pixels))).toBe(true)
    }
    const rgb = decodeImageFile(file, { format: 'rgb24' })
    expect(rgb.data.length).toBe(width * height * 3)
    expect([rgb.data[3 * 5], rgb.data[3 * 5 + 1], rgb.data[3 * 5 + 2]]).toEqual([35, 35, 35])
  })

  it('names the file in every error', () => {
    expect(() => decodeImageFile(join(dir, 'missing.jpg'))).toThrow(/image not found: .*missing\.jpg/)
    const empty = join(dir, 'empty.jpg')
    writeFileSync(empty, '')
    expect(() => decodeImageFile(empty)).toThrow(/image is empty: .*empty\.jpg/)
    const text = join(dir, 'notes.jpg')
    writeFileSync(text, 'this is not a picture at all, just words '.repeat(20))
    expect(() => decodeImageFile(text)).toThrow(/cannot decode image .*notes\.jpg/)
    const file = join(dir, 'big.pgm')
    writeFileSync(file, encodePgm(new Uint8Array(64 * 64), 64, 64))
    expect(() => decodeImageFile(file, { maxPixels: 1000 })).toThrow(/image too large: .*big\.pgm is 64×64; options.maxPixels is 1000/)
    expect(() => decodeImageFile(file, { format: 'bgr' as never })).toThrow(/options.format: expected one of "gray8", "rgb24"/)
  })
})
