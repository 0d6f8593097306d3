import { describe, expect, it } from 'vitest'
import { OkoError, checkRawImage } from '@oko/core'
import { frameToImage, frameToRgb, toRgb } from '@oko/imaging'

describe('raw images', () => {
  it('rejects empty, huge and malformed images with ERR_INVALID_INPUT', () => {
    const bad = [
      { data: new Uint8Array(0), width: 0, height: 0, format: 'rgb24' },
      { data: new Uint8Array(3), width: 20_000, height: 1, format: 'rgb24' },
      { data: new Uint8Array(10), width: 4, height: 4, format: 'rgb24' },
      { data: new Uint8Array(48), width: 4, height: 4, format: 'yuv' },
      'not an image',
    ]
    for (const image of bad) {
      expect(() => checkRawImage('frame.jpg', image)).toThrow(OkoError)
      expect(() => checkRawImage('frame.jpg', image)).toThrow(/^frame\.jpg(\.\w+)?: /)
    }
  })
})

describe('frames to images', () => {
  it('converts yuv420p (BT.601) and crops a region with stride', () => {
    const width = 6, height = 4
    const Y = new Uint8Array(8 * height).fill(126) // stride 8 > width
    const U = new Uint8Array(3 * 2).fill(128)
    const V = new Uint8Array(3 * 2).fill(128)
    const frame = { cameraId: 'c', seq: 0, ptsUs: 0, wallMs: 0, width, height, format: 'yuv420p' as const, planes: [Y, U, V], strides: [8, 3, 3] }
    const all = frameToImage(frame)
    expect(all).toMatchObject({ width: 6, height: 4, format: 'rgb24' })
    expect([...all.data.subarray(0, 3)]).toEqual([128, 128, 128])
    const part = frameToImage(frame, { x: 2, y: 1, width: 10, height: 2 })
    expect(part).toMatchObject({ width: 4, height: 2 })
    expect(part.data.length).toBe(4 * 2 * 3)
    expect(() => frameToImage(frame, { x: 50, y: 0, width: 2, height: 2 })).toThrow(/outside the 6×4 frame/)
  })
})

describe('conversions to rgb24', () => {
  it('converts formats and crops to packed rgb24', () => {
    const gray = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), width: 3, height: 2, format: 'gray8' as const }
    expect([...toRgb(gray, { x: 1, y: 1, width: 2, height: 1 }).data]).toEqual([5, 5, 5, 6, 6, 6])
    const bgr = { data: Uint8Array.from([10, 20, 30, 0, 0]), width: 1, height: 1, format: 'bgr24' as const, stride: 5 }
    expect([...toRgb(bgr).data]).toEqual([30, 20, 10])
  })

  it('converts yuv420p and nv12 frame regions to rgb (BT.601 limited range)', () => {
    const width = 4, height = 2
    const y = Uint8Array.from([16, 235, 126, 126, 16, 235, 126, 126])
    const base = { cameraId: 'c', seq: 0, ptsUs: 0, wallMs: 0, width, height }
    const yuv = frameToRgb({ ...base, format: 'yuv420p', planes: [y, Uint8Array.from([128, 128]), Uint8Array.from([128, 240])], strides: [4, 2, 2] })
    expect([...yuv.data.subarray(0, 6)]).toEqual([0, 0, 0, 255, 255, 255])
    // Strong V (red-difference) makes the right half reddish.
    expect(yuv.data[6]!).toBeGreaterThan(yuv.data[8]! + 100)
    const nv12 = frameToRgb({ ...base, format: 'nv12', planes: [y, Uint8Array.from([128, 128, 128, 240])], strides: [4, 4] }, { x: 2, y: 0, width: 2, height: 2 })
    expect([...nv12.data]).toEqual([...yuv.data.subarray(6, 12), ...yuv.data.subarray(18, 24)])
  })

  it('rejects bad images with clear errors', () => {
    expect(() => checkRawImage('image', null)).toThrow(OkoError)
    expect(() => checkRawImage('image', { data: new Uint8Array(10), width: 4, height: 4, format: 'rgb24' })).toThrow(/needs 48 bytes, received 10/)
    expect(() => checkRawImage('image', { data: new Uint8Array(48), width: 4, height: 4, format: 'yuv' })).toThrow(/image.format/)
    expect(() => checkRawImage('image', { data: [1, 2], width: 1, height: 1, format: 'gray8' })).toThrow(/Uint8Array/)
  })

})
