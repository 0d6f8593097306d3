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

  it('side: a saloon (0.32) and an SUV (0.38) are cars, a high-roof van (0.46) is a van; front: 0.8 car, 1.35 van', () => {
    expect(looksLikeVan(box(0, 0, 460, 145), 'side', undefined)).toBe(false)
    expect(looksLikeVan(box(0, 0, 460, 175), 'side', undefined)).toBe(false)
    expect(looksLikeVan(box(0, 0, 590, 270), 'side', undefined)).toBe(true)
    expect(looksLikeVan(box(0, 0, 180, 145), 'end', undefined)).toBe(false)
    expect(looksLikeVan(box(0, 0, 200, 270), 'end', undefined)).toBe(true)
    expect(looksLikeVan(box(0, 0, 200, 270), undefined, undefined)).toBeUndefined()
  })

  it('height: 1.3× the median car at the same distance is a van, once five cars were seen there', () => {
    const heights = new CarHeights()
    for (let i = 0; i < 4; i++) heights.add(box(0, 300, 180, 80 + i), 540)
    expect(heights.median(box(0, 300, 180, 80), 540)).toBeUndefined()
    heights.add(box(0, 300, 180, 80), 540)
    const median = heights.median(box(500, 290, 200, 90), 540) // bottom edge in the same band
    expect(median).toBe(81)
    expect(heights.median(box(0, 0, 100, 40), 540)).toBeUndefined() // far away: another band
    // a panel van as tall as an SUV for its length (0.38, side) is found by its height alone
    expect(looksLikeVan(box(0, 280, 290, 110), 'side', median)).toBe(true)
    expect(looksLikeVan(box(0, 280, 290, 100), undefined, median)).toBe(false)
    expect(DEFAULT_VAN_RULE.heightRatio).toBe(1.3)
  })

  it('the attributes stage calls a car track van when most of its views are van-shaped, and can be told not to', async () => {
    const frame = { seq: 0, ptsUs: 0, width: 960, height: 540, format: 'gray8', planes: [new Uint8Array(960 * 540)], strides: [960] } as unknown as Frame
    const track = (id: string, b: Rect): Track => ({ id, label: 'car', box: b, state: 'confirmed', score: 0.8, firstSeq: 0, lastSeenSeq: 0, velocity: { x: 120, y: 0 }, attributes: {} })
    const ctx = { cameraId: 'c', newId: () => 'x', emit: () => {} } as unknown as StageContext
    const typed = async (options: { vans?: boolean }) => {
      const stage = await vehicleAttributeStage({ colour: false, ...options })
      const van = track('van', box(100, 100, 300, 140)), car = track('car', box(500, 300, 300, 100))
      for (let seq = 0; seq < 3; seq++) {
        const f = { ...frame, seq } as Frame
        van.lastSeenSeq = car.lastSeenSeq = seq
        await stage.process({ frame: f, detections: [], tracks: [van, car] } as Envelope, ctx)
      }
      await stage.close()
      return [van.attributes.type, car.attributes.type]
    }
    const [van, car] = await typed({})
    expect(van).toMatchObject({ value: 'van', source: 'shape' })
    expect(van!.confidence).toBeCloseTo(0.8)
    expect(car).toMatchObject({ value: 'car', source: 'objects' })
    expect((await typed({ vans: false })).map((a) => a?.value)).toEqual(['car', 'car'])
  })
})
