import { describe, expect, it } from 'vitest'
import { OkoError, type LumaPlane, type Rect } from '@oko/core'
import { MotionDetector, type MotionOptions, type MotionResult } from '@oko/motion'
import { SceneRenderer, streetScene, type SceneSpec } from '@oko/samples'
import { KernelModule } from '@oko/wasm'

// The detector on rendered scenes with ground truth (@oko/samples): moving objects at known boxes,
// sensor noise, rain streaks and a global lighting change (IR switch).

const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height

interface Run {
  results: MotionResult[]
  renderer: SceneRenderer
}

async function runScene(spec: SceneSpec, options: MotionOptions = {}, stride = spec.width): Promise<Run> {
  const renderer = new SceneRenderer(spec)
  const detector = await MotionDetector.create(options)
  const buffer = new Uint8Array(stride * spec.height)
  const results: MotionResult[] = []
  for (let i = 0; i < spec.frames; i++) {
    renderer.renderLuma(i, buffer, stride)
    results.push(detector.detect({ data: buffer, width: spec.width, height: spec.height, stride }, { seq: i, ptsUs: renderer.truth(i).ptsUs }))
  }
  await detector.close()
  return { results, renderer }
}

/** Checks ground truth: every object found once it has been visible for minFrames, nothing else reported. */
function checkAgainstTruth({ results, renderer }: Run, minFrames = 2): { found: number; expected: number } {
  let found = 0
  let expected = 0
  const seen = new Map<string, number>()
  results.forEach((r, i) => {
    const truth = renderer.truth(i)
    for (const region of r.regions) {
      expect(truth.objects.some((o) => overlaps(region, o.box)), `frame ${i}: region ${JSON.stringify(region)} is not on any object`).toBe(true)
    }
    if (truth.objects.length === 0) expect(r.motion, `frame ${i}: motion with nothing moving`).toBe(false)
    for (const o of truth.objects) {
      const visible = (seen.get(o.id) ?? 0) + 1
      seen.set(o.id, visible)
      if (visible <= minFrames || i < 5 || o.box.width * o.box.height < 64) continue
      expected++
      const hit = r.regions.some((region) => overlaps(region, o.box))
      expect(hit, `frame ${i}: ${o.id} at ${JSON.stringify(o.box)} not found`).toBe(true)
      expect(r.motion, `frame ${i}: ${o.id} moves but motion is false`).toBe(true)
      if (hit) found++
    }
  })
  return { found, expected }
}

