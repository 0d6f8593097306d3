import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RawImage } from '@oko/core'
import { parseDeployment } from '@oko/deploy'
import { ColourKernel, ImageClassifier, resolveDetectorOptions, searchArea, VEHICLE_COLOURS } from '@oko/objects'
import { DataType, OnnxWriter } from '@oko/onnx'
import { KernelModule } from '@oko/wasm'
import { pixelColour } from '../wasm/colour-reference.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oko-objects-attr-'))
  // A tiny classifier the test builds itself: the mean of each channel, as three scores (logits).
  const w = new OnnxWriter()
  w.input('x', DataType.float, [1, 3, 16, 16])
  w.node('GlobalAveragePool', ['x'], ['p'])
  w.node('Flatten', ['p'], ['y'])
  w.output('y', DataType.float, [1, 3])
  writeFileSync(join(dir, 'channels.onnx'), w.encode())
  writeFileSync(join(dir, 'channels.txt'), 'reddish\ngreenish\nbluish\n')
  writeFileSync(join(dir, 'two.txt'), 'reddish\ngreenish\n')
  const r = new OnnxWriter()
  r.input('x', DataType.float, [1, 10])
  r.node('Relu', ['x'], ['y'])
  r.output('y', DataType.float, [1, 10])
  writeFileSync(join(dir, 'rank2.onnx'), r.encode())
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A car-like picture: background `bg`, a body of colour `body` in the middle, a dark window above it. */
function car(body: [number, number, number], bg: [number, number, number] = [90, 95, 100], w = 80, h = 50): RawImage {
  const data = new Uint8Array(w * h * 3)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inBody = x >= 4 && x < w - 4 && y >= h * 0.3 && y < h * 0.85
      const window = x >= 16 && x < w - 16 && y >= h * 0.1 && y < h * 0.3
      const c = inBody ? body : window ? [20, 22, 25] : bg
      data.set(c, (y * w + x) * 3)
    }
  }
  return { data, width: w, height: h, format: 'rgb24' }
}

describe('vehicle colour (the WASM kernel; test/wasm/colour.test.ts compares it with the JS reference)', () => {
  let kernel: ColourKernel
  beforeAll(async () => { kernel = ColourKernel.create(await KernelModule.load()) })
  const dominantColour = (image: RawImage) => kernel.dominantColour(image)

  it('names body colours by hue, saturation and value', () => {
    const cases: [[number, number, number], string][] = [
      [[200, 20, 25], 'red'], [[30, 60, 190], 'blue'], [[30, 150, 50], 'green'], [[230, 210, 30], 'yellow'], [[240, 130, 20], 'orange'],
      [[110, 70, 40], 'brown'], [[225, 200, 160], 'beige'], [[245, 245, 242], 'white'], [[25, 25, 28], 'black'], [[100, 100, 104], 'grey'], [[170, 172, 175], 'silver'],
    ]
    for (const [rgb, name] of cases) {
      expect(VEHICLE_COLOURS[pixelColour(...rgb)], `${rgb}`).toBe(name)
      const c = dominantColour(car(rgb))
      expect(c.colour, `${rgb}`).toBe(name)
      expect(c.confidence).toBeGreaterThan(0.5)
    }
  })

  it('a shadow over part of a red car leaves it red; an infrared (colourless) picture is unknown', () => {
    const img = car([200, 20, 25])
    // the lower third of the body in shadow: half as bright
    for (let y = 32; y < 43; y++) for (let x = 0; x < 80; x++) for (let k = 0; k < 3; k++) img.data[(y * 80 + x) * 3 + k] = img.data[(y * 80 + x) * 3 + k]! >> 1
    expect(dominantColour(img).colour).toBe('red')
    const ir = car([180, 180, 180], [90, 90, 90])
    expect(dominantColour(ir).colour).toBe('unknown')
  })
})

describe('make/model classifier hook', () => {
  it('runs a user ONNX classifier with its labels: top-k with confidences', async () => {
    const c = await ImageClassifier.open({ model: join(dir, 'channels.onnx'), labels: join(dir, 'channels.txt'), mean: [0, 0, 0], std: [0.1, 0.1, 0.1], topK: 2 })
    const img = car([20, 30, 220], [20, 30, 220])
    const r = await c.classify(img, { x: 0, y: 0, width: img.width, height: img.height })
    await c.release()
    expect(r.label).toBe('bluish')
    expect(r.top.map((t) => t.value)).toEqual(['bluish', 'greenish'])
    expect(r.confidence).toBeGreaterThan(0.9)
  })

  it('refuses a wrong input rank and a labels file with the wrong number of lines, naming the option', async () => {
    await expect(ImageClassifier.open({ model: join(dir, 'rank2.onnx'), labels: join(dir, 'channels.txt') }, 'makeModel'))
      .rejects.toThrow(/makeModel\.model: .*rank2\.onnx takes a rank-2 input \[1, 10\]; a classifier takes an image tensor/)
    await expect(ImageClassifier.open({ model: join(dir, 'channels.onnx'), labels: join(dir, 'two.txt') }, 'makeModel'))
      .rejects.toThrow(/makeModel\.labels: .*two\.txt has 2 lines and .*channels\.onnx scores 3 classes/)
  })
})

