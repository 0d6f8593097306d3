import { mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineStage, iou, type Detection, type OkoEvent, type RgbImage, type Stage } from '@oko/core'
import {
  FaceAnalyzer, FacePool, Watchlist, describeSingleFace, euclidean, faceStage, searchAreas, type FaceEvent,
} from '@oko/faces'
import { toRgb } from '@oko/imaging'
import { Pipeline, type WorkerStage } from '@oko/pipeline'
import { decodeImage } from '@oko/source'
import { ImageSource } from '../helpers/stage.js'

// Demo photos shipped in @vladmandic/face-api (npm): group shots of 3–4 people.
const faceApiDir = dirname(createRequire(join(process.cwd(), 'packages/faces/package.json')).resolve('@vladmandic/face-api/package.json'))
const sample = (n: number) => decodeImage(join(faceApiDir, 'demo', `sample${n}.jpg`), { format: 'rgb24' }) as RgbImage

/**
 * Runs images through `before` (optional) and the face stage as a pipeline does; returns the
 * events and, per frame, the faces the stage added to the envelope.
 */
async function runFaces(stage: WorkerStage, images: RgbImage[], before?: Stage): Promise<{ events: OkoEvent[]; faces: Detection[][] }> {
  const faces: Detection[][] = []
  const collect = defineStage({ name: 'collect', process: (e) => { faces[e.frame.seq - 1] = e.detections.filter((d) => d.label === 'face'); return e } })
  let pipeline = Pipeline.from(new ImageSource('cam', images))
  if (before) pipeline = pipeline.pipe(before)
  const run = pipeline.pipe(stage).pipe(collect).run()
  const events: OkoEvent[] = []
  for await (const e of run.events) events.push(e)
  const summary = await run.completion
  if (summary.errors > 0) throw new Error(`face stage errors: ${JSON.stringify(events.filter((e) => e.type === 'error'))}`)
  return { events: events.filter((e) => e.type !== 'source'), faces }
}

/** Halves an rgb24 image (box filter): a "detect stream" view of the same scene. */
function half(img: RgbImage): RgbImage {
  const w = img.width >> 1, h = img.height >> 1
  const out = new Uint8Array(w * h * 3)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
    const at = (yy: number, xx: number) => img.data[(yy * img.width + xx) * 3 + c]!
    out[(y * w + x) * 3 + c] = (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) >> 2
  }
  return { data: out, width: w, height: h, format: 'rgb24' }
}