describe('MotionDetector on generated scenes', () => {
  it('finds every moving object and reports no false motion with noise and a lighting change', async () => {
    const spec = streetScene({ width: 640, height: 360, fps: 15 })
    const run = await runScene(spec)
    const { found, expected } = checkAgainstTruth(run)
    expect(found).toBe(expected)
    expect(expected).toBeGreaterThan(80)
    const change = spec.lighting[0]!.atFrame
    expect(run.results[change]!.lightingReset).toBe(true)
    expect(run.results.slice(change).some((r) => r.motion)).toBe(false)
    expect(run.results.filter((r) => r.lightingReset)).toHaveLength(1)
  })

  it('tolerates heavy rain and sensor noise without hiding the walker', async () => {
    const spec: SceneSpec = { ...streetScene({ width: 640, height: 360, fps: 15, seed: 3 }), noiseSigma: 6, rainStreaksPerFrame: 60 }
    const run = await runScene(spec)
    const { found, expected } = checkAgainstTruth(run)
    expect(found).toBe(expected)
  })

  it('works on strided planes with odd processing sizes, and at 1080p', async () => {
    const small: SceneSpec = { ...streetScene({ width: 334, height: 188, fps: 15 }), frames: 100 }
    checkAgainstTruth(await runScene(small, { processingHeight: 101 }, 352))
    const big: SceneSpec = { ...streetScene({ width: 1920, height: 1080, fps: 15 }), frames: 75 }
    const run = await runScene(big, {}, 1984)
    checkAgainstTruth(run)
    const walker = run.results[40]!.regions[0]!
    // regions are in frame pixels: the walker is 72×192 at 1080p
    expect(walker.height).toBeGreaterThan(150)
    expect(walker.height).toBeLessThan(230)
  })

  it('gives the same foreground with the SIMD, scalar and debug builds', async () => {
    const spec: SceneSpec = { ...streetScene({ width: 322, height: 182, fps: 15 }), frames: 120, rainStreaksPerFrame: 10 }
    const renderer = new SceneRenderer(spec)
    const detectors = await Promise.all((['simd', 'scalar'] as const).flatMap((build) => [false, true].map(async (debug) =>
      MotionDetector.create({ module: await KernelModule.load({ build, debug }), processingHeight: 91 }))))
    const frame = new Uint8Array(spec.width * spec.height)
    for (let i = 0; i < spec.frames; i++) {
      renderer.renderLuma(i, frame)
      const results = detectors.map((d) => d.detect({ data: frame, width: spec.width, height: spec.height, stride: spec.width }, { seq: i, ptsUs: i * 66_667 }))
      const masks = detectors.map((d) => Buffer.from(d.foreground!.data))
      for (let k = 1; k < detectors.length; k++) {
        expect(masks[k]!.equals(masks[0]!), `frame ${i}, detector ${k}`).toBe(true)
        expect(results[k]).toEqual(results[0])
      }
    }
    await Promise.all(detectors.map((d) => d.close()))
  })

  it('ignores masked areas and reports zone hits with their own sensitivity', async () => {
    const spec = streetScene({ width: 640, height: 360, fps: 15 })
    // the walker walks along y ≈ 220..294 of 360; the car drives along y ≈ 110..176
    const walkway = [{ x: 0, y: 0.58 }, { x: 1, y: 0.58 }, { x: 1, y: 0.9 }, { x: 0, y: 0.9 }]
    const road = [{ x: 0, y: 0.28 }, { x: 1, y: 0.28 }, { x: 1, y: 0.52 }, { x: 0, y: 0.52 }]
    const run = await runScene(spec, { masks: [walkway], zones: [{ name: 'road', polygon: road, threshold: 10 }, { name: 'corner', polygon: [{ x: 0, y: 0 }, { x: 0.05, y: 0 }, { x: 0, y: 0.05 }] }] })
    const walkerOnly = run.results.filter((_, i) => run.renderer.truth(i).objects.every((o) => o.id === 'walker'))
    expect(walkerOnly.length).toBeGreaterThan(30)
    expect(walkerOnly.every((r) => !r.motion && r.regions.length === 0)).toBe(true)
    const withCar = run.results.filter((_, i) => i > 5 && run.renderer.truth(i).objects.some((o) => o.id === 'car' && o.box.width > 40))
    expect(withCar.length).toBeGreaterThan(20)
    for (const r of withCar) {
      expect(r.zones.map((z) => z.zone)).toEqual(['road'])
      expect(r.zones[0]!.score).toBeGreaterThan(0.01)
      expect(r.zones[0]!.score).toBeLessThanOrEqual(1)
    }
  })
})

