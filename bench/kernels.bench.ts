// oko's pixel kernels: JS (the reference implementations in test/wasm/reference.ts), WASM scalar
// and WASM SIMD (tinybench), side by side with a native C baseline (gcc -O3 -march=native, built
// here) and OpenCV (Debian python3-opencv, one thread, preallocated outputs), on the same frames.
// 1080p kernels run "cold": a ring of 16 frames, frame i against i+1, as a stream arrives.
// Processing-size kernels run on 320×180 (the detector's default size for 16:9). The vehicle colour
// kernel runs per 240×160 box through ColourKernel (its sampled rows copied in, then colourVotes).
// Run: nice node --conditions oko-source --import tsx bench/kernels.bench.ts [--quick] [--only <kernel name part>]
// (--only: those kernels alone, no C/OpenCV peers, printed and not written to bench/results)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ColourKernel } from '@oko/objects'
import { KernelModule, type KernelInstance } from '@oko/wasm'
import { Bench } from 'tinybench'
import { dominantColour as colourRef } from '../test/wasm/colour-reference.js'
import * as ref from '../test/wasm/reference.js'
import { buildNative, jsonLines, machine, openCvAvailable, printTable, python, benchDir, syntheticFrames, writeResult } from './motion-peers.js'

const quick = process.argv.includes('--quick')
const onlyAt = process.argv.indexOf('--only')
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined
const W = 1920
const H = 1080
const RING = 16
const PW = 320
const PH = 180
const frameBytes = W * H
const ps = PW * PH
const frames = syntheticFrames(W, H, RING)
const tmp = mkdtempSync(join(tmpdir(), 'oko-kernels-bench-'))
const rawPath = join(tmp, 'frames.raw')
writeFileSync(rawPath, frames)

interface Impl { build: 'simd' | 'scalar'; k: KernelInstance; ring: number; small: number; out: number; tmp: number; mask: number; bg: number; dev: number; thr: number; labels: number; parent: number; regions: number; cap: number; scratch: number; stats: number }

async function wasm(build: 'simd' | 'scalar'): Promise<Impl> {
  const module = await KernelModule.load({ build })
  const k = module.instantiate(frameBytes * RING + ps * 40 + W * 4 + 65536)
  const K = k.kernels
  const cap = K.regionLabelCapacity(PW, PH)
  const impl: Impl = {
    build, k, ring: k.reserve(frameBytes * RING), small: k.reserve(ps), out: k.reserve(ps), tmp: k.reserve(ps), mask: k.reserve(ps),
    bg: k.reserve(2 * ps), dev: k.reserve(2 * ps), thr: k.reserve(ps), labels: k.reserve(4 * ps), parent: k.reserve(4 * cap),
    regions: k.reserve(20 * cap), cap, scratch: k.reserve(K.downscaleScratchBytes(W, PW)), stats: k.reserve(64),
  }
  k.view(impl.ring, frameBytes * RING).set(frames)
  K.downscaleArea(impl.ring, W, W, H, impl.small, PW, PH, impl.scratch)
  K.threshold(impl.small, impl.mask, ps, 128)
  K.bgReset(impl.small, impl.bg, ps)
  K.fillU16(impl.dev, ps, 512)
  k.view(impl.thr, ps).fill(20)
  return impl
}

const simd = await wasm('simd')
const scalar = await wasm('scalar')
// JS inputs: the same pictures
const jsFrames = Array.from({ length: RING }, (_, i) => frames.subarray(i * frameBytes, (i + 1) * frameBytes))
const small = Uint8Array.from(simd.k.view(simd.small, ps))
const mask = Uint8Array.from(simd.k.view(simd.mask, ps))
const jsOut = new Uint8Array(frameBytes)
const jsBg = Uint16Array.from(small, (v) => v << 8)
const jsDev = new Uint16Array(ps).fill(512)
const jsThr = new Uint8Array(ps).fill(20)
const jsFg = new Uint8Array(ps)

// a 240×160 vehicle box: a red body with sensor noise, dark windows, grey road around it
const BW = 240, BH = 160
const box = { data: new Uint8Array(BW * BH * 3), width: BW, height: BH, format: 'rgb24' as const }
for (let y = 0, s = 7; y < BH; y++) {
  for (let x = 0; x < BW; x++) {
    const body = y > BH * 0.3 && y < BH * 0.85 && x > 10 && x < BW - 10, glass = y > BH * 0.1 && y <= BH * 0.3 && x > BW * 0.2 && x < BW * 0.8
    const c = body ? [190, 30, 35] : glass ? [25, 28, 32] : [95, 98, 104]
    for (let k = 0; k < 3; k++) box.data[(y * BW + x) * 3 + k] = Math.min(255, c[k]! + ((s = (s * 1664525 + 1013904223) >>> 0) >>> 27))
  }
}
const colourSimd = ColourKernel.create(await KernelModule.load({ build: 'simd' }))
const colourScalar = ColourKernel.create(await KernelModule.load({ build: 'scalar' }))

