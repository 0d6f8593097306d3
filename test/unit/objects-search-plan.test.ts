import { describe, expect, it } from 'vitest'
import { regionsFrame, type Frame } from '@oko/core'
import { parseDeployment } from '@oko/deploy'
import { frameToImage, sampleBox } from '@oko/imaging'
import { DEFAULT_DETAIL, MAX_SEARCHES, SEARCH_SIZES, followMotion, frameInput, objectStage, planSearch, planSearches, type SearchInput, type SearchPlan } from '@oko/objects'

const frame = { width: 1920, height: 1080 }
const plan = (moving: SearchInput['moving'], more: Partial<SearchInput> = {}): SearchPlan =>
  planSearch({ frame, moving, sizes: SEARCH_SIZES, detail: DEFAULT_DETAIL, within: 'auto', ...more })
const rounded = (p: SearchPlan) => ({ x: Math.round(p.x), y: Math.round(p.y), side: Math.round(p.side), size: p.size, area: p.area })
const whole = { x: 0, y: 0, side: 1920, size: 512, area: { x: 0, y: 0, width: 1920, height: 1080 } }

// 1080p at the largest input (512²): 0.267 input px per frame px; detail 1.25 reads areas at 1/3.
describe('planSearch: one square per detector run, on the smallest input that reads it at the detail asked', () => {
  it('a small moving car: padded, on 160², the square centred on it', () => {
    // 100×60 padded to 150×92 (a quarter each side, at least 16 px): 50 input px at 1/3, so 160² (480 frame px)
    expect(rounded(plan([{ x: 900, y: 500, width: 100, height: 60 }]))).toEqual({ x: 710, y: 290, side: 480, size: 160, area: { x: 710, y: 290, width: 480, height: 480 } })
  })

  it('the union of what moved and the boxes expected from the last run picks a larger input', () => {
    // union 100..600 × 100..400, padded to 0..725 × 25..475: 242 input px, so 320² (960 frame px), pushed inside the frame
    const p = plan([{ x: 100, y: 100, width: 200, height: 100 }], { expected: [{ x: 500, y: 300, width: 100, height: 100 }] })
    expect(rounded(p)).toEqual({ x: 0, y: 0, side: 960, size: 320, area: { x: 0, y: 0, width: 960, height: 960 } })
    // without the expected box: 300×150 padded, 100 input px: 160²
    expect(plan([{ x: 100, y: 100, width: 200, height: 100 }]).size).toBe(160)
    // 224² between them: 200×400 padded to 300×600 (200 input px)
    expect(plan([{ x: 800, y: 300, width: 200, height: 400 }]).size).toBe(224)
  })

  it('at the frame edges the square stays inside the frame; what it cannot hold is read coarser on 512²', () => {
    expect(rounded(plan([{ x: 1880, y: 1040, width: 40, height: 40 }]))).toEqual({ x: 1440, y: 600, side: 480, size: 160, area: { x: 1440, y: 600, width: 480, height: 480 } })
    // 1700 frame px wide after padding: more than 512 input px at 1/3, so 512² at 512/1700; the square is taller than the frame
    const wide = plan([{ x: 200, y: 200, width: 1200, height: 500 }], { within: 'motion' })
    expect(rounded(wide)).toEqual({ x: 0, y: 0, side: 1700, size: 512, area: { x: 0, y: 0, width: 1700, height: 1080 } })
  })

  it('the whole frame at 512²: no motion, within frame, half the frame moving (auto), or a square as large as the frame', () => {
    expect(plan([])).toEqual(whole)
    expect(plan([{ x: 900, y: 500, width: 100, height: 60 }], { within: 'frame' })).toEqual(whole)
    expect(plan([{ x: 200, y: 200, width: 1200, height: 500 }])).toEqual(whole)
    expect(plan([{ x: 0, y: 100, width: 1900, height: 200 }], { within: 'motion' })).toEqual(whole)
    // a smaller largest input (inputSize 320): the whole frame at 320²
    expect(plan([], { sizes: [160, 224, 320] }).size).toBe(320)
  })

  it('detail trades accuracy for cost: finer reads need larger inputs, coarser ones smaller, never past 1 input px per frame px', () => {
    const car = [{ x: 700, y: 400, width: 300, height: 200 }]
    // padded 450×300: 120 / 240 / 450 input px at detail 1 / 2 / 4 (whole-frame scale × detail, at most 1)
    expect([1, 2, 4].map((detail) => plan(car, { detail }).size)).toEqual([160, 320, 512])
    // detail 4 would be 1.07 input px per frame px: held at 1
    expect(rounded(plan([{ x: 900, y: 500, width: 100, height: 60 }], { detail: 4 }))).toMatchObject({ side: 160, size: 160 })
    // below 1 the whole frame itself goes on a smaller input (1920 × 0.267 × 0.5 = 256 → 320²)
    expect(plan([], { detail: 0.5 }).size).toBe(320)
    // a small frame (CDnet's 320×240) is already read finer than 1:1 as a whole; its areas are not read finer still
    const small = planSearch({ frame: { width: 320, height: 240 }, moving: [{ x: 100, y: 100, width: 40, height: 30 }], sizes: SEARCH_SIZES, detail: 4, within: 'auto' })
    expect(small.side * 1.6).toBeCloseTo(small.size, 6)
  })

  it('detail is checked: a number from 0.5 to 4, the error names options.detail', async () => {
    expect(() => plan([], { detail: 0 })).toThrow(/detail: expected a number from 0\.5 to 4/)
    await expect(objectStage({ detail: 9 })).rejects.toThrow(/options\.detail: expected a number from 0\.5 to 4 .*received 9 \(number\)/)
    await expect(objectStage({ detail: '1' as never })).rejects.toThrow(/options\.detail: .*received "1" \(string\)/)
    const yaml = (v: string) => ['cameras:', '  - { id: c, url: x.mp4 }', 'stages:', '  - motion', `  - objects: { fps: 5, detail: ${v} }`].join('\n')
    expect(() => parseDeployment(yaml('0.1'))).toThrow(/stages\[1\]\.objects\.detail \(line 5\): expected a number from 0\.5 to 4/)
    expect(parseDeployment(yaml('1.5')).stages.map((s) => s.name)).toEqual(['motion', 'objects'])
  })
})

