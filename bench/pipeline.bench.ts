// Pipeline benchmarks: the same functions `oko bench` runs (exported by @oko/cli), plus a
// tinybench cross-check of the worker dispatch round trip. Writes bench/results/pipeline.json.
// Run: pnpm --filter @oko/pipeline build && nice node --conditions oko-source --import tsx bench/pipeline.bench.ts [--quick]
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Frame } from '@oko/core'
import { benchWorkerUrl, formatBenchReport, runBenchmarks, type BenchWorker } from '@oko/cli'
import { FramePool, InferencePool } from '@oko/pipeline'
import { Bench } from 'tinybench'

const quick = process.argv.includes('--quick')
const report = await runBenchmarks({ quick, onProgress: (done, total, note) => process.stderr.write(`\r[${done}/${total}] ${note}      `) })
process.stderr.write('\n')

// tinybench cross-check: one 720p gray frame to a worker and back.
const pool = await InferencePool.create<BenchWorker>({ worker: benchWorkerUrl(), threads: 1, init: {} })
const frames = new FramePool()
const y = new Uint8Array(1280 * 720).fill(1)
const frame: Frame = { cameraId: 'b', seq: 0, ptsUs: 0, wallMs: 0, width: 1280, height: 720, format: 'gray8', planes: [y], strides: [1280] }
const bench = new Bench({ time: quick ? 500 : 2000 })
bench
  .add('720p frame: one copy into pooled shared memory, shared with the worker, released', async () => {
    const owned = frames.own(frame)
    await pool.run({ frame: owned.message() })
    owned.release()
  })
  .add('720p frame: structured-clone copy', async () => {
    await pool.run({ pixels: y })
  })
  .add('empty job', async () => {
    await pool.run({})
  })
await bench.run()
await pool.close()
const tiny = bench.tasks.map((t) => ({ name: t.name, medianMs: t.result && 'latency' in t.result ? Number(t.result.latency.p50?.toFixed(4)) : null }))

console.log(formatBenchReport(report))
console.table(tiny)
const dir = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(dir, { recursive: true })
writeFileSync(`${dir}pipeline.json`, `${JSON.stringify({ date: new Date().toISOString(), quick, ...report, tinybench: tiny }, null, 2)}\n`)
