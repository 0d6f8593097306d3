import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineStage, type OkoEvent } from '@oko/core'
import { PlateReader, plateStage, type PlateEvent } from '@oko/plates'
import { motionStage } from '@oko/motion'
import { Pipeline } from '@oko/pipeline'
import { drawPlate, drawText, writeStillClip } from '@oko/samples'
import { Source, decodeImage } from '@oko/source'
import { evaluationDataDir } from '../helpers/data.js'
import { ImageSource } from '../helpers/stage.js'

// The drawn plates here use @oko/samples' 5×7 dot font, which is no plate font: oko's plate
// recogniser (trained on plate fonts) reads its flat-topped A as H and wins, so these tests pin
// PaddleOCR's recogniser alone. The default reader is measured on real plates (test/eval).
describe('PlateReader in worker threads', () => {
  let reader: PlateReader
  beforeAll(async () => {
    reader = await PlateReader.create({ workers: 1, secondRecognizer: false })
  })
  afterAll(async () => {
    await reader.close()
    await reader.close() // idempotent
  })

  it('finds and reads a plate, with its format and per-character confidence', async () => {
    const [plate, ...rest] = await reader.read(drawPlate('AB1234CE'))
    expect(rest).toEqual([])
    expect(plate).toMatchObject({ text: 'AB1234CE', format: 'ua', country: 'UA', lines: 1 })
    expect(plate!.charConfidences).toHaveLength(8)
    expect(plate!.box.x).toBeGreaterThan(80)
    expect(plate!.box.x).toBeLessThan(110)
    expect(plate!.box.width).toBeGreaterThan(180)
  })

  it('reads inside a region and reports boxes in image coordinates', async () => {
    const image = drawPlate('A123BC77', 800, 600, 400, 300)
    const [plate] = await reader.read(image, { region: { x: 300, y: 250, width: 400, height: 200 } })
    expect(plate).toMatchObject({ text: 'A123BC77', format: 'ru' })
    expect(plate!.box.x).toBeGreaterThan(380)
  })

  it('drops small text around a plate and generic text on the frame edge (stickers, overlays)', async () => {
    // A sticker-sized number just under a UA plate of twice as tall characters.
    const sticker = drawText(drawPlate('AB1234CE', 640, 480, 100, 150, 4), '531974', 140, 210, 2)
    expect((await reader.read(sticker)).map((p) => p.text)).toEqual(['AB1234CE'])
    // A date-like overlay along the bottom edge matches only generic formats: not a plate.
    const overlay = drawText(drawPlate('AB1234CE', 640, 480, 100, 150, 4), '21451347', 400, 466, 2)
    expect((await reader.read(overlay)).map((p) => p.text)).toEqual(['AB1234CE'])
    // A plate of a specific format on the edge is still read.
    expect((await reader.read(drawPlate('KX9753HB', 640, 480, 100, 436, 4)))[0]?.text).toBe('KX9753HB')
  })

  it('returns nothing for a plate-less frame', async () => {
    expect(await reader.read({ data: new Uint8Array(320 * 240).fill(128), width: 320, height: 240, format: 'gray8' })).toEqual([])
  })

  it('rejects bad images with ERR_INVALID_INPUT and keeps working', async () => {
    await expect(reader.read({ data: new Uint8Array(0), width: 0, height: 0, format: 'rgb24' })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    await expect(reader.read({ data: new Uint8Array(10), width: 100, height: 100, format: 'rgb24' })).rejects.toThrow(/needs 30000/)
    await expect(reader.read({ data: new Uint8Array(3), width: 30_000, height: 1, format: 'rgb24' })).rejects.toThrow(/too large/)
    expect((await reader.read(drawPlate('KX9753HB')))[0]?.text).toBe('KX9753HB')
    expect(reader.stats()).toMatchObject({ threads: 1, crashed: 0 })
  })
})

describe('PlateReader with bad models', () => {
  it('names a missing model file', async () => {
    await expect(PlateReader.create({ workers: 1, detector: { model: '/nonexistent/det.onnx' } }))
      .rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND', message: expect.stringContaining('/nonexistent/det.onnx') })
  })

  it('names a file that is not ONNX', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oko-plates-'))
    const model = join(dir, 'rec.onnx')
    const dictionary = join(dir, 'keys.txt')
    writeFileSync(model, 'this is not a model')
    writeFileSync(dictionary, 'A\nB\n')
    await expect(PlateReader.create({ workers: 1, recognizer: { model, dictionary } }))
      .rejects.toMatchObject({ code: 'ERR_MODEL', message: expect.stringContaining(model) })
  })
})