describe('camera health', () => {
  const quiet = (width = 320, height = 180): SceneSpec => ({ ...streetScene({ width, height, fps: 10 }), objects: [], lighting: [], frames: 1000 })

  async function feed(detector: MotionDetector, frames: Iterable<[Uint8Array, number]>, width: number, height: number): Promise<MotionResult[]> {
    const out: MotionResult[] = []
    for (const [data, ptsUs] of frames) out.push(detector.detect({ data, width, height, stride: width }, { seq: out.length, ptsUs }))
    return out
  }

  function* rendered(renderer: SceneRenderer, from: number, to: number, transform?: (f: Uint8Array) => Uint8Array): Generator<[Uint8Array, number]> {
    const { width, height } = renderer.scene
    for (let i = from; i < to; i++) {
      const f = new Uint8Array(width * height)
      renderer.renderLuma(i, f)
      yield [transform ? transform(f) : f, i * 100_000]
    }
  }

  const changes = (results: MotionResult[]) => results.flatMap((r, i) => r.tamperChanges.map((c) => `${i}:${c.reason}:${c.active}`))

  it('reports a frozen picture after frozenMs and clears it when frames change again', async () => {
    const spec = quiet()
    const renderer = new SceneRenderer(spec)
    const detector = await MotionDetector.create({ tamper: { frozenMs: 2000 } })
    const live = await feed(detector, rendered(renderer, 0, 30), 320, 180)
    const still = new Uint8Array(320 * 180)
    renderer.renderLuma(30, still)
    const frozen = await feed(detector, Array.from({ length: 40 }, (_, i): [Uint8Array, number] => [still, (31 + i) * 100_000]), 320, 180)
    const again = await feed(detector, rendered(renderer, 71, 80), 320, 180)
    expect(changes(live)).toEqual([])
    expect(changes(frozen)).toEqual(['21:frozen:true'])
    expect(frozen[25]!.tamper.frozen).toBe(true)
    expect(changes(again)).toEqual(['0:frozen:false'])
    expect(frozen.some((r) => r.motion)).toBe(false)
  })

  it('reports a covered lens (uniform dark picture) without motion, and its clearing', async () => {
    const renderer = new SceneRenderer(quiet())
    const detector = await MotionDetector.create({ tamper: { coveredMs: 1000 } })
    await feed(detector, rendered(renderer, 0, 30), 320, 180)
    const covered = await feed(detector, rendered(renderer, 30, 60, (f) => f.map((v) => 12 + (v & 3))), 320, 180)
    const uncovered = await feed(detector, rendered(renderer, 60, 80), 320, 180)
    expect(changes(covered)).toEqual(['10:covered:true'])
    expect(covered[0]!.lightingReset).toBe(true)
    expect(covered.some((r) => r.motion)).toBe(false)
    expect(changes(uncovered)).toEqual(['0:covered:false'])
  })

  it('reports lost focus against the learned sharpness', async () => {
    const renderer = new SceneRenderer(quiet())
    const detector = await MotionDetector.create({ tamper: { defocusMs: 1000 } })
    const sharp = await feed(detector, rendered(renderer, 0, 60), 320, 180)
    const blurred = await feed(detector, rendered(renderer, 60, 100, (f) => boxBlur(f, 320, 180, 4)), 320, 180)
    const back = await feed(detector, rendered(renderer, 100, 110), 320, 180)
    expect(changes(sharp)).toEqual([])
    expect(changes(blurred)).toEqual(['10:defocused:true'])
    expect(changes(back)).toEqual(['0:defocused:false'])
  })

  it('reports a moved camera when the picture stops matching the learned scene', async () => {
    const renderer = new SceneRenderer(quiet())
    const detector = await MotionDetector.create({ tamper: { movedMs: 3000 } })
    const before = await feed(detector, rendered(renderer, 0, 60), 320, 180)
    // turned: the camera now looks at another part of the street (shifted and upside down)
    const turned = await feed(detector, rendered(renderer, 60, 120, (f) => f.map((_, i) => f[(179 - Math.floor(i / 320)) * 320 + ((i % 320) + 160) % 320]!)), 320, 180)
    expect(changes(before)).toEqual([])
    expect(turned[0]!.lightingReset).toBe(true)
    expect(changes(turned).map((c) => c.replace(/^\d+:/, ''))).toEqual(['moved:true'])
    const at = Number(changes(turned)[0]!.split(':')[0])
    expect(at).toBeGreaterThanOrEqual(30)
    expect(at).toBeLessThanOrEqual(40)
    expect(turned.slice(5).some((r) => r.motion)).toBe(false)
  })
})

