import { describe, expect, it } from 'vitest'
import type { Envelope, Frame, Rect, StageContext, Track } from '@oko/core'
import { CarHeights, DEFAULT_VAN_RULE, looksLikeVan, vehicleAttributeStage, viewOf } from '@oko/objects'

// Van or car by the box's shape (COCO has no van): the aspect in the view the motion gives, and
// the height against the cars seen at the same distance.
const box = (x: number, y: number, width: number, height: number): Rect => ({ x, y, width, height })

describe('van by shape', () => {
  it('tells the view from the direction of motion, none when the car stands or moves diagonally', () => {
    const b = box(100, 100, 200, 80)
    expect(viewOf(b, { x: 150, y: 10 })).toBe('side')
    expect(viewOf(b, { x: -5, y: -60 })).toBe('end')
    expect(viewOf(b, { x: 60, y: 50 })).toBeUndefined()
    expect(viewOf(b, { x: 10, y: 0 })).toBeUndefined() // under 0.3 box heights a second
  })

  it('height: 1.3× the median car at the same distance, once five cars were seen there; aspect: not car-shaped in its view', () => {
    const heights = new CarHeights()
    for (let i = 0; i < 4; i++) heights.add(box(0, 300, 300, 100 + i), 540)
    expect(heights.median(box(0, 300, 300, 100), 540)).toBeUndefined()
    heights.add(box(0, 300, 300, 100), 540)
    const median = heights.median(box(500, 280, 320, 120), 540) // bottom edge in the same band
    expect(median).toBe(101)
    expect(heights.median(box(0, 0, 100, 40), 540)).toBeUndefined() // far away: another band
    expect(looksLikeVan(box(0, 0, 590, 270), 'side', undefined)).toBeUndefined() // no reference: nothing judged
    // side: a high-roof van (0.46) and a panel van (0.41, 1.3× the saloons) are vans; an SUV (1.17×) is not
    expect(DEFAULT_VAN_RULE.sideAspect).toBe(0.36)
    expect(looksLikeVan(box(0, 260, 330, 152), 'side', median)).toBe(true)
    expect(looksLikeVan(box(0, 260, 320, 132), 'side', median)).toBe(true)
    expect(looksLikeVan(box(0, 260, 320, 118), 'side', median)).toBe(false)
    // tall but car-shaped for a side view (0.32): a car nearer the camera within the band
    expect(looksLikeVan(box(0, 260, 420, 135), 'side', median)).toBe(false)
    // front or rear: 1.35 is a van, 0.8 is not, whatever its height
    expect(looksLikeVan(box(0, 260, 110, 148), 'end', median)).toBe(true)
    expect(looksLikeVan(box(0, 260, 170, 136), 'end', median)).toBe(false)
    // no view (standing, turning): the height decides
    expect(looksLikeVan(box(0, 260, 170, 136), undefined, median)).toBe(true)
    expect(DEFAULT_VAN_RULE.heightRatio).toBe(1.3)
  })

  it('the attributes stage calls a car track van when most of its views are van-shaped (after five cars at its distance), and can be told not to', async () => {
    const frame = { seq: 0, ptsUs: 0, width: 960, height: 540, format: 'gray8', planes: [new Uint8Array(960 * 540)], strides: [960] } as unknown as Frame
    const track = (id: string, b: Rect): Track => ({ id, label: 'car', box: b, state: 'confirmed', score: 0.8, firstSeq: 0, lastSeenSeq: 0, velocity: { x: 120, y: 0 }, attributes: {} })
    const ctx = { cameraId: 'c', newId: () => 'x', emit: () => {} } as unknown as StageContext
    const typed = async (options: { vans?: boolean }) => {
      const stage = await vehicleAttributeStage({ colour: false, ...options })
      // five saloons pass at one distance, then a high-roof van and another saloon
      const saloons = Array.from({ length: 6 }, (_, i) => track(`saloon-${i}`, box(100 + 10 * i, 300, 300, 96 + i)))
      const van = track('van', box(500, 262, 300, 138))
      for (let seq = 0; seq < 8; seq++) {
        const f = { ...frame, seq } as Frame
        const tracks = seq < 5 ? [saloons[seq]!] : [van, saloons[5]!]
        for (const t of tracks) t.lastSeenSeq = seq
        await stage.process({ frame: f, detections: [], tracks } as Envelope, ctx)
      }
      await stage.close()
      return [van.attributes.type, saloons[5]!.attributes.type]
    }
    const [van, car] = await typed({})
    expect(van).toMatchObject({ value: 'van', source: 'shape' })
    expect(van!.confidence).toBeCloseTo(0.8)
    expect(car).toMatchObject({ value: 'car', source: 'objects' })
    expect((await typed({ vans: false })).map((a) => a?.value)).toEqual(['car', 'car'])
  })
})
