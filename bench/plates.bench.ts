// Plate reading speed: one plate crop, and a 1080p frame with one car (whole frame, and the car's
// region as a vehicle or motion stage would pass it). One thread, in-process PlateEngine (what each
// PlateReader worker runs). Wall time from tinybench plus CPU time per read (process.cpuUsage).
// The readers side by side on the same crops and frame: the default (PaddleOCR's recogniser with
// oko's plate recogniser as the second reader of every line), oko's alone, PaddleOCR's alone (the
// reader before oko trained its own). Also the models alone: oko's recogniser, and the two
// PaddleOCR models as published and as oko rewrites them at load (optimizeModel).
// Uses a real car photo from the evaluation data when present (OKO_DATA), else drawn plates.
// Writes bench/results/plates.json and prints a table.
// Run: nice node --conditions oko-source --import tsx bench/plates.bench.ts [--quick]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Bench } from 'tinybench'
import { type RawImage, type Rect } from '@oko/core'
import { toRgb } from '@oko/imaging'
import { optimizeModel } from '@oko/onnx'
import ort from 'onnxruntime-node'
import { PlateEngine, defaultModelPaths, plateClassesOf, resolveReaderOptions } from '@oko/plates'
import { drawPlate } from '@oko/samples'
import { decodeImage } from '@oko/source'
import { evaluationDataDir } from '../test/helpers/data.js'

const quick = process.argv.includes('--quick')

interface Case { name: string; image: RawImage; region?: Rect; crop?: boolean; fast?: boolean; compare?: boolean }
const cases: Case[] = [
  { name: 'drawn plate crop 159x33', image: drawPlate('AB1234CE', 159, 33, 0, 0, 3), crop: true, compare: true },
  { name: 'drawn plate, 1080p frame', image: drawPlate('AB1234CE', 1920, 1080, 880, 700, 4) },
  { name: 'drawn plate, 1080p frame, car region 640x360', image: drawPlate('AB1234CE', 1920, 1080, 880, 700, 4), region: { x: 700, y: 500, width: 640, height: 360 } },
]
const data = evaluationDataDir()
if (data) {
  const ocr = join(data, 'plates/nomeroff-ocr-crops/img/10001_2914KC7_0.png')
  if (existsSync(ocr)) cases.push({ name: 'real plate crop 146x31 (BY)', image: decodeImage(ocr), crop: true, compare: true })
  const car = join(data, 'plates/openalpr-eu/eu7.jpg') // 2048×1536, plate at 848,954 343×79
  if (existsSync(car)) {
    const frame = toRgb(decodeImage(car), { x: 64, y: 300, width: 1920, height: 1080 })
    cases.push({ name: 'real car, 1080p frame', image: frame, compare: true })
    cases.push({ name: 'real car, 1080p frame, car region 800x600', image: frame, region: { x: 500, y: 300, width: 800, height: 600 } })
    cases.push({ name: 'real car, 1080p frame, detector.maxSidePx 640', image: frame, fast: true })
  }
}

const paths = defaultModelPaths()
// oko's model as a recogniser of your own would be given (its input geometry; see training/plates/MODEL.md).
const okoOnly = { model: paths.plateRecognizer, dictionary: paths.plateDictionary, heightPx: 32, minWidthPx: 128, maxWidthPx: 128, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channelOrder: 'rgb', stretchContrast: false } as const
const paddleOnly = { recognizer: { model: paths.recognizer, dictionary: paths.dictionary, appendSpace: true }, secondRecognizer: false } as const
const engine = await PlateEngine.create(resolveReaderOptions())
const fastEngine = await PlateEngine.create(resolveReaderOptions({ detector: { maxSidePx: 640 } }))
const readers = [
  { name: "oko's recogniser alone", engine: await PlateEngine.create(resolveReaderOptions({ recognizer: okoOnly, secondRecognizer: false })) },
  { name: "PaddleOCR's recogniser alone", engine: await PlateEngine.create(resolveReaderOptions(paddleOnly)) },
]
const bench = new Bench({ time: quick ? 1000 : 4000, warmup: true, warmupIterations: 2 })
const cpuMs: Record<string, number> = {}
const found: Record<string, string> = {}
for (const c of cases) {
  for (const reader of [{ name: '', engine: c.fast ? fastEngine : engine }, ...(c.compare ? readers : [])]) await addRead(reader.name ? `${c.name}, ${reader.name}` : c.name, c, reader.engine)
}