describe('plateStage', () => {
  it('votes over frames and emits one plate event with a JPEG snapshot and watchlist hit', async () => {
    await using stage = await plateStage({
      reader: { workers: 1, countries: ['ua'], secondRecognizer: false },
      watchlists: [{ name: 'stolen', plates: ['АВ 1234 СЕ'] }, { name: 'near', plates: ['AB1234CB'] }],
      voting: { maxGapFrames: 1 },
    })
    const image = drawPlate('AB1234CE')
    const blank = { data: new Uint8Array(640 * 480 * 3).fill(90), width: 640, height: 480, format: 'rgb24' as const }
    // frame 4 has nothing that moved: the stage lets it pass without reading it
    const nothingMovedAt4 = defineStage({ name: 'gate', process: (e) => { if (e.frame.seq === 4) e.motion = { score: 0, regions: [], zones: [] }; return e } })
    const plates: OkoEvent[] = []
    const source = new ImageSource('gate', [image, image, image, blank, blank])
    const run = Pipeline.from(source).pipe(nothingMovedAt4).pipe(stage).run()
    const events: OkoEvent[] = []
    for await (const e of run.events) events.push(e)
    expect(await run.completion).toMatchObject({ framesIn: 5, inferred: 4, errors: 0 })
    plates.push(...events.filter((e) => e.type === 'plate'))
    expect(plates).toHaveLength(1)
    const event = plates[0] as PlateEvent
    expect(event).toMatchObject({
      type: 'plate', cameraId: 'gate', text: 'AB1234CE', format: 'ua', country: 'UA', readings: 3,
      watchlist: [{ list: 'stolen', entry: 'AB1234CE', distance: 0 }, { list: 'near', entry: 'AB1234CB', distance: 1 }],
    })
    expect(event.trackId).toMatch(/^[0-9A-Z]{26}$/)
    const jpeg = event.snapshot!.jpeg
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8])
    const decoded = decodeImage(jpeg)
    expect([decoded.width, decoded.height]).toEqual([event.snapshot!.width, event.snapshot!.height])
    await stage.close()
  })
})

describe('plateStage in a pipeline, after the motion gate', () => {
  // A drawn plate crosses the view and leaves (2 s of still road follow); another is still moving when the clip ends.
  const dir = mkdtempSync(join(tmpdir(), 'oko-plates-pipeline-'))
  const car = drawPlate('AB1234CE', 240, 120, 20, 40, 4, 60)
  const clip = (name: string, to: { x: number; y: number }, seconds: number) => {
    const path = join(dir, name)
    writeStillClip(path, [{ image: car, motion: { from: { x: -240, y: 100 }, to, seconds } }], { size: { width: 640, height: 360 }, fps: 10, seconds: 4 })
    return path
  }
  const plateEvents = async (path: string) => {
    await using camera = await Source.open(path, { id: 'entry', fps: 5 })
    await using plates = await plateStage({ reader: { workers: 1, countries: ['ua'] }, voting: { maxGapFrames: 3 }, snapshot: false })
    await using run = Pipeline.from(camera).pipe(() => motionStage()).pipe(plates).run()
    const events: OkoEvent[] = []
    for await (const e of run.events) events.push(e)
    await run.completion
    return { events, ended: events.findIndex((e) => e.type === 'source' && e.state === 'ended'), plates: events.filter((e) => e.type === 'plate') }
  }

  it('reads the regions that moved; a car that left is reported on still frames, before the stream ends', async () => {
    const { events, ended, plates } = await plateEvents(clip('leaves.mp4', { x: 640, y: 100 }, 2))
    expect(plates).toMatchObject([{ text: 'AB1234CE', format: 'ua' }])
    expect(events.indexOf(plates[0]!)).toBeLessThan(ended)
  })

  it('a car still in view when the stream ends is reported when the camera is done and its stages flushed', async () => {
    const { events, ended, plates } = await plateEvents(clip('arrives.mp4', { x: 300, y: 100 }, 4))
    expect(plates).toMatchObject([{ text: 'AB1234CE', format: 'ua' }])
    expect(events.indexOf(plates[0]!)).toBeGreaterThan(ended)
  })
})

describe('PlateReader with your own box detector', () => {
  const data = evaluationDataDir()
  const model = data && join(data, 'models/yolox-nano/yolox_nano.onnx')
  it.skipIf(!model || !existsSync(model))('runs a YOLOX model through the boxes path (data: models/yolox-nano)', async () => {
    const reader = await PlateReader.create({
      workers: 1,
      detector: { model: model!, output: 'boxes', layout: 'yolox', inputWidth: 416, inputHeight: 416, channelOrder: 'bgr', mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255], scoreThreshold: 0.2 },
    })
    try {
      // YOLOX finds COCO objects, not plates: the reader must run, read what it finds and not crash.
      const plates = await reader.read(drawPlate('AB1234CE', 416, 416, 60, 180, 4))
      expect(Array.isArray(plates)).toBe(true)
      await expect(reader.read({ data: new Uint8Array(0), width: 0, height: 0, format: 'rgb24' })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    } finally {
      await reader.close()
    }
  })
})