describe('faces with the real face-api models (in-process)', () => {
  let analyzer: FaceAnalyzer
  let group: RgbImage
  beforeAll(async () => {
    analyzer = await FaceAnalyzer.create()
    group = sample(1)
  })
  afterAll(() => analyzer.close())

  it('says which backend runs and why', () => {
    expect(analyzer.backendDescription).toMatch(/^(wasm|tensorflow) \(/)
    if (analyzer.backendDescription.startsWith('wasm')) expect(analyzer.backendDescription).toMatch(/tfjs-node not installed/)
  })

  it('finds the faces of a group photo with landmarks, quality and 128-d descriptors', async () => {
    const faces = await analyzer.analyze(group)
    expect(faces.length).toBeGreaterThanOrEqual(2)
    for (const f of faces) {
      expect(f.landmarks).toHaveLength(68)
      expect(f.quality.sizePx).toBeGreaterThan(36)
      if (!f.skip) {
        expect(f.descriptor).toBeInstanceOf(Float32Array)
        expect(f.descriptor).toHaveLength(128)
      }
    }
    const described = faces.filter((f) => f.descriptor)
    expect(described.length).toBeGreaterThanOrEqual(2)
    expect(euclidean(described[0]!.descriptor!, described[1]!.descriptor!)).toBeGreaterThan(0.45)
  })

  it('searches only the given regions, with the same boxes as a whole-frame search', async () => {
    const all = await analyzer.analyze(group)
    const target = all[0]!
    const b = target.box
    // A person-sized region around the face (what a motion or person box looks like).
    const region = { x: b.x - b.width / 2, y: b.y - b.height / 4, width: b.width * 2, height: b.height * 3 }
    const only = await analyzer.analyze(group, { regions: [region] })
    expect(Math.max(...only.map((f) => iou(f.box, target.box)))).toBeGreaterThan(0.5)
    // Nothing outside the (25% widened) region is searched.
    const [area] = searchAreas([region], group.width, group.height)
    for (const f of only) {
      const cx = f.box.x + f.box.width / 2, cy = f.box.y + f.box.height / 2
      expect(cx > area!.x && cx < area!.x + area!.width && cy > area!.y && cy < area!.y + area!.height).toBe(true)
    }
    expect(only.length).toBeLessThan(all.length)
    expect(await analyzer.analyze(group, { regions: [] })).toEqual([])
  })

  it('skips tiny and blurred faces with a reason instead of describing them', async () => {
    const face = (await analyzer.analyze(group)).find((f) => f.descriptor)!
    const b = face.box
    const crop = toRgb(group, { x: b.x - b.width, y: b.y - b.height, width: b.width * 3, height: b.height * 3 })
    // Blur: a 9×9 box filter, twice.
    let blurred = crop
    for (let pass = 0; pass < 2; pass++) {
      const out = new Uint8Array(blurred.data.length)
      for (let y = 0; y < crop.height; y++) for (let x = 0; x < crop.width; x++) for (let c = 0; c < 3; c++) {
        let s = 0, n = 0
        for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) {
          const yy = y + dy, xx = x + dx
          if (yy >= 0 && xx >= 0 && yy < crop.height && xx < crop.width) { s += blurred.data[(yy * crop.width + xx) * 3 + c]!; n++ }
        }
        out[(y * crop.width + x) * 3 + c] = s / n
      }
      blurred = { ...crop, data: out }
    }
    const [soft] = await analyzer.analyze(blurred)
    if (soft) {
      expect(soft.skip).toBe('blurred')
      expect(soft.descriptor).toBeUndefined()
    }
    const strict = await FaceAnalyzer.create({ detector: { quality: { minSizePx: 10_000 } } })
    try {
      const small = await strict.analyze(crop)
      expect(small.length).toBeGreaterThanOrEqual(1)
      expect(small.every((f) => f.skip === 'too-small' && !f.descriptor)).toBe(true)
    } finally {
      await strict.close()
    }
  })

  it('enrolment photos: clear errors for no face and for several faces', async () => {
    const grey = { data: new Uint8Array(200 * 200 * 3).fill(127), width: 200, height: 200, format: 'rgb24' as const }
    await expect(describeSingleFace(analyzer, grey, 'blank.png')).rejects.toThrow(/blank\.png: no face found/)
    await expect(describeSingleFace(analyzer, group, 'group.jpg')).rejects.toThrow(/group\.jpg: \d faces found; an enrolment photo must show exactly one person/)
    expect(() => decodeImage(Buffer.from('not an image at all'))).toThrow(/cannot decode image/)
    await expect(analyzer.analyze({ data: new Uint8Array(3), width: 10, height: 10, format: 'rgb24' })).rejects.toThrow(/needs 300 bytes/)
  })
})

