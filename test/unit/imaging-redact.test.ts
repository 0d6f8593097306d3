import { describe, expect, it } from 'vitest'
import type { Frame } from '@oko/core'
import { redactFrame, redactImage, redactionStage } from '@oko/imaging'
import { envelopeOf, testContext } from '../helpers/stage.js'

function noise(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n)
  let s = seed
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; out[i] = s >>> 24 }
  return out
}

const box = { x: 20, y: 10, width: 30, height: 30 }
const inside = (x: number, y: number) => x >= 15 && x < 55 && y >= 5 && y < 45

describe('redaction', () => {
  for (const mode of ['pixelate', 'blur'] as const) {
    it(`${mode}s inside the padded box and leaves everything else untouched`, () => {
      const width = 80, height = 60
      const original = noise(width * height * 3)
      const image = { data: original.slice(), width, height, format: 'rgb24' as const }
      redactImage(image, [box], { mode })
      let changedInside = 0
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const i = (y * width + x) * 3
          const same = image.data[i] === original[i] && image.data[i + 1] === original[i + 1] && image.data[i + 2] === original[i + 2]
          if (!inside(x, y)) expect(same).toBe(true)
          else if (!same) changedInside++
        }
      }
      expect(changedInside).toBeGreaterThan(40 * 40 * 0.9)
    })
  }

  it('pixelation leaves no detail: variance inside a block is zero', () => {
    const width = 64, height = 64
    const image = { data: noise(width * height), width, height, format: 'gray8' as const }
    redactImage(image, [{ x: 0, y: 0, width: 64, height: 64 }], { mode: 'pixelate', paddingFrac: 0, strength: 0.125 })
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(image.data[y * width + x]).toBe(image.data[0])
  })

  it('redacts a copy of a yuv420p frame, every plane, and never the borrowed original', () => {
    const width = 64, height = 48
    // Buffers, as decoders hand them out (their slice() is a view, not a copy).
    const y = Buffer.from(noise(width * height, 1)), u = Buffer.from(noise((width / 2) * (height / 2), 2)), v = Buffer.from(noise((width / 2) * (height / 2), 3))
    const frame: Frame = { cameraId: 'c', seq: 1, ptsUs: 0, wallMs: 0, width, height, format: 'yuv420p', planes: [y, u, v], strides: [width, width / 2, width / 2] }
    const before = frame.planes.map((p) => Uint8Array.from(p))
    const out = redactFrame(frame, [{ x: 16, y: 16, width: 16, height: 16 }])
    frame.planes.forEach((p, i) => expect(Uint8Array.from(p)).toEqual(before[i]))
    out.planes.forEach((p, i) => expect(p).not.toEqual(before[i]))
    expect(out.planes[0]![0]).toBe(before[0]![0])
  })

  it('the stage hides the envelope\'s faces and plates, and passes envelopes without them through', async () => {
    const stage = redactionStage()
    const frame: Frame = { cameraId: 'c', seq: 1, ptsUs: 0, wallMs: 0, width: 80, height: 60, format: 'gray8', planes: [noise(4800)], strides: [80] }
    const ctx = testContext('c', [])
    const same = envelopeOf(frame)
    same.detections.push({ box, label: 'car', score: 1, seq: 1, ptsUs: 0 })
    expect(await stage.process(same, ctx)).toBe(same)
    expect(same.frame).toBe(frame)
    const hidden = envelopeOf(frame)
    hidden.detections.push({ box, label: 'face', score: 1, seq: 1, ptsUs: 0 }, { box: { x: 60, y: 40, width: 10, height: 5 }, label: 'plate', score: 1, seq: 1, ptsUs: 0 })
    const out = await stage.process(hidden, ctx)
    expect(out!.frame.planes[0]).not.toEqual(frame.planes[0])
    expect(() => redactionStage({ mode: 'smudge' as 'blur' })).toThrow(/options.mode/)
    expect(() => redactionStage({ labels: 'face' as never })).toThrow(/options.labels/)
  })
})