async function addRead(name: string, c: Case, e: PlateEngine): Promise<void> {
  const plates = await e.read(c.image, { ...(c.region ? { region: c.region } : {}), ...(c.crop ? { crop: true } : {}) })
  // Format only: plate text stays out of logs.
  found[name] = plates.length > 0 ? `${plates.length} plate(s), ${plates[0]!.format}` : 'none'
  let calls = 0
  let cpu = 0
  bench.add(name, async () => {
    const before = process.cpuUsage()
    await e.read(c.image, { ...(c.region ? { region: c.region } : {}), ...(c.crop ? { crop: true } : {}) })
    const used = process.cpuUsage(before)
    cpu += (used.user + used.system) / 1000
    calls++
    cpuMs[name] = cpu / calls
  })
}
// The models alone: one session run on a fixed input, as published and rewritten (same thread settings as the engine).
const dictionary = ['', ...readFileSync(paths.dictionary, 'utf8').split(/\r?\n/).filter(Boolean), ' ']
const keep = [0, ...new Set([...plateClassesOf(dictionary)].filter((c) => c > 0))]
const sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' } as const
const sessions: ort.InferenceSession[] = []
for (const [model, dims, classes] of [['recognizer', [1, 3, 48, 224], keep], ['detector', [1, 3, 480, 768], undefined]] as const) {
  const published = readFileSync(paths[model])
  const input = new ort.Tensor('float32', new Float32Array((dims as readonly number[]).reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i * 0.37) * 0.9), [...dims])
  for (const [how, bytes] of [['as published', published], ['rewritten by oko', optimizeModel(published, classes).bytes]] as const) {
    const session = await ort.InferenceSession.create(bytes, sessionOptions)
    sessions.push(session)
    const name = `${model} ${dims[3]}x${dims[2]}, ${how}`
    found[name] = 'model alone'
    let calls = 0
    let cpu = 0
    bench.add(name, async () => {
      const before = process.cpuUsage()
      await session.run({ [session.inputNames[0]!]: input })
      const used = process.cpuUsage(before)
      cpu += (used.user + used.system) / 1000
      cpuMs[name] = cpu / ++calls
    })
  }
}
{
  const session = await ort.InferenceSession.create(readFileSync(paths.plateRecognizer), sessionOptions)
  sessions.push(session)
  const input = new ort.Tensor('float32', new Float32Array(3 * 32 * 128).map((_, i) => Math.sin(i * 0.37) * 0.9), [1, 3, 32, 128])
  const name = "oko's plate recognizer 128x32"
  found[name] = 'model alone'
  let calls = 0
  let cpu = 0
  bench.add(name, async () => {
    const before = process.cpuUsage()
    await session.run({ [session.inputNames[0]!]: input })
    const used = process.cpuUsage(before)
    cpu += (used.user + used.system) / 1000
    cpuMs[name] = cpu / ++calls
  })
}
await bench.run()
await engine.close()
await fastEngine.close()
for (const r of readers) await r.engine.close()
for (const s of sessions) await s.release()

const rows = bench.tasks.map((t) => {
  const r = t.result as { latency?: { mean?: number; p50?: number; p99?: number }; throughput?: { mean?: number } } | undefined
  return {
    case: t.name,
    found: found[t.name],
    meanMs: round(r?.latency?.mean ?? NaN),
    p50Ms: round(r?.latency?.p50 ?? NaN),
    p99Ms: round(r?.latency?.p99 ?? NaN),
    cpuMsPerRead: round(cpuMs[t.name] ?? NaN),
  }
})
console.table(rows)
const out = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'plates.json'), `${JSON.stringify({
  date: new Date().toISOString(),
  node: process.version,
  note: 'PlateEngine on one thread (ORT intraOpNumThreads=1), default options; the models alone as published and as rewritten at load. Targets: crop <= 15 ms CPU, 1080p frame with one car <= 150 ms.',
  rows,
}, null, 2)}\n`)

function round(v: number): number {
  return Math.round(v * 100) / 100
}