describe('faces in worker threads and in a pipeline stage', () => {
  let pool: FacePool
  let analyzer: FaceAnalyzer
  let group: RgbImage
  beforeAll(async () => {
    ;[pool, analyzer] = await Promise.all([FacePool.create({ threads: 1 }), FaceAnalyzer.create()])
    group = sample(1)
  })
  afterAll(async () => { await Promise.all([pool?.close(), analyzer?.close()]) })

  it('a worker thread gives the same faces and descriptors as in-process', async () => {
    const [a, b] = await Promise.all([pool.analyze(group, { snapshots: true }), analyzer.analyze(group)])
    expect(a).toHaveLength(b.length)
    expect(pool.modelId).toBe(analyzer.modelId)
    for (const [i, f] of a.entries()) {
      expect(iou(f.box, b[i]!.box)).toBeGreaterThan(0.99)
      if (f.descriptor) expect(euclidean(f.descriptor, b[i]!.descriptor!)).toBeLessThan(1e-3)
      expect(f.snapshot).toMatchObject({ width: 150, height: 150, format: 'rgb24' })
    }
  })

  it('the stage tracks faces, matches the watchlist, attaches the best face as JPEG, and emits once per change', async () => {
    const faces = (await analyzer.analyze(group)).filter((f) => f.descriptor)
    const watchlist = Watchlist.create({ modelId: analyzer.modelId })
    watchlist.enrol('person-a', [faces[0]!.descriptor!])
    await using stage = await faceStage({ analysis: pool, watchlist })
    // frame 3 has nothing that moved: the stage lets it pass
    const nothingAt3 = defineStage({ name: 'gate', process: (e) => { if (e.frame.seq === 3) e.motion = { score: 0, regions: [], zones: [] }; return e } })
    const { events, faces: seen } = await runFaces(stage, [group, group, group], nothingAt3)
    const count = (await analyzer.analyze(group)).length
    expect(seen[0]!.length).toBe(count)
    const faceEvents = events.filter((e): e is FaceEvent => e.type === 'face')
    // the first frame starts one track per face; the same scene again reports nothing new
    expect(faceEvents.every((e) => e.seq === 1)).toBe(true)
    expect(faceEvents.length).toBe(count)
    expect(new Set(faceEvents.map((e) => e.trackId)).size).toBe(count)
    expect(seen[1]!.length).toBe(count)
    expect(seen[2]).toEqual([])
    const matched = faceEvents.filter((e) => e.match)
    expect(matched).toHaveLength(1)
    expect(matched[0]!.match!.identity).toBe('person-a')
    expect(matched[0]!.match!.distance).toBeLessThan(0.05)
    const jpeg = matched[0]!.snapshot!.jpeg
    expect(matched[0]!.snapshot).toMatchObject({ width: 150, height: 150 })
    expect(decodeImage(jpeg)).toMatchObject({ width: 150, height: 150 })
    expect(faceEvents.filter((e) => !e.match).every((e) => e.nearestDistance! > watchlist.threshold)).toBe(true)
    expect(JSON.stringify(faceEvents.map(({ snapshot: _s, ...e }) => e))).not.toMatch(/descriptor/)
  })

  it('asks the crop provider for small areas and maps its high-resolution faces back', async () => {
    const small = half(group)
    const requests: unknown[] = []
    await using stage = await faceStage({
      analysis: analyzer,
      highResBelowPx: 10_000,
      cropProvider: async (req) => {
        requests.push(req)
        const r = req.rect
        return { image: toRgb(group, { x: r.x * 2, y: r.y * 2, width: r.width * 2, height: r.height * 2 }), rect: r }
      },
    })
    const everything = defineStage({ name: 'gate', process: (e) => { e.motion = { score: 1, regions: [{ x: 0, y: 0, width: small.width, height: small.height, pixels: 1 }], zones: [] }; return e } })
    const { faces } = await runFaces(stage, [small], everything)
    expect(requests).toHaveLength(1)
    const full = await analyzer.analyze(group)
    expect(faces[0]).toHaveLength(full.length)
    for (const f of faces[0]!) {
      const best = Math.max(...full.map((g) => iou({ x: f.box.x * 2, y: f.box.y * 2, width: f.box.width * 2, height: f.box.height * 2 }, g.box)))
      expect(best).toBeGreaterThan(0.8)
    }
  })

  it('rejects a watchlist from another model', async () => {
    await expect(faceStage({ analysis: analyzer, watchlist: Watchlist.create({ modelId: 'other' }) })).rejects.toThrow(/descriptors are from "other"/)
  })
})

describe('enrol, save, load, identify (end to end)', () => {
  it('a watchlist built from one photo recognises the same person in another photo of the group', async () => {
    const analyzer = await FaceAnalyzer.create()
    try {
      const faces = (await analyzer.analyze(sample(1))).filter((f) => f.descriptor)
      const list = Watchlist.create({ modelId: analyzer.modelId })
      faces.forEach((f, i) => list.enrol(`p${i}`, [f.descriptor!]))
      const dir = mkdtempSync(join(tmpdir(), 'oko-faces-'))
      await list.save(join(dir, 'w.okofaces'))
      const loaded = await Watchlist.load(join(dir, 'w.okofaces'), { expectModelId: analyzer.modelId })
      for (const f of faces) expect(loaded.match(f.descriptor!).distance).toBeLessThan(1e-6)
      writeFileSync(join(dir, 'bad.okofaces'), Buffer.from('OKOFACEW garbage garbage garbage garbage garbage garbage garbage'))
      await expect(Watchlist.load(join(dir, 'bad.okofaces'))).rejects.toThrow(/bad\.okofaces/)
    } finally {
      await analyzer.close()
    }
  })
})
