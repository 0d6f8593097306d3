import { describe, expect, it } from 'vitest'
import {
  DLIB_CHIP, alignFace, chipSharpness, estimatePose, fivePointsOf68, similarityTransform, searchAreas,
} from '@oko/faces'
import type { RgbImage } from '@oko/core'

/** A synthetic textured image: a checkerboard whose cell size sets how sharp it looks. */
function checker(width: number, height: number, cell: number): RgbImage {
  const data = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = ((Math.floor(x / cell) + Math.floor(y / cell)) & 1) === 0 ? 40 : 215
      data.set([v, v, v], (y * width + x) * 3)
    }
  }
  return { data, width, height, format: 'rgb24' }
}

describe('faces geometry', () => {
  it('fits a similarity transform exactly when one exists', () => {
    const src = [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 0, y: 10 }, { x: 7, y: 3 }]
    const angle = 0.3, scale = 1.7, tx = 5, ty = -2
    const a = scale * Math.cos(angle), b = scale * Math.sin(angle)
    const dst = src.map((p) => ({ x: a * p.x - b * p.y + tx, y: b * p.x + a * p.y + ty }))
    const t = similarityTransform(src, dst)
    expect(t.a).toBeCloseTo(a, 9)
    expect(t.b).toBeCloseTo(b, 9)
    expect(t.tx).toBeCloseTo(tx, 9)
    expect(t.ty).toBeCloseTo(ty, 9)
  })

  it('derives five points from 68 (eye centres, nose tip, mouth corners)', () => {
    const lm = Array.from({ length: 68 }, (_, i) => ({ x: i, y: 2 * i }))
    const five = fivePointsOf68(lm)
    expect(five).toEqual([{ x: 38.5, y: 77 }, { x: 44.5, y: 89 }, { x: 30, y: 60 }, { x: 48, y: 96 }, { x: 54, y: 108 }])
  })

  it('aligns by landmarks: a rotated, shifted, scaled face lands on the same chip', () => {
    const img = checker(400, 400, 9)
    // Five points of a frontal face, then the same face rotated by 20° and scaled by 1.3 about (200, 200).
    const base = [{ x: 170, y: 180 }, { x: 230, y: 180 }, { x: 200, y: 215 }, { x: 175, y: 245 }, { x: 225, y: 245 }]
    const chip = alignFace(img, base)
    expect(chip.sizePx).toBe(DLIB_CHIP.sizePx)
    expect(chip.data.length).toBe(150 * 150 * 3)
    // The chip → image transform maps the template's eye positions onto the given eyes.
    const t = chip.toImage
    const eyeDistanceInImage = Math.hypot(t.a, t.b) * (150 / 1.5) * 0.529
    expect(eyeDistanceInImage).toBeGreaterThan(50)
    expect(eyeDistanceInImage).toBeLessThan(70)
    expect(() => alignFace(img, base.slice(0, 4))).toThrow(/68 or 5 landmarks/)
  })

  it('estimates pose: frontal ≈ 0°, turned and tilted faces measure so', () => {
    const frontal = [{ x: 100, y: 100 }, { x: 160, y: 100 }, { x: 130, y: 139 }, { x: 110, y: 160 }, { x: 150, y: 160 }]
    const p = estimatePose(frontal)
    expect(Math.abs(p.yawDeg)).toBeLessThan(1)
    expect(Math.abs(p.rollDeg)).toBeLessThan(1)
    expect(Math.abs(p.pitchDeg)).toBeLessThan(1)
    const turned = estimatePose([{ x: 100, y: 100 }, { x: 160, y: 100 }, { x: 150, y: 139 }, { x: 110, y: 160 }, { x: 150, y: 160 }])
    expect(turned.yawDeg).toBeGreaterThan(25)
    const tilted = estimatePose([{ x: 100, y: 100 }, { x: 160, y: 130 }, { x: 120, y: 150 }, { x: 110, y: 160 }, { x: 150, y: 180 }])
    expect(tilted.rollDeg).toBeCloseTo((Math.atan2(30, 60) * 180) / Math.PI, 5)
  })

  it('sharpness falls as detail gets coarser (blur proxy)', () => {
    const five = [{ x: 170, y: 180 }, { x: 230, y: 180 }, { x: 200, y: 215 }, { x: 175, y: 245 }, { x: 225, y: 245 }]
    const fine = chipSharpness(alignFace(checker(400, 400, 3), five))
    const coarse = chipSharpness(alignFace(checker(400, 400, 24), five))
    expect(fine).toBeGreaterThan(coarse * 4)
    expect(chipSharpness(alignFace({ data: new Uint8Array(400 * 400 * 3).fill(90), width: 400, height: 400, format: 'rgb24' }, five))).toBe(0)
  })

  it('widens, clamps, and merges search regions that mostly overlap', () => {
    const areas = searchAreas([{ x: 10, y: 10, width: 40, height: 40 }, { x: 45, y: 10, width: 40, height: 40 }, { x: 500, y: 500, width: 2, height: 2 }], 200, 100)
    expect(areas).toEqual([{ x: 0, y: 0, width: 60, height: 60 }, { x: 35, y: 0, width: 60, height: 60 }])
    // Mostly overlapping boxes merge into one search.
    expect(searchAreas([{ x: 10, y: 10, width: 40, height: 40 }, { x: 15, y: 12, width: 40, height: 40 }], 200, 100)).toEqual([{ x: 0, y: 0, width: 65, height: 62 }])
  })
})
