// The whole motion detector per frame (copy of the luma plane into WASM memory included) at
// 1080p, 720p and 360p input, tinybench, side by side with a Frigate-style OpenCV detector
// (bench/peers/opencv_motion.py, Debian python3-opencv, one thread) on the same frames.
// Frames: a ring of 16 rendered street frames (@oko/samples) with a walker and a car.
// Run: nice node --conditions oko-source --import tsx bench/motion.bench.ts [--quick]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MotionDetector, type MotionOptions } from '@oko/motion'
import { SceneRenderer, streetScene } from '@oko/samples'
import { KernelModule } from '@oko/wasm'
import { Bench } from 'tinybench'
import { benchDir, jsonLines, machine, openCvAvailable, printTable, python, writeResult } from './motion-peers.js'

const quick = process.argv.includes('--quick')
const RING = 16
const sizes = [[1920, 1080], [1280, 720], [640, 360]] as const
const tmp = mkdtempSync(join(tmpdir(), 'oko-motion-bench-'))
const cv = openCvAvailable()
if (!cv.ok) console.error(`OpenCV peer skipped: ${cv.why}`)

interface Row { input: string; variant: string; usPerFrame: number; fps: number }
const rows: Row[] = []
const peers: Row[] = []
let opencv: string | undefined
const modules = { simd: await KernelModule.load({ build: 'simd' }), scalar: await KernelModule.load({ build: 'scalar' }) }

for (const [W, H] of sizes) {
  const input = `${W}×${H}`
  const scene = streetScene({ width: W, height: H, fps: 25 })
  const renderer = new SceneRenderer(scene)
  // frames 100–115: walker and car both in view
  const ring = new Uint8Array(W * H * RING)
  for (let i = 0; i < RING; i++) renderer.renderLuma(100 + i, ring.subarray(i * W * H, (i + 1) * W * H))
  const frames = Array.from({ length: RING }, (_, i) => ring.subarray(i * W * H, (i + 1) * W * H))

  const variants: [string, MotionOptions][] = [
    ['oko SIMD (defaults, health checks on)', { module: modules.simd }],
    ['oko SIMD (health checks off)', { module: modules.simd, tamper: false }],
    ['oko scalar build (defaults)', { module: modules.scalar }],
  ]
  const bench = new Bench({ time: quick ? 300 : 1500, warmupTime: quick ? 100 : 300 })
  for (const [name, options] of variants) {
    const detector = await MotionDetector.create(options)
    let i = 0
    let moving = 0
    // learn the background first, so the timed frames do the steady-state work
    for (let k = 0; k < 60; k++) detector.detect({ data: frames[k % RING]!, width: W, height: H, stride: W }, { seq: k, ptsUs: k * 40_000 })
    bench.add(name, () => {
      const r = detector.detect({ data: frames[i % RING]!, width: W, height: H, stride: W }, { seq: 60 + i, ptsUs: (60 + i) * 40_000 })
      if (r.regions.length > 0) moving++
      i++
    }, { afterAll: () => { if (moving === 0) throw new Error(`${name} at ${input}: no regions found, the bench is not measuring the real work`) } })
  }
  console.error(`${input}: running…`)
  await bench.run()
  for (const t of bench.tasks) {
    const ms = t.result && 'latency' in t.result ? t.result.latency.p50 : undefined
    if (ms !== undefined) rows.push({ input, variant: t.name, usPerFrame: ms * 1000, fps: 1000 / ms })
  }

  if (cv.ok) {
    const raw = join(tmp, `frames-${W}.raw`)
    writeFileSync(raw, ring)
    for (const line of jsonLines(python, [join(benchDir, 'peers', 'opencv_motion.py'), raw, String(W), String(H), String(RING), quick ? '600' : '3000'])) {
      if (line.name === 'opencv') { opencv = String(line.version); continue }
      const ns = Number(line.nsPerFrame)
      peers.push({ input, variant: `OpenCV ${String(line.name)}`, usPerFrame: ns / 1000, fps: 1e9 / ns })
    }
  }
}
rmSync(tmp, { recursive: true, force: true })

const all = [...rows, ...peers]
const ref = (input: string) => peers.find((p) => p.input === input && p.variant.includes('INTER_LINEAR'))
console.log('\nmotion detector per frame, median (copy into WASM memory included; processing height 180)')
printTable(['input', 'detector', 'µs/frame', 'fps', 'vs Frigate-style'], all.map((r) => {
  const peer = ref(r.input)
  return [r.input, r.variant, r.usPerFrame, r.fps, peer ? `${(r.fps / peer.fps).toFixed(2)}×` : undefined]
}))
console.log('vs Frigate-style: fps ÷ fps of the OpenCV Frigate-style detector (INTER_LINEAR + contrast) at that input. Target at 1080p: ≥ 2×.')
const file = writeResult('motion', { date: new Date().toISOString(), quick, machine: machine(), opencv, openCvSkipped: cv.ok ? undefined : cv.why, rows: all })
console.log(`wrote ${file}`)