describe('detector options', () => {
  it('a class the model does not have is refused at creation, naming it', () => {
    expect(() => resolveDetectorOptions({ classes: ['car', 'tank'] })).toThrow(/options\.classes\[1\]: the model has no class "tank"/)
    expect(() => resolveDetectorOptions({ model: 'yolo.pt' })).toThrow(/options\.model: expected centernet, nanodet or a path to an \.onnx detector/)
    expect(() => resolveDetectorOptions({ labels: 'x.txt' })).toThrow(/options\.labels: applies to your own ONNX model only/)
    expect(resolveDetectorOptions({ inputSize: 320 }).settings.model).toMatchObject({ kind: 'centernet', inputSize: 320 })
    expect(() => resolveDetectorOptions({ inputSize: 300 })).toThrow(/options\.inputSize: expected a multiple of 32/)
    expect(() => resolveDetectorOptions({ inputSize: 64 })).toThrow(/options\.inputSize/)
    expect(() => resolveDetectorOptions({ model: 'nanodet', inputSize: 320 })).toThrow(/options\.inputSize: applies to centernet only/)
    expect(() => resolveDetectorOptions({ model: '/x/yolo.onnx', inputSize: 320 })).toThrow(/options\.inputSize: applies to the built-in centernet only; give your own model's size as inputWidth and inputHeight/)
    const r = resolveDetectorOptions({ classes: ['person', 'car'] })
    expect(r.settings.classIds).toEqual([0, 2])
  })

  it('the search area: around what moved (at least the model input), the whole frame when most of it moved', () => {
    const env = (regions: { x: number; y: number; width: number; height: number }[]) => ({
      frame: { width: 1920, height: 1080 }, motion: { score: 0.1, regions: regions.map((r) => ({ ...r, area: r.width * r.height })), zones: [] }, detections: [], tracks: [],
    }) as never
    expect(searchArea(env([{ x: 100, y: 100, width: 50, height: 40 }]), 'auto', { width: 512, height: 512 })).toEqual({ x: 0, y: 0, width: 512, height: 512 })
    expect(searchArea(env([{ x: 0, y: 0, width: 1900, height: 1000 }]), 'auto', { width: 512, height: 512 })).toBeUndefined()
    expect(searchArea(env([]), 'motion', { width: 512, height: 512 })).toBeUndefined()
  })
})

describe('deployment file: objects, tracking, attributes', () => {
  const cfg = (stages: string) => `cameras:\n  - url: a.mp4\nstages:\n${stages}`
  const errorOf = (text: string): string => {
    try { parseDeployment(text, { baseDir: dir }) } catch (e) { return (e as Error).message }
    throw new Error('expected an error')
  }
  it('accepts the vehicle cascade and names bad options by their line', () => {
    const c = parseDeployment(cfg('  - motion\n  - objects: { classes: [car, person], fps: 5 }\n  - tracking: { lostTimeoutMs: 3000 }\n  - attributes\n  - plates\n'), { baseDir: dir })
    expect(c.stages.map((s) => s.name)).toEqual(['motion', 'objects', 'tracking', 'attributes', 'plates'])
    expect(errorOf(cfg('  - motion\n  - objects: { classes: [car, tank] }\n'))).toMatch(/stages\[1\]\.objects\.classes\[1\] \(line \d+\): the model has no class "tank"/)
    expect(errorOf(cfg('  - motion\n  - objects\n  - tracking: { lostTimeoutMs: -1 }\n'))).toMatch(/stages\[2\]\.tracking\.lostTimeoutMs \(line \d+\)/)
    expect(errorOf(cfg('  - motion\n  - objects: { model: missing.onnx }\n'))).toMatch(/stages\[1\]\.objects\.model \(line \d+\): .*missing\.onnx not found/)
    expect(errorOf(cfg('  - attributes: { makeModel: { model: channels.onnx, labels: nope.txt } }\n'))).toMatch(/makeModel\.labels \(line \d+\): .*nope\.txt not found/)
  })
})
