import { performance } from 'node:perf_hooks'
import type { FrameSource } from '@oko/core'
import { motionStage } from '@oko/motion'
import { Pipeline } from '@oko/pipeline'
import { Source } from '@oko/source'
import { KernelModule } from '@oko/wasm'
import type { BenchClip } from './clips.js'

export interface CamerasResult {
  readonly width: number
  readonly height: number
  readonly cameras: number
  readonly seconds: number
  /** CPU seconds per wall second the process used (cores busy). */
  readonly coresUsed: number
  /** Least frames any camera got, as a fraction of 25 fps × seconds. */
  readonly worstCameraRate: number
  /** Every camera kept at least 95% of its frame rate. */
  readonly keptUp: boolean
  /** cameras ÷ cores used: measured, with N real-time cameras in one process. */
  readonly camerasPerCore: number
}

/**
 * N cameras in one process, for real: the clip looped in real time (25 fps) per camera, decoded
 * on libuv's pool (asyncDecode), motion on every camera. Measures the cores the process uses.
 */
export async function benchCameras(clip: BenchClip, options: { cameras: number; seconds?: number }): Promise<CamerasResult> {
  const seconds = options.seconds ?? 8
  const module = await KernelModule.load()
  const sources: FrameSource[] = []
  try {
    for (let i = 0; i < options.cameras; i++) {
      sources.push(await Source.open(clip.path, { id: `cam-${i + 1}`, realtime: true, loop: true, asyncDecode: true, threads: 1 }))
    }
    const controller = new AbortController()
    const run = Pipeline.from(sources).pipe(() => motionStage({ module })).run({ signal: controller.signal, events: { overflow: 'drop-oldest' } })
    const drain = (async () => {
      for await (const _ of run.events) void _
    })()
    // Skip the first second (opening, JIT), then measure.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const before = run.stats()
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
    const cpu = process.cpuUsage(cpu0)
    const wallS = (performance.now() - t0) / 1000
    const after = run.stats()
    controller.abort()
    await run.completion
    await drain
    const expected = clip.fps * wallS
    const rates = sources.map((s) => ((after.cameras[s.cameraId]?.framesIn ?? 0) - (before.cameras[s.cameraId]?.framesIn ?? 0)) / expected)
    const coresUsed = (cpu.user + cpu.system) / 1e6 / wallS
    const worst = Math.min(...rates)
    return {
      width: clip.width, height: clip.height, cameras: options.cameras, seconds,
      coresUsed: Math.round(coresUsed * 100) / 100,
      worstCameraRate: Math.round(worst * 1000) / 1000,
      keptUp: worst >= 0.95,
      camerasPerCore: Math.round((options.cameras / coresUsed) * 10) / 10,
    }
  } finally {
    await Promise.allSettled(sources.map((s) => s.close()))
  }
}