/** name → implementation → function of the frame index i */
type Kernel = Partial<Record<'js' | 'scalar' | 'simd', (i: number) => unknown>>
const wasmBoth = (f: (m: Impl, i: number) => unknown): Kernel => ({ scalar: (i) => f(scalar, i), simd: (i) => f(simd, i) })
const A = (m: Impl, i: number) => m.ring + (i % RING) * frameBytes
const B = (m: Impl, i: number) => m.ring + ((i + 1) % RING) * frameBytes
const kernels: Record<string, Kernel> = {
  'absDiffThresholdCount 1080p': {
    js: (i) => {
      const a = jsFrames[i % RING]!
      const b = jsFrames[(i + 1) % RING]!
      let c = 0
      for (let p = 0; p < frameBytes; p++) { const d = a[p]! - b[p]!; c += (25 - ((d ^ (d >> 31)) - (d >> 31))) >>> 31 }
      return c
    },
    ...wasmBoth((m, i) => m.k.kernels.absDiffThresholdCount(A(m, i), B(m, i), frameBytes, 25)),
  },
  'absDiffCount 1080p (writes |a−b|)': {
    js: (i) => ref.absDiffCountRef(jsFrames[i % RING]!, jsFrames[(i + 1) % RING]!, jsOut, 25),
    ...wasmBoth((m, i) => m.k.kernels.absDiffCount(A(m, i), B(m, i), m.ring + ((i + 2) % RING) * frameBytes, frameBytes, 25)),
  },
  'downscaleArea 1080p->processing': {
    js: (i) => ref.downscaleAreaRef(jsFrames[i % RING]!, W, W, H, PW, PH),
    ...wasmBoth((m, i) => m.k.kernels.downscaleArea(A(m, i), W, W, H, m.out, PW, PH, m.scratch)),
  },
  'blur3 processing': { js: () => ref.filter3Ref(ref.blurOp, small, PW, PH), ...wasmBoth((m) => m.k.kernels.blur3(m.small, m.out, PW, PH)) },
  'erode3 processing': { js: () => ref.filter3Ref(ref.erodeOp, small, PW, PH), ...wasmBoth((m) => m.k.kernels.erode3(m.small, m.out, PW, PH)) },
  'dilate3 processing': { js: () => ref.filter3Ref(ref.dilateOp, small, PW, PH), ...wasmBoth((m) => m.k.kernels.dilate3(m.small, m.out, PW, PH)) },
  'threshold processing': { js: () => ref.thresholdRef(small, jsFg, 128), ...wasmBoth((m) => m.k.kernels.threshold(m.small, m.out, ps, 128)) },
  'bgSubtract processing': {
    js: () => ref.bgSubtractRef(small, jsBg, jsDev, jsThr, jsFg, 0, 14),
    ...wasmBoth((m) => m.k.kernels.bgSubtract(m.small, m.bg, m.dev, m.thr, m.out, ps, 0, 14)),
  },
  'bgUpdate processing': {
    js: () => ref.bgUpdateRef(small, jsBg, jsDev, mask, 82, 8, 164, 0),
    ...wasmBoth((m) => m.k.kernels.bgUpdate(m.small, m.bg, m.dev, m.mask, ps, 82, 8, 164, 0)),
  },
  'labelRegions processing': {
    js: () => ref.labelRegionsRef(mask, PW, PH),
    ...wasmBoth((m) => m.k.kernels.labelRegions(m.mask, PW, PH, m.labels, m.parent, m.cap, m.regions, m.cap)),
  },
  'sumStats processing': { js: () => ref.sumStatsRef(small), ...wasmBoth((m) => m.k.kernels.sumStats(m.small, ps, m.stats)) },
  'gradientSum processing': { js: () => ref.gradientSumRef(small, PW, PH), ...wasmBoth((m) => m.k.kernels.gradientSum(m.small, PW, PH)) },
  'colourVotes 240×160 box': { js: () => colourRef(box), scalar: () => colourScalar.dominantColour(box), simd: () => colourSimd.dominantColour(box) },
}
if (only) for (const name of Object.keys(kernels)) if (!name.includes(only)) delete kernels[name]

