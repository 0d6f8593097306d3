// The plate reader on each ONNX engine: onnxruntime-node (native, what npm installs when its
// script can reach api.nuget.org, or when told to skip it) and onnxruntime-web (WebAssembly, what
// @oko/onnx runs when npm dropped onnxruntime-node). What a user who installed offline without the
// native engine loses. One thread, in-process PlateEngine (what each PlateReader worker runs),
// default options; each engine in its own process (the engine is chosen once per process,
// OKO_ONNX_ENGINE). Wall time from tinybench plus CPU time per read, and the time to load the models.
// Uses a real car photo from the evaluation data when present (OKO_DATA), else drawn plates.
// Writes bench/results/onnx-engines.json and prints a table.
// Run: nice node --conditions oko-source --import tsx bench/onnx-engines.bench.ts [--quick]
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Bench } from 'tinybench'
import { type RawImage, type Rect } from '@oko/core'
import { toRgb } from '@oko/imaging'
import { onnxEngine, type OnnxEngine } from '@oko/onnx'
import { PlateEngine, resolveReaderOptions } from '@oko/plates'
import { drawPlate } from '@oko/samples'
import { decodeImage } from '@oko/source'
import { evaluationDataDir } from '../test/helpers/data.js'

const quick = process.argv.includes('--quick')
const engines: OnnxEngine[] = ['onnxruntime-node', 'onnxruntime-web']

interface Row { case: string; engine: OnnxEngine; found: string; meanMs: number; p50Ms: number; cpuMsPerRead: number }
interface Measured { engine: OnnxEngine; loadMs: number; rows: Row[] }

if (process.argv.includes('--child')) {
  console.log(JSON.stringify(await measure()))
} else {
  const measured = engines.map((engine) => JSON.parse(execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', ...(quick ? ['--quick'] : [])], {
    env: { ...process.env, OKO_ONNX_ENGINE: engine }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  }).trim().split('\n').at(-1)!) as Measured)
  const [native, web] = measured as [Measured, Measured]
  const rows = native.rows.map((n, i) => {
    const w = web.rows[i]!
    return { case: n.case, found: n.found === w.found ? n.found : `${n.found} / ${w.found}`, nodeMs: n.meanMs, webMs: w.meanMs, nodeCpuMs: n.cpuMsPerRead, webCpuMs: w.cpuMsPerRead, webSlowerX: round(w.meanMs / n.meanMs), webCpuX: round(w.cpuMsPerRead / n.cpuMsPerRead) }
  })
  console.table(rows)
  console.log(`models loaded in ${native.loadMs} ms (onnxruntime-node), ${web.loadMs} ms (onnxruntime-web)`)
  const out = fileURLToPath(new URL('./results/', import.meta.url))
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'onnx-engines.json'), `${JSON.stringify({
    date: new Date().toISOString(),
    node: process.version,
    quick,
    note: 'PlateEngine on one thread, default options (PaddleOCR detector and recogniser, oko recogniser second), on onnxruntime-node 1.30 and onnxruntime-web 1.30 (WASM SIMD, numThreads 1); webSlowerX = web mean / node mean (wall time), webCpuX the same in CPU time per read (the fairer one on a loaded machine).',
    loadMs: { 'onnxruntime-node': native.loadMs, 'onnxruntime-web': web.loadMs },
    rows,
  }, null, 2)}\n`)
}

async function measure(): Promise<Measured> {
  const cases: { name: string; image: RawImage; region?: Rect; crop?: boolean }[] = [
    { name: 'drawn plate crop 159x33', image: drawPlate('AB1234CE', 159, 33, 0, 0, 3), crop: true },
    { name: 'drawn plate, 1080p frame, car region 640x360', image: drawPlate('AB1234CE', 1920, 1080, 880, 700, 4), region: { x: 700, y: 500, width: 640, height: 360 } },
  ]
  const data = evaluationDataDir()
  if (data) {
    const ocr = join(data, 'plates/nomeroff-ocr-crops/img/10001_2914KC7_0.png')
    if (existsSync(ocr)) cases.push({ name: 'real plate crop 146x31 (BY)', image: decodeImage(ocr), crop: true })
    const car = join(data, 'plates/openalpr-eu/eu7.jpg') // 2048×1536, plate at 848,954 343×79
    if (existsSync(car)) {
      const frame = toRgb(decodeImage(car), { x: 64, y: 300, width: 1920, height: 1080 })
      cases.push({ name: 'real car, 1080p frame', image: frame })
      cases.push({ name: 'real car, 1080p frame, car region 800x600', image: frame, region: { x: 500, y: 300, width: 800, height: 600 } })
    }
  }
  const started = performance.now()
  const engine = await PlateEngine.create(resolveReaderOptions())
  const loadMs = round(performance.now() - started)
  // At least 8 reads (16 in a full run) and 1 s (4 s): a 1080p read on WebAssembly takes seconds.
  const bench = new Bench({ time: quick ? 1000 : 4000, iterations: quick ? 8 : 16, warmup: true, warmupIterations: 2 })
  const found: Record<string, string> = {}
  const cpuMs: Record<string, number> = {}
  for (const c of cases) {
    const options = { ...(c.region ? { region: c.region } : {}), ...(c.crop ? { crop: true } : {}) }
    const plates = await engine.read(c.image, options)
    // Format only: plate text stays out of logs.
    found[c.name] = plates.length > 0 ? `${plates.length} plate(s), ${plates[0]!.format}` : 'none'
    let cpu = 0
    let calls = 0
    bench.add(c.name, async () => {
      const before = process.cpuUsage()
      await engine.read(c.image, options)
      const used = process.cpuUsage(before)
      cpu += (used.user + used.system) / 1000
      cpuMs[c.name] = cpu / ++calls
    })
  }
  await bench.run()
  await engine.close()
  const rows = bench.tasks.map((t) => {
    const r = t.result as { latency?: { mean?: number; p50?: number } } | undefined
    return { case: t.name, engine: onnxEngine, found: found[t.name]!, meanMs: round(r?.latency?.mean ?? NaN), p50Ms: round(r?.latency?.p50 ?? NaN), cpuMsPerRead: round(cpuMs[t.name] ?? NaN) }
  })
  return { engine: onnxEngine, loadMs, rows }
}

function round(v: number): number {
  return Math.round(v * 100) / 100
}
