// CenterNet at the search sizes (160², 224²), one thread: the exact TF.js conversion as it comes
// out of convertTfjsGraph vs the same after optimizeModel (hard-swish as x·HardSigmoid(x) with its
// float16 sixth folded into the Convs that read it, which onnxruntime fuses into the Conv before
// it). The same patterned input for both.
// Writes bench/results/centernet-rewrite.json. Run: nice node --conditions oko-source --import tsx bench/centernet-rewrite.bench.ts
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { builtinTfjsFiles, convertTfjsGraph, resizeCenternet } from '@oko/objects'
import { optimizeModel, ort } from '@oko/onnx'
import { Bench } from 'tinybench'

const sizes = [160, 224]
const files = builtinTfjsFiles('centernet')
const json = JSON.parse(readFileSync(files.json, 'utf8'))
const weights = Buffer.concat(files.weights.map((f) => readFileSync(f)))
const bench = new Bench({ time: 4000, warmup: true, warmupIterations: 20 })
const fused: Record<number, number> = {}
for (const size of sizes) {
  const resized = resizeCenternet(json, weights, size)
  const plain = convertTfjsGraph(resized.json, resized.weights).bytes
  const { bytes, report } = optimizeModel(plain)
  fused[size] = report.hardSwish
  const input = new ort.Tensor('float32', new Float32Array(size * size * 3).map((_, i) => (i * 37) % 256), [1, size, size, 3])
  for (const [name, model] of [['as converted', plain], ['rewritten (optimizeModel)', bytes]] as const) {
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' })
    const feeds = { [session.inputNames[0]!]: input }
    bench.add(`centernet ${size}², ${name}`, async () => { await session.run(feeds) })
  }
}
await bench.run()
const rows = bench.tasks.map((t) => {
  const r = t.result as { latency?: { mean?: number; p50?: number; samplesCount?: number } } | undefined
  return { name: t.name, meanMs: r?.latency?.mean ?? NaN, p50Ms: r?.latency?.p50 ?? NaN, samples: r?.latency?.samplesCount ?? 0 }
})
console.table(rows.map((r) => ({ task: r.name, 'mean ms': r.meanMs.toFixed(2), 'p50 ms': r.p50Ms.toFixed(2) })))
const out = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'centernet-rewrite.json'), `${JSON.stringify({ bench: 'centernet-rewrite', date: new Date().toISOString(), node: process.version, threads: 1, hardSwishFused: fused, rows }, null, 2)}\n`)