describe('bad input', () => {
  const plane = (width: number, height: number, stride = width): LumaPlane => ({ data: new Uint8Array(Math.max(1, stride * height)), width, height, stride })

  it('rejects wrong-size, zero-size and short planes with errors that name the field', async () => {
    const d = await MotionDetector.create()
    d.detect(plane(64, 48), { seq: 0, ptsUs: 0 })
    const fail = (p: LumaPlane, info = { seq: 1, ptsUs: 1 }) => {
      try {
        d.detect(p, info)
      } catch (error) {
        expect(error).toBeInstanceOf(OkoError)
        return `${(error as OkoError).code} ${(error as Error).message}`
      }
      return 'no error'
    }
    expect(fail(plane(65, 48))).toMatch(/ERR_INVALID_INPUT luma: this detector works on 64×48 frames, received 65×48/)
    expect(fail(plane(0, 48))).toMatch(/ERR_INVALID_OPTION luma.width: expected an integer in \[1, 16384\], received 0/)
    expect(fail(plane(64, 0))).toMatch(/luma.height/)
    expect(fail({ ...plane(64, 48), stride: 32 })).toMatch(/luma.stride: expected an integer in \[64, 65536\], received 32/)
    expect(fail({ ...plane(64, 48), data: new Uint8Array(100) })).toMatch(/ERR_INVALID_INPUT luma.data: 64×48 with stride 64 needs 3072 bytes, received 100/)
    expect(fail({ ...plane(64, 48), data: [1, 2, 3] as unknown as Uint8Array })).toMatch(/luma.data: expected a Uint8Array/)
    expect(fail(plane(64, 48, 128))).toMatch(/luma.stride: 128 is wider than the first frame's 64/)
    expect(fail(plane(64, 48), { seq: 1, ptsUs: Number.NaN })).toMatch(/info.ptsUs/)
    expect(fail(null as unknown as LumaPlane)).toMatch(/luma: expected an object/)
    // still works after the bad frames
    expect(d.detect(plane(64, 48), { seq: 2, ptsUs: 2 }).motion).toBe(false)
    await d.close()
    await d.close()
    expect(() => d.detect(plane(64, 48), { seq: 3, ptsUs: 3 })).toThrow(/ERR_CLOSED|closed/)
  })

  it('handles 1×1 and tiny frames and masks covering everything, in the debug build', async () => {
    const module = await KernelModule.load({ debug: true })
    for (const [w, h] of [[1, 1], [2, 1], [1, 3], [17, 5]] as const) {
      const all = [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 1, y: 1 }, { x: 0, y: 1 }]
      for (const masks of [[], [all]]) {
        const d = await MotionDetector.create({ module, masks, zones: [{ name: 'z', polygon: [{ x: 0.9, y: 0.9 }, { x: 1, y: 0.9 }, { x: 1, y: 1 }] }] })
        for (let i = 0; i < 40; i++) {
          const data = new Uint8Array(w * h).map((_, k) => ((i * 37 + k * 11) & 1 ? 200 : 10))
          const r = d.detect({ data, width: w, height: h, stride: w }, { seq: i, ptsUs: i * 40_000 })
          expect(r.score).toBeGreaterThanOrEqual(0)
          expect(r.score).toBeLessThanOrEqual(1)
          for (const g of r.regions) {
            expect(g.x + g.width).toBeLessThanOrEqual(w)
            expect(g.y + g.height).toBeLessThanOrEqual(h)
          }
        }
        await d.close()
      }
    }
  })

  it('rejects bad options before loading anything', async () => {
    await expect(MotionDetector.create({ processingHeight: Number.NaN })).rejects.toThrow(/options.processingHeight: expected an integer in \[16, 2160\], received NaN/)
    await expect(MotionDetector.create({ masks: [[{ x: 0, y: 0 }, { x: 2, y: 0 }, { x: 0, y: 1 }]] })).rejects.toThrow(/options.masks\[0\]\[1\].x/)
  })
})

function boxBlur(src: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const tmp = new Float32Array(w * h)
  const out = new Uint8Array(w * h)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0
      for (let k = -r; k <= r; k++) s += src[y * w + Math.min(w - 1, Math.max(0, x + k))]!
      tmp[y * w + x] = s / (2 * r + 1)
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0
      for (let k = -r; k <= r; k++) s += tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x]!
      out[y * w + x] = Math.round(s / (2 * r + 1))
    }
  }
  return out
}
