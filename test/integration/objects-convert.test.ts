import { join } from 'node:path'
import { frameToImage } from '@oko/imaging'
import { iou } from '@oko/core'
import { ObjectDetector, builtinOnnx, builtinTfjsFiles, convertTfjsGraph, resizeCenternet, COCO_CLASSES, DEFAULT_CLASSES, type BuiltinModel } from '@oko/objects'
import { OnnxGraph, optimizeModel, ort } from '@oko/onnx'
import { Source } from '@oko/source'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluationDataDir } from '../helpers/data.js'
import { loadTfjsGraph, loadTfjsGraphFrom, loadTfjsWasm, type TfJs } from '../helpers/tfjs.js'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'

// The TF.js → ONNX conversion of the built-in detectors is exact: on real frames every output of
// the ONNX graph (onnxruntime-node) equals TF.js's (wasm backend) to float32 rounding.
const data = evaluationDataDir()
const cacheDir = mkdtempSync(join(tmpdir(), 'oko-objects-'))
const classIds = DEFAULT_CLASSES.map((c) => COCO_CLASSES.indexOf(c))

/** Two real frames: the 1080p yard (cars) and the OpenCV pedestrian clip. */
async function realFrames(): Promise<ReturnType<typeof frameToImage>[]> {
  const out = []
  for (const [file, at] of [['ru-yard-cam-1.ts', 30], ['opencv-vtest.avi', 100]] as const) {
    const src = await Source.open(join(data!, 'video', file))
    let n = 0
    for await (const frame of src.frames()) if (++n === at) { out.push(frameToImage(frame)); break }
    await src.close()
  }
  return out
}