describe('frameInput: the detector input sampled from the frame planes, as the RGB path would', () => {
  const w = 640, h = 360
  const Y = new Uint8Array(w * h), U = new Uint8Array((w / 2) * (h / 2)), V = new Uint8Array((w / 2) * (h / 2))
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) Y[y * w + x] = 30 + Math.round(0.15 * x + 0.2 * y)
  for (let y = 0; y < h / 2; y++) for (let x = 0; x < w / 2; x++) { U[y * (w / 2) + x] = 100 + Math.round(0.1 * x); V[y * (w / 2) + x] = 150 - Math.round(0.1 * y) }
  const info = { cameraId: 'c', seq: 1, ptsUs: 0, wallMs: 0, width: w, height: h }
  const yuv = { ...info, format: 'yuv420p', planes: [Y, U, V], strides: [w, w / 2, w / 2] } as Frame
  const uv = new Uint8Array(w * (h / 2))
  for (let i = 0; i < U.length; i++) { uv[2 * i] = U[i]!; uv[2 * i + 1] = V[i]! }
  const nv12 = { ...info, format: 'nv12', planes: [Y, uv], strides: [w, w] } as Frame

  /** The RGB path: the area converted to an image, then sampled into the square (CHW, 0..255). */
  const reference = (frame: Frame, p: SearchPlan) => {
    const image = frameToImage(frame, p.area)
    const box = { cx: p.x - p.area.x + p.side / 2, cy: p.y - p.area.y + p.side / 2, width: p.side, height: p.side, angle: 0 }
    return sampleBox(image, box, p.size, p.size, { mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255], order: 'rgb' })
  }
  const difference = (a: Float32Array, b: Float32Array) => {
    let sum = 0, worst = 0
    for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i]! - b[i]!); sum += d; worst = Math.max(worst, d) }
    return { mean: sum / a.length, worst }
  }

  it('yuv420p and nv12, shrinking (area taps) and enlarging (bilinear), whole frame and an area: within a few levels of the RGB path', () => {
    const plans = [
      planSearch({ frame: { width: w, height: h }, moving: [], sizes: SEARCH_SIZES, detail: 1.25, within: 'auto' }), // 640 px onto 512²: bilinear
      { x: 100, y: 40, side: 320, size: 160, area: { x: 100, y: 40, width: 320, height: 320 } }, // 2:1, 2×2 taps
      { x: 400, y: 0, side: 480, size: 160, area: { x: 400, y: 0, width: 240, height: 360 } }, // past the right edge: the edge repeated
    ]
    for (const p of plans) {
      const want = reference(yuv, p)
      for (const frame of [yuv, nv12]) {
        const d = difference(frameInput(frame, p, { layout: 'nchw', range: 255 }), want)
        expect(d.mean).toBeLessThan(1.5)
        expect(d.worst).toBeLessThan(8)
      }
    }
  })

  it('NHWC holds the same pixels as NCHW; range 1 scales them to 0..1; an owned copy of the area reads the same', () => {
    const p = { x: 100, y: 40, side: 320, size: 160, area: { x: 100, y: 40, width: 320, height: 320 } }
    const chw = frameInput(yuv, p, { layout: 'nchw', range: 255 })
    const hwc = frameInput(yuv, p, { layout: 'nhwc', range: 1 })
    const plane = 160 * 160
    for (const i of [0, 1234, plane - 1]) for (let c = 0; c < 3; c++) expect(hwc[3 * i + c]! * 255).toBeCloseTo(chw[c * plane + i]!, 3)
    // the area copied out of the frame (what the pipeline hands the worker)
    const a = p.area
    const crop = (src: Uint8Array, stride: number, s: number) => {
      const out = new Uint8Array((a.width / s) * (a.height / s))
      for (let y = 0; y < a.height / s; y++) out.set(src.subarray((a.y / s + y) * stride + a.x / s, (a.y / s + y) * stride + (a.x + a.width) / s), y * (a.width / s))
      return out
    }
    const owned = regionsFrame({ ...info, format: 'yuv420p' }, [{ rect: a, planes: [crop(Y, w, 1), crop(U, w / 2, 2), crop(V, w / 2, 2)], strides: [a.width, a.width / 2, a.width / 2] }])
    expect(frameInput(owned, p, { layout: 'nchw', range: 255 })).toEqual(chw)
  })
})

