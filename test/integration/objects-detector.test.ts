import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { frameToImage } from '@oko/imaging'
import { COCO_CLASSES, DEFAULT_CLASSES, DEFAULT_MODEL, ObjectDetector } from '@oko/objects'
import { DataType, OnnxWriter } from '@oko/onnx'
import { Source } from '@oko/source'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluationDataDir } from '../helpers/data.js'

// The detectors on a real frame of people (OpenCV's vtest street clip): the default built-in model
// and a user's own YOLOX ONNX (test-only fixture in OKO_DATA/models); a user model with the wrong
// input rank is refused at creation, naming the option.
const data = evaluationDataDir()
const dir = mkdtempSync(join(tmpdir(), 'oko-objects-det-'))
const classIds = DEFAULT_CLASSES.map((c) => COCO_CLASSES.indexOf(c))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe.skipIf(!data)('object detectors on real footage', () => {
  let image: ReturnType<typeof frameToImage>
  beforeAll(async () => {
    const src = await Source.open(join(data!, 'video', 'opencv-vtest.avi'))
    let n = 0
    for await (const frame of src.frames()) if (++n === 100) { image = frameToImage(frame); break }
    await src.close()
  })

  it(`the default model (${DEFAULT_MODEL}) finds the walkers as person`, async () => {
    const det = await ObjectDetector.open({ model: { kind: DEFAULT_MODEL, cacheDir: dir }, classIds, scoreThreshold: 0.4, nmsIou: 0.5 })
    const found = await det.detect(image)
    await det.release()
    const people = found.filter((d) => COCO_CLASSES[d.classId] === 'person')
    expect(people.length).toBeGreaterThanOrEqual(3)
    expect(people.filter((p) => p.height > p.width).length).toBeGreaterThanOrEqual(people.length - 1) // upright, one may be half hidden
  })

  it('a user YOLOX-nano ONNX (shared decodeBoxes) finds the same walkers', async () => {
    const model = { kind: 'onnx' as const, path: join(data!, 'models', 'yolox-nano', 'yolox_nano.onnx'), layout: 'yolox' as const }
    const det = await ObjectDetector.open({ model, classIds, scoreThreshold: 0.4, nmsIou: 0.5 })
    expect(det.inputSize).toEqual({ width: 416, height: 416 })
    const found = await det.detect(image)
    await det.release()
    const people = found.filter((d) => COCO_CLASSES[d.classId] === 'person')
    expect(people.length).toBeGreaterThanOrEqual(3)
    const reference = await ObjectDetector.open({ model: { kind: DEFAULT_MODEL, cacheDir: dir }, classIds, scoreThreshold: 0.4, nmsIou: 0.5 })
    const ours = (await reference.detect(image)).filter((d) => d.classId === 0)
    await reference.release()
    // Most of YOLOX's walkers are the default model's too (IoU ≥ 0.5).
    const iou = (a: typeof ours[0], b: typeof ours[0]) => {
      const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x))
      const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y))
      return (w * h) / (a.width * a.height + b.width * b.height - w * h)
    }
    const shared = people.filter((p) => ours.some((o) => iou(p, o) >= 0.5))
    expect(shared.length).toBeGreaterThanOrEqual(Math.ceil(people.length / 2))
  })
})

describe('a user detector with the wrong input', () => {
  it('rank 2 is refused at creation, naming objects.model', async () => {
    const w = new OnnxWriter()
    w.input('x', DataType.float, [1, 10])
    w.node('Relu', ['x'], ['y'])
    w.output('y', DataType.float, [1, 10])
    const path = join(dir, 'rank2.onnx')
    writeFileSync(path, w.encode())
    await expect(ObjectDetector.open({ model: { kind: 'onnx', path }, classIds, scoreThreshold: 0.4, nmsIou: 0.5 }))
      .rejects.toThrow(/objects\.model: .*rank2\.onnx takes a rank-2 input \[1, 10\]; a detector takes a rank-4 image tensor/)
  })
})
