import { performance } from 'node:perf_hooks'
import type { Frame, FrameReadOptions, FrameSource } from '@oko/core'
import { FramePool, InferencePool, Pipeline, workerStage } from '@oko/pipeline'
import type BenchWorkerModule from './worker.js'

/** The type of the benchmark worker module (for `InferencePool.create<BenchWorker>`). */
export type BenchWorker = typeof BenchWorkerModule

/** Where the built benchmark worker is (dist/, also when this module runs from src/). */
export function benchWorkerUrl(): URL {
  const here = import.meta.url
  return here.endsWith('.ts') ? new URL('../../dist/bench-worker.js', here) : new URL('./bench-worker.js', here)
}

export interface DispatchResult {
  readonly width: number
  readonly height: number
  readonly rounds: number
  /** Median round trip (main → worker → main) with the frame materialised once into shared memory (what the pipeline does), ms. */
  readonly sharedMs: number
  /** Median round trip with the frame copied (structured clone), ms. */
  readonly copyMs: number
  /** Median round trip of an empty job, ms (the floor). */
  readonly emptyMs: number
}

/**
 * Worker dispatch round trip of one frame: materialise once into pooled shared memory, hand it to
 * a worker, release it when the reply comes (what the pipeline does) vs. sending a structured-clone
 * copy. Target: ≤ 0.3 ms at 720p.
 */
export async function benchDispatch(options: { width?: number; height?: number; rounds?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<DispatchResult> {
  const width = options.width ?? 1280
  const height = options.height ?? 720
  const rounds = options.rounds ?? 400
  const pool = await InferencePool.create<BenchWorker>({ worker: benchWorkerUrl(), threads: 1, init: {}, name: 'bench' })
  try {
    const frames = new FramePool()
    const y = new Uint8Array(width * height).fill(7)
    const frame: Frame = { cameraId: 'bench', seq: 0, ptsUs: 0, wallMs: 0, width, height, format: 'gray8', planes: [y], strides: [width] }
    const total = rounds * 3
    let done = 0
    const measure = async (once: () => Promise<unknown>): Promise<number> => {
      for (let i = 0; i < 20; i++) await once()
      const times: number[] = []
      for (let i = 0; i < rounds; i++) {
        const t0 = performance.now()
        await once()
        times.push(performance.now() - t0)
        options.onProgress?.(++done, total)
      }
      return median(times)
    }
    const sharedMs = await measure(async () => {
      const owned = frames.own(frame)
      try {
        return await pool.run({ frame: owned.message() })
      } finally {
        owned.release()
      }
    })
    const copyMs = await measure(() => pool.run({ pixels: y }))
    const emptyMs = await measure(() => pool.run({}))
    return { width, height, rounds, sharedMs: round3(sharedMs), copyMs: round3(copyMs), emptyMs: round3(emptyMs) }
  } finally {
    await pool.close()
  }
}

export interface MemoryResult {
  readonly seconds: number
  readonly cameraFps: number
  readonly stageMs: number
  readonly framesIn: number
  readonly inferred: number
  readonly dropped: number
  /** framesIn === inferred + dropped: every frame is accounted for. */
  readonly accounted: boolean
  /** ArrayBuffer + heap bytes after warm-up and at the end, MiB. */
  readonly memoryMiB: { readonly afterWarmup: number; readonly peak: number; readonly end: number }
  /** Buffers the FramePool ever allocated (bounded by edge capacity + threads + 1). */
  readonly buffersAllocated: number
  readonly bounded: boolean
}

/** A live camera at `fps` that never waits for the pipeline (like RTSP). */
class PacedSource implements FrameSource {
  readonly live = true
  constructor(readonly cameraId: string, readonly width: number, readonly height: number, readonly fps: number, readonly seconds: number) {}
  async *frames(options: FrameReadOptions = {}): AsyncIterable<Frame> {
    const y = new Uint8Array(this.width * this.height)
    const total = Math.round(this.fps * this.seconds)
    const start = performance.now()
    for (let seq = 0; seq < total; seq++) {
      const due = start + (seq * 1000) / this.fps
      const wait = due - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      if (options.signal?.aborted) return
      y.fill(seq & 255)
      yield { cameraId: this.cameraId, seq, ptsUs: Math.round((seq * 1e6) / this.fps), wallMs: Date.now(), width: this.width, height: this.height, format: 'gray8', planes: [y], strides: [this.width] }
    }
  }
  async close(): Promise<void> {}
  async [Symbol.asyncDispose](): Promise<void> {}
}

/**
 * Memory stays bounded when the stages are `slowdown`× slower than the camera: a live 720p camera
 * at 25 fps into a worker stage that takes 5 frame intervals per frame. Drops are counted.
 */
export async function benchMemoryBounded(options: { seconds?: number; fps?: number; slowdown?: number; width?: number; height?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<MemoryResult> {
  const seconds = options.seconds ?? 8
  const fps = options.fps ?? 25
  const slowdown = options.slowdown ?? 5
  const width = options.width ?? 1280
  const height = options.height ?? 720
  const stageMs = (1000 / fps) * slowdown
  const pool = await InferencePool.create<BenchWorker>({ worker: benchWorkerUrl(), threads: 1, init: {}, name: 'slow-model' })
  try {
    const frames = new FramePool()
    const stage = workerStage({
      name: 'slow-model',
      pool,
      edge: { capacity: 4 },
      prepare: (envelope, tools) => ({ job: { frame: tools.own(envelope), spinMs: stageMs } }),
      finish: () => undefined,
    })
    const run = Pipeline.from(new PacedSource('cam', width, height, fps, seconds)).pipe(stage).run({ frames })
    const drain = (async () => {
      for await (const _ of run.events) void _
    })()
    const mem = () => {
      const m = process.memoryUsage()
      return (m.heapUsed + m.arrayBuffers) / 2 ** 20
    }
    let afterWarmup = 0
    let peak = 0
    const startMs = performance.now()
    const timer = setInterval(() => {
      const elapsed = (performance.now() - startMs) / 1000
      const now = mem()
      if (elapsed >= seconds / 4) {
        if (afterWarmup === 0) afterWarmup = now
        peak = Math.max(peak, now)
      }
      options.onProgress?.(Math.min(seconds, Math.round(elapsed)), seconds)
    }, 100)
    const summary = await run.completion
    await drain
    clearInterval(timer)
    const end = mem()
    const dropped = summary.droppedTotal
    const allocated = frames.stats().allocated
    return {
      seconds, cameraFps: fps, stageMs, framesIn: summary.framesIn, inferred: summary.inferred, dropped,
      accounted: summary.framesIn === summary.inferred + dropped,
      memoryMiB: { afterWarmup: round3(afterWarmup), peak: round3(peak), end: round3(end) },
      buffersAllocated: allocated,
      bounded: allocated <= 4 + 1 + 2 && peak - afterWarmup < 64,
    }
  } finally {
    await pool.close()
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? 0
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}