// tinybench: each task runs its kernel `batch` times per sample so timer overhead stays small
const bench = new Bench({ time: quick ? 150 : 600, warmupTime: quick ? 50 : 200 })
const batchOf = (name: string, impl: string) => (impl === 'js' ? 1 : name.includes('1080p') ? 4 : 32)
for (const [name, impls] of Object.entries(kernels)) {
  for (const [impl, fn] of Object.entries(impls)) {
    let i = 0
    const batch = batchOf(name, impl)
    bench.add(`${name} | ${impl}`, () => {
      for (let r = 0; r < batch; r++) fn(i++)
    })
  }
}
console.error(`running ${bench.tasks.length} tinybench tasks…`)
await bench.run()
const wasmNs: Record<string, Record<string, number>> = {}
for (const t of bench.tasks) {
  const [name, impl] = t.name.split(' | ') as [string, string]
  const ms = t.result && 'latency' in t.result ? t.result.latency.p50 : undefined
  if (ms === undefined) continue
  ;(wasmNs[name] ??= {})[impl] = (ms * 1e6) / batchOf(name, impl)
}

// native C: -march=native (AVX2 here), and the same without AVX (128-bit vectors, as WASM SIMD)
const cNs: Record<string, number> = {}
const c128Ns: Record<string, number> = {}
let compiler: string | undefined
for (const [width128, into] of only ? [] : [[false, cNs], [true, c128Ns]] as const) {
  const native = buildNative(tmp, width128)
  if (!('binary' in native)) { console.error(`native C baseline skipped: ${native.why}`); continue }
  compiler = native.compiler
  for (const line of jsonLines(native.binary, [rawPath, String(W), String(H), String(RING), String(PW), String(PH), quick ? '150' : '500'])) {
    into[String(line.name)] = Number(line.nsPerOp)
  }
}

// OpenCV
const cv = only ? { ok: false as const, why: '--only' } : openCvAvailable()
const cvNs: Record<string, number> = {}
let opencv: string | undefined
if (cv.ok) {
  for (const line of jsonLines(python, [join(benchDir, 'peers', 'opencv_kernels.py'), rawPath, String(W), String(H), String(RING), String(PW), String(PH), quick ? '300' : '1200'])) {
    if (line.name === 'opencv') opencv = String(line.version)
    else cvNs[String(line.name)] = Number(line.nsPerOp)
  }
} else console.error(`OpenCV peer skipped: ${cv.why}`)
rmSync(tmp, { recursive: true, force: true })

const cName = (name: string) => (name.startsWith('absDiffThresholdCount') ? `${name} avx2` : name)
const rows = Object.keys(kernels).map((name) => {
  const n = wasmNs[name] ?? {}
  const c = cNs[cName(name)]
  const sse = name.startsWith('absDiffThresholdCount') ? c128Ns[`${name} sse2`] : c128Ns[name]
  const cv2 = cvNs[name]
  return {
    kernel: name,
    jsUs: n.js && n.js / 1000,
    scalarUs: n.scalar && n.scalar / 1000,
    simdUs: n.simd && n.simd / 1000,
    cUs: c && c / 1000,
    c128Us: sse && sse / 1000,
    opencvUs: cv2 && cv2 / 1000,
    simdVsC: c && n.simd ? c / n.simd : undefined,
    simdVsOpenCv: cv2 && n.simd ? cv2 / n.simd : undefined,
  }
})
console.log(`\nkernels, µs per call (median); 1080p = 1920×1080 cold ring of ${RING}; processing = ${PW}×${PH}`)
printTable(['kernel', 'JS', 'WASM scalar', 'WASM SIMD', 'C native (AVX2)', 'C 128-bit', 'OpenCV', 'SIMD vs C', 'SIMD vs OpenCV'],
  rows.map((r) => [r.kernel, r.jsUs, r.scalarUs, r.simdUs, r.cUs, r.c128Us, r.opencvUs, r.simdVsC && `${r.simdVsC.toFixed(2)}×`, r.simdVsOpenCv && `${r.simdVsOpenCv.toFixed(2)}×`]))
console.log('SIMD vs C / OpenCV: their time ÷ WASM SIMD time (> 1: WASM is faster). Target: ≥ 0.8× C (-O3 -march=native).')
console.log('C 128-bit: the same C with -mno-avx -mno-avx2 (SSE4.2: the vector width WASM SIMD has).')
if (only) console.log(JSON.stringify({ date: new Date().toISOString(), quick, machine: machine(), rows }, null, 2))
else {
  const file = writeResult('kernels', { date: new Date().toISOString(), quick, machine: machine(), compiler, opencv, openCvSkipped: cv.ok ? undefined : cv.why, rows })
  console.log(`wrote ${file}`)
}