describe('planSearches: movers far apart in squares of their own, where that reads fewer input pixels', () => {
  const plans = (moving: SearchInput['moving'], more: Partial<SearchInput> = {}) =>
    planSearches({ frame, moving, sizes: SEARCH_SIZES, detail: DEFAULT_DETAIL, within: 'auto', ...more })
  const pixels = (ps: readonly SearchPlan[]) => ps.reduce((n, p) => n + p.size * p.size, 0)

  it('a walker by the gate and a car across the yard: two 160² runs instead of one 320² (the yard clip)', () => {
    // what moved in ru-yard-cam-1 at frame 27: a walker at the right, a car in the middle
    const moving = [{ x: 1110, y: 324, width: 108, height: 312 }, { x: 750, y: 186, width: 174, height: 66 }]
    expect(planSearch({ frame, moving, sizes: SEARCH_SIZES, detail: DEFAULT_DETAIL, within: 'auto' }).size).toBe(320)
    const two = plans(moving)
    expect(two.map((p) => p.size)).toEqual([160, 160])
    expect(pixels(two)).toBeLessThan(320 * 320)
    // each mover lies inside its own square
    for (const m of moving) expect(two.some((p) => m.x >= p.x && m.y >= p.y && m.x + m.width <= p.x + p.side && m.y + m.height <= p.y + p.side)).toBe(true)
  })

  it('parts of one mover, close together, stay one square; so does what one square reads as cheaply', () => {
    // a car's bonnet and roof moving as two blobs 20 px apart
    expect(plans([{ x: 900, y: 500, width: 60, height: 40 }, { x: 980, y: 500, width: 60, height: 40 }])).toHaveLength(1)
    // a moving car and its box from the last run, overlapping
    expect(plans([{ x: 900, y: 500, width: 100, height: 60 }], { expected: [{ x: 880, y: 495, width: 100, height: 60 }] })).toHaveLength(1)
    // one area: planSearch's square
    const one = [{ x: 900, y: 500, width: 100, height: 60 }]
    expect(plans(one)).toEqual([plan(one)])
  })

  it('the whole frame stays one run; at most MAX_SEARCHES squares, every mover inside one', () => {
    expect(plans([])).toEqual([whole])
    expect(plans([{ x: 10, y: 10, width: 50, height: 50 }, { x: 1800, y: 1000, width: 50, height: 50 }], { within: 'frame' })).toEqual([whole])
    // eight small movers spread over the frame
    const spread = Array.from({ length: 8 }, (_, i) => ({ x: 60 + (i % 4) * 480, y: 100 + Math.floor(i / 4) * 700, width: 40, height: 40 }))
    const ps = plans(spread, { within: 'motion' })
    expect(ps.length).toBeLessThanOrEqual(MAX_SEARCHES)
    for (const m of spread) expect(ps.some((p) => m.x >= p.x && m.y >= p.y && m.x + m.width <= p.x + p.side && m.y + m.height <= p.y + p.side)).toBe(true)
  })
})

describe('objects: the last run boxes follow what moves now (followMotion)', () => {
  it('a box inside a region at most twice its size is centred on it; one in a larger region, or where nothing moves, stays', () => {
    const car = { x: 736, y: 120, width: 231, height: 126 }
    // the yard's passing car two runs later: its motion region has moved on 100 px
    expect(followMotion([car], [{ x: 834, y: 102, width: 246, height: 150 }])).toEqual([{ ...car, x: 834 + 123 - 115.5, y: 102 + 75 - 63 }])
    // a region of many movers (more than twice the box each way): the box is not moved into its centre
    expect(followMotion([car], [{ x: 600, y: 0, width: 900, height: 600 }])).toEqual([car])
    // a car that stopped: nothing moves around it
    expect(followMotion([car], [{ x: 1200, y: 600, width: 100, height: 100 }])).toEqual([car])
    expect(followMotion([], [car])).toEqual([])
  })
})