describe.skipIf(!data)('TF.js → ONNX detectors', () => {
  let tf: TfJs
  let frames: Awaited<ReturnType<typeof realFrames>>
  beforeAll(async () => {
    tf = await loadTfjsWasm()
    frames = await realFrames()
  })
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

  it.each(['nanodet', 'centernet'] as BuiltinModel[])('%s: every output equals TF.js wasm on real frames (|Δ| ≤ 1e-3 of each output range), detections identical', async (model) => {
    const files = builtinTfjsFiles(model)
    const graph = await loadTfjsGraph(tf, files.json, files.weights)
    const onnx = builtinOnnx(model, cacheDir)
    expect(onnx.cachedAt).toContain(cacheDir)
    const session = await ort.InferenceSession.create(onnx.bytes, { intraOpNumThreads: 1 })
    const detector = await ObjectDetector.open({ model: { kind: model, cacheDir }, classIds, scoreThreshold: 0.3, nmsIou: 0.5 })
    let found = 0
    for (const image of frames) {
      const input = detector.tensor(image, { x: 0, y: 0, width: image.width, height: image.height })
      const ours = await session.run({ [onnx.inputName]: new ort.Tensor('float32', input.data, input.dims) })
      const x = tf.tensor(input.data, input.dims)
      const theirs = await graph.executeAsync(x, onnx.outputNames)
      const list = Array.isArray(theirs) ? theirs : [theirs]
      const outputs = []
      for (const [i, name] of onnx.outputNames.entries()) {
        const a = ours[name]!.data as Float32Array
        const b = await list[i]!.data()
        expect(ours[name]!.dims).toEqual(list[i]!.shape)
        outputs.push({ data: b, dims: list[i]!.shape })
        if (name === 'tower_0/detections') continue // compared as detections below (top-k order ties)
        let worst = 0, range = 1
        for (let k = 0; k < a.length; k++) { worst = Math.max(worst, Math.abs(a[k]! - b[k]!)); range = Math.max(range, Math.abs(b[k]!)) }
        expect(worst / range, `${model} ${name}`).toBeLessThanOrEqual(1e-3)
      }
      // The decoded detections from TF.js's outputs and from onnxruntime's: same classes, boxes within 0.5 px.
      const reference = detector.decode(outputs).sort((p, q) => q.score - p.score)
      const converted = detector.decode(onnx.outputNames.map((n) => ({ data: ours[n]!.data as Float32Array, dims: ours[n]!.dims as number[] }))).sort((p, q) => q.score - p.score)
      expect(converted.length).toBe(reference.length)
      found += reference.length
      for (const [k, r] of reference.entries()) {
        const c = converted[k]!
        expect(c.classId).toBe(r.classId)
        expect(Math.abs(c.score - r.score)).toBeLessThanOrEqual(1e-3)
        for (const key of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(c[key] - r[key])).toBeLessThanOrEqual(0.5)
      }
      x.dispose()
      for (const t of list) t.dispose()
    }
    expect(found).toBeGreaterThan(0)
    await detector.release()
    await session.release()
  }, 300_000)

  it('centernet at 320²: its grid constants set for it, the conversion is exact (TF.js runs the same resized graph) and it finds the yard vehicles 512² finds', async () => {
    const files = builtinTfjsFiles('centernet')
    const resized = resizeCenternet(JSON.parse(readFileSync(files.json, 'utf8')), Buffer.concat(files.weights.map((f) => readFileSync(f))), 320)
    const graph = await loadTfjsGraphFrom(tf, resized.json, resized.weights)
    const onnx = builtinOnnx('centernet', cacheDir, 320)
    expect(onnx.inputShape).toEqual([1, 320, 320, 3])
    expect(onnx.cachedAt).toMatch(/centernet-320-[0-9a-f]{16}\.onnx$/)
    const session = await ort.InferenceSession.create(onnx.bytes, { intraOpNumThreads: 1 })
    const small = await ObjectDetector.open({ model: { kind: 'centernet', cacheDir, inputSize: 320 }, classIds, scoreThreshold: 0.35, nmsIou: 0.5 })
    const full = await ObjectDetector.open({ model: { kind: 'centernet', cacheDir }, classIds, scoreThreshold: 0.35, nmsIou: 0.5 })
    expect(small.inputSize).toEqual({ width: 320, height: 320 })
    const yard = frames[0]!
    // the area the objects stage searches around the yard's moving car
    const area = { x: 700, y: 0, width: 700, height: 700 }
    const input = small.tensor(yard, area)
    const ours = await session.run({ [onnx.inputName]: new ort.Tensor('float32', input.data, input.dims) })
    const x = tf.tensor(input.data, input.dims)
    const theirs = await graph.executeAsync(x, onnx.outputNames)
    const list = Array.isArray(theirs) ? theirs : [theirs]
    for (const [i, name] of onnx.outputNames.entries()) {
      expect(ours[name]!.dims).toEqual(list[i]!.shape)
      if (name === 'tower_0/detections') continue
      const a = ours[name]!.data as Float32Array
      const b = await list[i]!.data()
      let worst = 0, range = 1
      for (let k = 0; k < a.length; k++) { worst = Math.max(worst, Math.abs(a[k]! - b[k]!)); range = Math.max(range, Math.abs(b[k]!)) }
      expect(worst / range, name).toBeLessThanOrEqual(1e-3)
    }
    x.dispose()
    for (const t of list) t.dispose()
    const vehicles = [2, 3, 5, 7]
    const at512 = (await full.detect(yard, area)).filter((d) => vehicles.includes(d.classId))
    const at320 = (await small.detect(yard, area)).filter((d) => vehicles.includes(d.classId))
    const matched = at512.filter((d) => at320.some((e) => iou(d, e) >= 0.5)).length
    console.log(`centernet on the yard's search area: ${at512.length} vehicles at 512², ${at320.length} at 320², ${matched} of the 512² ones matched (IoU ≥ 0.5)`)
    expect(at512.length).toBeGreaterThan(0)
    expect(matched).toBeGreaterThanOrEqual(Math.ceil(at512.length * 0.6))
    await small.release()
    await full.release()
    await session.release()
  }, 300_000)

  it("centernet's hard-swish is rewritten into the form onnxruntime fuses into its Convs, with the same outputs", async () => {
    const files = builtinTfjsFiles('centernet')
    const json = JSON.parse(readFileSync(files.json, 'utf8'))
    const weights = Buffer.concat(files.weights.map((f) => readFileSync(f)))
    const { json: j160, weights: w160 } = resizeCenternet(json, weights, 160)
    const plain = convertTfjsGraph(j160, w160).bytes
    const { bytes, report } = optimizeModel(plain)
    // 19 of MobileNetV3's 20: the stem's output is also read by a residual Add, so its factor cannot go into Conv weights
    expect(report.hardSwish).toBe(19)
    const optimizedFile = join(cacheDir, 'centernet-160-ort.onnx')
    const run = async (model: Uint8Array, optimizedModelFilePath?: string) => {
      const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, graphOptimizationLevel: 'all', ...(optimizedModelFilePath ? { optimizedModelFilePath } : {}) })
      const input = new Float32Array(160 * 160 * 3).map((_, i) => (i * 37) % 256)
      const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, [1, 160, 160, 3]) })
      await session.release()
      return out
    }
    const [a, b] = [await run(plain), await run(bytes, optimizedFile)]
    for (const name of ['tower_0/wh', 'tower_0/keypoints']) {
      const p = a[name]!.data as Float32Array, q = b[name]!.data as Float32Array
      let worst = 0, range = 1
      for (let k = 0; k < p.length; k++) { worst = Math.max(worst, Math.abs(p[k]! - q[k]!)); range = Math.max(range, Math.abs(p[k]!)) }
      expect(worst / range, name).toBeLessThan(1e-5)
    }
    // onnxruntime folded every HardSigmoid · x into the Conv before it (an activation of its own)
    expect(OnnxGraph.decode(readFileSync(optimizedFile)).nodes.filter((n) => n.opType === 'HardSigmoid')).toHaveLength(0)
  }, 120_000)
})
