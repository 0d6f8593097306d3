// The tracker per frame at 10 and 100 objects (ByteTrack-style: Kalman predict, two-pass Hungarian
// IoU association), and the vehicle colour kernel (JS reference) per box, on one thread.
// Writes bench/results/tracking.json and prints a table.
// Run: nice node --conditions oko-source --import tsx bench/tracking.bench.ts [--quick]
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Detection } from '@oko/core'
import { Tracker } from '@oko/tracking'
import { Bench } from 'tinybench'
import { dominantColour } from '../test/wasm/colour-reference.js'

const quick = process.argv.includes('--quick')
const bench = new Bench({ time: quick ? 1000 : 4000, warmup: true })

/** `n` objects on a grid of a 1920×1080 frame, each moving at its own constant velocity (px/s), at 10 fps. */
function scene(n: number): (seq: number) => Detection[] {
  const cols = Math.ceil(Math.sqrt(n * 16 / 9))
  const objects = Array.from({ length: n }, (_, i) => ({ x: (i % cols) * (1920 / cols), y: Math.floor(i / cols) * (1080 / Math.ceil(n / cols)), vx: ((i * 37) % 11) - 5, vy: ((i * 53) % 7) - 3 }))
  const w = Math.min(120, 1920 / cols * 0.6), h = Math.min(80, 1080 / Math.ceil(n / cols) * 0.6)
  return (seq) => objects.map((o, i) => ({
    box: { x: o.x + o.vx * seq, y: o.y + o.vy * seq, width: w, height: h }, label: i % 5 === 0 ? 'person' : 'car', score: 0.6 + ((i * seq) % 4) / 10, seq, ptsUs: seq * 100_000,
  }))
}

for (const n of [10, 100]) {
  const at = scene(n)
  let ids = 0
  let tracker = new Tracker({}, () => `T${++ids}`)
  let seq = 0
  // 300 frames a run (30 s), then a fresh tracker: objects stay in view
  bench.add(`tracker update, ${n} objects per frame`, () => {
    if (seq === 300) { tracker = new Tracker({}, () => `T${++ids}`); seq = 0 }
    tracker.update(at(seq), { seq, ptsUs: seq * 100_000, width: 1920, height: 1080 })
    seq++
  })
}
const box = { data: new Uint8Array(240 * 160 * 3).map((_, i) => (i % 3 === 0 ? 190 : 40 + (i % 17))), width: 240, height: 160, format: 'rgb24' as const }
bench.add('vehicle colour, 240×160 box (JS reference)', () => { dominantColour(box) })

await bench.run()
const rows = bench.tasks.map((t) => {
  const r = t.result as unknown as { latency?: { mean: number; p50?: number; samples?: unknown[] }; mean?: number; p50?: number; samples?: unknown[] }
  const lat = r.latency ?? r
  return { name: t.name, meanUs: (lat.mean ?? 0) * 1000, p50Us: (lat.p50 ?? lat.mean ?? 0) * 1000, samples: Array.isArray(lat.samples) ? lat.samples.length : undefined }
})
console.table(rows.map((r) => ({ name: r.name, 'mean µs': r.meanUs.toFixed(1), 'p50 µs': r.p50Us.toFixed(1) })))
const out = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'tracking.json'), `${JSON.stringify({ bench: 'tracking', date: new Date().toISOString(), node: process.version, quick, rows }, null, 2)}\n`)
