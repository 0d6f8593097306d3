// Object detectors side by side: each built-in model (NanoDet-g 416², MB3-CenterNet 512²) on one
// thread, TF.js wasm (the model as npm ships it) vs onnxruntime-node (oko's exact ONNX conversion),
// on a real frame; then which classes each finds on the real clips in OKO_DATA/video (1 frame/s).
// Writes bench/results/objects.json and prints a table.
// Run: nice node --conditions oko-source --import tsx bench/objects.bench.ts [--quick]
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { frameToImage } from '@oko/imaging'
import { COCO_CLASSES, DEFAULT_CLASSES, ObjectDetector, builtinOnnx, builtinTfjsFiles, type BuiltinModel } from '@oko/objects'
import { ort } from '@oko/onnx'
import { Source } from '@oko/source'
import { Bench } from 'tinybench'
import { loadTfjsGraph, loadTfjsWasm } from '../test/helpers/tfjs.js'

const quick = process.argv.includes('--quick')
const data = process.env.OKO_DATA ?? join(fileURLToPath(new URL('.', import.meta.url)), '../../shared/data')
const videoDir = join(data, 'video')
const classIds = DEFAULT_CLASSES.map((c) => COCO_CLASSES.indexOf(c))
const models: BuiltinModel[] = ['nanodet', 'centernet']

async function firstFrame(file: string, at: number) {
  const src = await Source.open(file)
  let n = 0
  try {
    for await (const frame of src.frames()) if (++n === at) return frameToImage(frame)
  } finally {
    await src.close()
  }
  throw new Error(`${file} has fewer than ${at} frames`)
}

const image = existsSync(videoDir) ? await firstFrame(join(videoDir, 'ru-yard-cam-1.ts'), 30) : { data: new Uint8Array(640 * 360 * 3).fill(90), width: 640, height: 360, format: 'rgb24' as const }
const tf = await loadTfjsWasm()
const bench = new Bench({ time: quick ? 2000 : 6000, warmup: true, warmupIterations: 2, iterations: 5 })
const detectors: Record<string, ObjectDetector> = {}
for (const model of models) {
  const det = await ObjectDetector.open({ model: { kind: model }, classIds, scoreThreshold: 0.35, nmsIou: 0.5 })
  detectors[model] = det
  const input = det.tensor(image, { x: 0, y: 0, width: image.width, height: image.height })
  const files = builtinTfjsFiles(model)
  const graph = await loadTfjsGraph(tf, files.json, files.weights)
  const onnx = builtinOnnx(model)
  const session = await ort.InferenceSession.create(onnx.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' })
  const size = `${det.inputSize.width}²`
  bench.add(`${model} ${size}: TF.js wasm, 1 thread`, async () => {
    const x = tf.tensor(input.data, input.dims)
    const out = await graph.executeAsync(x, onnx.outputNames)
    for (const t of Array.isArray(out) ? out : [out]) { await t.data(); t.dispose() }
    x.dispose()
  })
  bench.add(`${model} ${size}: onnxruntime-node (oko's conversion), 1 thread`, async () => {
    await session.run({ [onnx.inputName]: new ort.Tensor('float32', input.data, input.dims) })
  })
  bench.add(`${model} ${size}: oko ObjectDetector.detect (letterbox + model + decode + NMS) on ${image.width}×${image.height}`, async () => {
    await det.detect(image)
  })
}
await bench.run()

const rows = bench.tasks.map((t) => {
  const r = t.result as { latency?: { mean?: number; p50?: number; samplesCount?: number } } | undefined
  return { name: t.name, meanMs: r?.latency?.mean ?? NaN, p50Ms: r?.latency?.p50 ?? NaN, samples: r?.latency?.samplesCount ?? 0 }
})
console.table(rows.map((r) => ({ task: r.name, 'mean ms': r.meanMs.toFixed(1), 'p50 ms': r.p50Ms.toFixed(1) })))

// Which classes each model finds on real footage: detections (score ≥ 0.35) summed over 1 frame/s.
const footage: Record<string, Record<string, { frames: number; detections: Record<string, number> }>> = {}
if (existsSync(videoDir)) {
  for (const file of readdirSync(videoDir).filter((f) => /\.(ts|avi)$/.test(f)).sort()) {
    footage[file] = {}
    for (const model of models) {
      const src = await Source.open(join(videoDir, file), { fps: 1 })
      const counts: Record<string, number> = {}
      let frames = 0
      for await (const frame of src.frames()) {
        frames++
        for (const d of await detectors[model]!.detect(frameToImage(frame))) counts[COCO_CLASSES[d.classId]!] = (counts[COCO_CLASSES[d.classId]!] ?? 0) + 1
        if (quick && frames >= 4) break
      }
      await src.close()
      footage[file]![model] = { frames, detections: counts }
    }
  }
  console.log(JSON.stringify(footage, null, 1))
}

const out = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'objects.json'), `${JSON.stringify({
  bench: 'objects',
  date: new Date().toISOString(),
  node: process.version,
  quick,
  frame: existsSync(videoDir) ? 'ru-yard-cam-1.ts frame 30 (1920×1080)' : 'flat grey 640×360 (no OKO_DATA)',
  threads: 1,
  rows,
  footage: { scoreThreshold: 0.35, classes: DEFAULT_CLASSES, perClip: footage },
}, null, 2)}\n`)
