import { spawn } from 'node:child_process'
import { OkoError, defineStage } from '@oko/core'
import { motionStage } from '@oko/motion'
import { Pipeline } from '@oko/pipeline'
import { Source } from '@oko/source'
import { KernelModule } from '@oko/wasm'
import type { BenchClip } from './clips.js'

export interface DecodeResult {
  readonly clip: string
  readonly width: number
  readonly height: number
  readonly frames: number
  /** CPU seconds (user + system), the least of `repeats` runs each. */
  readonly ffmpegCpuS: number
  /** Source alone, frames not read (their planes are copied out of the decoder only when read). */
  readonly okoDecodeCpuS: number
  /** The pipeline with a pass-through stage: decode + what the runtime itself adds. */
  readonly okoRuntimeCpuS: number
  readonly okoPipelineCpuS: number
  /** oko pipeline with motion ÷ `ffmpeg -threads 1 -i X -f null -`. Target ≤ 1.10. */
  readonly ratio: number
  /** oko decode alone ÷ ffmpeg. */
  readonly decodeRatio: number
  /** What oko adds to its own decode: (pipeline with motion − decode alone) ÷ decode alone. */
  readonly addedShare: number
  /** Of that, the runtime alone (a pass-through stage): (runtime − decode) ÷ decode. */
  readonly runtimeShare: number
  /** Frames the motion gate passed on. */
  readonly passed: number
  /** 25 fps streams one core carries with the pipeline (motion on). */
  readonly camerasPerCore: number
}

/** CPU of `ffmpeg -threads 1 -i clip -f null -` (the child's user + system time, from the shell's `times`). */
export async function ffmpegCpuSeconds(path: string): Promise<number> {
  const script = 'ffmpeg -hide_banner -loglevel error -threads 1 -i "$1" -f null - && times'
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('sh', ['-c', script, 'sh', path], { stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (text += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.once('error', reject)
    child.once('close', (code) => (code === 0 ? resolve(text) : reject(new OkoError('ERR_UNSUPPORTED', `ffmpeg failed on ${path} (exit ${code}): ${err.trim()}`))))
  })
  // `times` prints the shell's own times, then its children's: "0m1.230000s 0m0.040000s".
  const line = out.trim().split('\n').pop() ?? ''
  const parts = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]))
  if (parts.length !== 2) throw new OkoError('ERR_DATA', `could not read the CPU time of ffmpeg from "${line}"`)
  return parts[0]! + parts[1]!
}

async function cpuOf(work: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage()
  await work()
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1e6
}

async function decodeOnly(path: string): Promise<void> {
  const source = await Source.open(path, { threads: 1 })
  try {
    for await (const _ of source.frames()) void _
  } finally {
    await source.close()
  }
}

async function pipelineNoop(path: string): Promise<void> {
  const source = await Source.open(path, { threads: 1 })
  try {
    const run = Pipeline.from(source).pipe(defineStage({ name: 'pass', process: (e) => e })).run()
    for await (const _ of run.events) void _
    await run.completion
  } finally {
    await source.close()
  }
}

async function pipelineWithMotion(path: string, module: KernelModule): Promise<number> {
  const source = await Source.open(path, { threads: 1 })
  try {
    await using motion = await motionStage({ module })
    const run = Pipeline.from(source).pipe(motion).run()
    for await (const _ of run.events) void _
    const summary = await run.completion
    return summary.outputs
  } finally {
    await source.close()
  }
}

/**
 * Decode is the floor: CPU of the pipeline with the motion stage vs. the ffmpeg command line
 * decoding the same file on one thread, measured in the same run, runs interleaved.
 */
export async function benchDecode(clip: BenchClip, options: { repeats?: number; onStep?: () => void } = {}): Promise<DecodeResult> {
  const repeats = options.repeats ?? 3
  const module = await KernelModule.load()
  let ffmpeg = Infinity
  let decode = Infinity
  let runtime = Infinity
  let pipeline = Infinity
  let passed = 0
  await pipelineWithMotion(clip.path, module) // warm-up: JIT, WASM compile, page cache
  for (let i = 0; i < repeats; i++) {
    ffmpeg = Math.min(ffmpeg, await ffmpegCpuSeconds(clip.path))
    options.onStep?.()
    decode = Math.min(decode, await cpuOf(() => decodeOnly(clip.path)))
    options.onStep?.()
    runtime = Math.min(runtime, await cpuOf(() => pipelineNoop(clip.path)))
    options.onStep?.()
    pipeline = Math.min(pipeline, await cpuOf(async () => void (passed = await pipelineWithMotion(clip.path, module))))
    options.onStep?.()
  }
  return {
    clip: clip.path, width: clip.width, height: clip.height, frames: clip.frames,
    ffmpegCpuS: round(ffmpeg), okoDecodeCpuS: round(decode), okoRuntimeCpuS: round(runtime), okoPipelineCpuS: round(pipeline),
    ratio: round(pipeline / ffmpeg), decodeRatio: round(decode / ffmpeg), passed,
    addedShare: round((pipeline - decode) / decode), runtimeShare: round((runtime - decode) / decode),
    camerasPerCore: Math.round((clip.frames / pipeline / 25) * 10) / 10,
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}
