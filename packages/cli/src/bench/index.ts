import { cpus } from 'node:os'
import { benchClip } from './clips.js'
import { benchCameras, type CamerasResult } from './cameras.js'
import { benchDecode, type DecodeResult } from './decode.js'
import { benchDispatch, benchMemoryBounded, type DispatchResult, type MemoryResult } from './pipeline.js'

export { benchClip, type BenchClip } from './clips.js'
export { benchDecode, ffmpegCpuSeconds, type DecodeResult } from './decode.js'
export { benchCameras, type CamerasResult } from './cameras.js'
export { benchDispatch, benchMemoryBounded, benchWorkerUrl, type BenchWorker, type DispatchResult, type MemoryResult } from './pipeline.js'

export type BenchName = 'decode' | 'cameras' | 'dispatch' | 'memory'
export const BENCH_NAMES: readonly BenchName[] = ['decode', 'cameras', 'dispatch', 'memory']

export interface BenchTarget {
  readonly name: string
  readonly value: number
  readonly target: string
  readonly pass: boolean
}

export interface BenchReport {
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly platform: string }
  readonly decode: readonly DecodeResult[]
  /** Real-time multi-camera runs (720p), one process. */
  readonly cameras: readonly CamerasResult[]
  readonly dispatch?: DispatchResult
  readonly memory?: MemoryResult
  readonly targets: readonly BenchTarget[]
}

export interface BenchOptions {
  readonly only?: readonly BenchName[]
  /** Shorter clips, one repeat: a first look in about a minute. */
  readonly quick?: boolean
  readonly heights?: readonly (1080 | 720 | 360)[]
  readonly onProgress?: (done: number, total: number, note: string) => void
}

/**
 * The integrator benchmarks: pipeline-with-motion CPU vs. ffmpeg decode, cameras per core at
 * 25 fps (1080p, 720p, 360p), worker dispatch of a 720p frame (transfer vs. copy), and memory
 * when stages are 5× slower than the camera. Shared by `oko bench` and bench/pipeline.bench.ts.
 */
export async function runBenchmarks(options: BenchOptions = {}): Promise<BenchReport> {
  const only = new Set(options.only ?? BENCH_NAMES)
  const heights = options.heights ?? [1080, 720, 360]
  const repeats = options.quick ? 1 : 3
  const decodeSteps = only.has('decode') ? heights.length * (1 + repeats * 4) : 0
  const cameraCounts = options.quick ? [4] : [4, 8]
  const total = decodeSteps + (only.has('cameras') ? cameraCounts.length : 0) + (only.has('dispatch') ? 1 : 0) + (only.has('memory') ? 1 : 0)
  let done = 0
  const step = (note: string) => options.onProgress?.(++done, total, note)
  const decode: DecodeResult[] = []
  if (only.has('decode')) {
    for (const height of heights) {
      const frames = options.quick ? 100 : height === 1080 ? 250 : 500
      const clip = await benchClip(height, frames)
      step(`clip ${height}p ready`)
      decode.push(await benchDecode(clip, { repeats, onStep: () => step(`decode ${height}p`) }))
    }
  }
  const cameras: CamerasResult[] = []
  if (only.has('cameras')) {
    const clip = await benchClip(720, 100)
    for (const n of cameraCounts) {
      cameras.push(await benchCameras(clip, { cameras: n, seconds: options.quick ? 4 : 8 }))
      step(`${n} cameras`)
    }
  }
  const dispatch = only.has('dispatch') ? await benchDispatch({ rounds: options.quick ? 200 : 1000 }) : undefined
  if (dispatch) step('dispatch')
  const memory = only.has('memory') ? await benchMemoryBounded({ seconds: options.quick ? 4 : 10 }) : undefined
  if (memory) step('memory')
  const targets: BenchTarget[] = []
  for (const d of decode) {
    if (d.height >= 720) targets.push({ name: `${d.height}p pipeline+motion CPU ÷ ffmpeg decode`, value: d.ratio, target: '≤ 1.10', pass: d.ratio <= 1.1 })
    else targets.push({ name: `${d.height}p what oko adds (motion + runtime) ÷ its own decode`, value: d.addedShare, target: '≤ 0.10', pass: d.addedShare <= 0.1 })
  }
  if (dispatch) targets.push({ name: '720p frame dispatch round trip (shared memory), ms', value: dispatch.sharedMs, target: '≤ 0.3', pass: dispatch.sharedMs <= 0.3 })
  if (memory) targets.push({ name: 'memory bounded, stages 5× slower than camera (drops counted)', value: memory.dropped, target: 'bounded, all frames accounted', pass: memory.bounded && memory.accounted })
  const cpu = cpus()
  return {
    machine: { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, node: process.version, platform: `${process.platform}-${process.arch}` },
    decode, cameras, ...(dispatch ? { dispatch } : {}), ...(memory ? { memory } : {}), targets,
  }
}

/** The report as a text table. */
export function formatBenchReport(r: BenchReport): string {
  const lines: string[] = [`machine: ${r.machine.cpu}, ${r.machine.cores} cores, node ${r.machine.node}`, '']
  if (r.decode.length > 0) {
    lines.push(table(
      ['stream', 'frames', 'ffmpeg CPU s', 'oko decode s', 'oko runtime s', 'oko+motion s', 'ratio', 'oko adds', 'passed gate', 'cameras/core @25fps'],
      r.decode.map((d) => [`${d.width}x${d.height}`, d.frames, d.ffmpegCpuS, d.okoDecodeCpuS, d.okoRuntimeCpuS, d.okoPipelineCpuS, d.ratio, `${Math.round(d.addedShare * 100)}%`, d.passed, d.camerasPerCore]),
    ), '')
  }
  if (r.cameras.length > 0) {
    lines.push(table(
      ['real-time cameras (25 fps, motion, one process)', 'cores used', 'worst camera fps share', 'kept up', 'cameras/core'],
      r.cameras.map((c) => [`${c.cameras} × ${c.width}x${c.height}`, c.coresUsed, c.worstCameraRate, c.keptUp ? 'yes' : 'no', c.camerasPerCore]),
    ), '')
  }
  if (r.dispatch) {
    const d = r.dispatch
    lines.push(`dispatch ${d.width}x${d.height} gray frame, median of ${d.rounds}: shared ${d.sharedMs} ms, copy ${d.copyMs} ms, empty job ${d.emptyMs} ms`, '')
  }
  if (r.memory) {
    const m = r.memory
    lines.push(`memory, camera ${m.cameraFps} fps, stage ${m.stageMs} ms/frame for ${m.seconds} s: ${m.framesIn} in, ${m.inferred} inferred, ${m.dropped} dropped (accounted: ${m.accounted}); heap+buffers MiB after warm-up ${m.memoryMiB.afterWarmup}, peak ${m.memoryMiB.peak}, end ${m.memoryMiB.end}; frame buffers allocated ${m.buffersAllocated}`, '')
  }
  if (r.targets.length > 0) lines.push(table(['target', 'value', 'goal', 'ok'], r.targets.map((t) => [t.name, t.value, t.target, t.pass ? 'yes' : 'NO'])))
  return `${lines.join('\n')}\n`
}

function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [head, ...rows.map((r) => r.map(String))]
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const fmt = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(fmt)].join('\n')
}
