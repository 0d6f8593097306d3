// Cameras per box: N live 640×360 sub-streams at 10 fps in one process with motion → objects
// (the default detector, 5 runs/s per camera, on as many threads as the box has cores) → tracking,
// for N = 1, 2, 3, … until frames drop. Each camera is the real yard clip (OKO_DATA/video/
// ru-yard-cam-1.ts, a car passing, scaled to 640×360 and 10 fps by the ffmpeg command line into the
// temp folder), looped in real time as a live camera (drops under pressure, every drop counted).
// Every frame is accounted: decoded = entered the pipeline (+ dropped by the source), and entered
// = passed every stage + stopped by the motion gate + dropped (counted per edge and reason).
// Writes bench/results/cameras-box.json. Build first (`pnpm build`), then:
//   nice pnpm --filter @oko/bench cameras-box [--seconds 12] [--max 12] [--input-size 320] [--out name.json]
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FrameSource } from '@oko/core'
import { motionStage } from '@oko/motion'
import { ObjectDetectorPool, objectStage } from '@oko/objects'
import { Pipeline, type RunSummary } from '@oko/pipeline'
import { Source, setFfmpegLogLevel } from '@oko/source'
import { trackingStage } from '@oko/tracking'
import { KernelModule } from '@oko/wasm'

const here = fileURLToPath(new URL('.', import.meta.url))
const data = process.env.OKO_DATA ?? join(here, '../../shared/data')
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const seconds = arg('seconds', 12)
const maxCameras = arg('max', 12)
const detectorFps = arg('detector-fps', 5)
// CenterNet's input (512 as published; 320 costs ~0.4× a run)
const inputSize = arg('input-size', 512)
const fps = 10
const cores = cpus().length
const source = join(data, 'video', 'ru-yard-cam-1.ts')
if (!existsSync(source)) throw new Error(`${source} not found (set OKO_DATA to the shared data folder)`)
setFfmpegLogLevel('error')

// the sub-stream: the real clip at 640×360, 10 fps, H.264 like a camera's second stream
const dir = join(tmpdir(), 'oko-bench')
mkdirSync(dir, { recursive: true })
const clip = join(dir, 'yard-640x360-10fps.mp4')
if (!existsSync(clip)) {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', source, '-vf', 'scale=640:360', '-r', String(fps), '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', String(fps * 2), '-an', clip])
  if (r.status !== 0) throw new Error(`ffmpeg could not make ${clip}: ${r.stderr?.toString()}`)
}

interface Row {
  cameras: number
  seconds: number
  /** CPU seconds per wall second of the process (all threads). */
  coresUsed: number
  framesDecoded: number
  framesIn: number
  passed: number
  gated: number
  /** Dropped under load (edges' overflow, the source's stale frames), not counting those the stop dropped. */
  dropped: number
  /** Frames decoded but not yet handed on when the run was stopped (≤ 1 per camera). */
  stoppedInHand: number
  droppedBy: Record<string, Record<string, number>>
  /** Jobs the detector ran. */
  detections: number
  /** Least frames any camera delivered, as a share of 10 fps × the wall time. */
  worstCameraRate: number
  /** framesIn === passed + gated + dropped, and each camera's decoded frames all entered. */
  accounted: boolean
  keptUp: boolean
}

function sourceDrops(src: FrameSource): number {
  const st = src.stats?.() as { framesDroppedByRate?: number; framesDroppedStale?: number } | undefined
  return (st?.framesDroppedByRate ?? 0) + (st?.framesDroppedStale ?? 0)
}

/**
 * CPU seconds one camera costs per second of its video, measured on the clip as a file (every
 * frame processed, none dropped): what the box's cores can carry whatever else runs on it.
 */
async function cpuPerCameraSecond(): Promise<{ cpuS: number; videoS: number; perSecond: number; frames: number; detections: number }> {
  await using file = await Source.open(clip, { id: 'cpu', threads: 1 })
  await using objects = await objectStage({ detector, fps: detectorFps })
  const cpu0 = process.cpuUsage()
  const run = Pipeline.from(file).pipe(() => motionStage({ module })).pipe(objects).pipe(() => trackingStage({ highScore: 0.4, newTrackScore: 0.45 })).run()
  for await (const _ of run.events) void _
  const s = await run.completion
  const cpu = process.cpuUsage(cpu0)
  const cpuS = (cpu.user + cpu.system) / 1e6
  const videoS = s.framesIn / fps
  return { cpuS: Math.round(cpuS * 1000) / 1000, videoS, perSecond: Math.round((cpuS / videoS) * 1000) / 1000, frames: s.framesIn, detections: s.stages.objects?.items ?? 0 }
}

/** A file played in real time, as the pipeline treats a camera: it never waits for the stages (their edges drop the oldest frame, counted). */
function asLive(file: FrameSource): FrameSource {
  return {
    cameraId: file.cameraId,
    live: true,
    frames: (options) => file.frames(options),
    stats: () => file.stats!(),
    close: () => file.close(),
    [Symbol.asyncDispose]: () => file.close(),
  }
}

const module = await KernelModule.load()
const detector = await ObjectDetectorPool.create({ threads: cores, inputSize })

async function runCameras(n: number): Promise<Row> {
  const sources: FrameSource[] = []
  try {
    for (let i = 0; i < n; i++) sources.push(asLive(await Source.open(clip, { id: `cam-${i + 1}`, realtime: true, loop: true, threads: 1 })))
    await using objects = await objectStage({ detector, fps: detectorFps })
    const stop = new AbortController()
    const run = Pipeline.from(sources)
      .pipe(() => motionStage({ module }))
      .pipe(objects)
      .pipe(() => trackingStage({ highScore: 0.4, newTrackScore: 0.45 }))
      .run({ signal: stop.signal, events: { overflow: 'drop-oldest' } })
    const drain = (async () => {
      for await (const _ of run.events) void _
    })()
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
    const cpu = process.cpuUsage(cpu0)
    const wallS = (performance.now() - t0) / 1000
    stop.abort()
    const s: RunSummary = await run.completion
    await drain
    const decoded = sources.map((src) => src.stats?.().framesDecoded ?? 0)
    const rates = sources.map((src) => (s.cameras[src.cameraId]?.framesIn ?? 0) / (fps * wallS))
    const droppedBy = Object.fromEntries(Object.entries(s.dropped).map(([edge, c]) => [edge, { ...c } as Record<string, number>]))
    const worst = Math.min(...rates)
    // decoded = entered + dropped by the source + at most the one frame in hand when the run stopped
    const notEntered = sources.map((src, i) => decoded[i]! - (s.cameras[src.cameraId]?.framesIn ?? 0) - sourceDrops(src))
    const accounted = s.framesIn === s.outputs + s.gated + s.droppedTotal + s.errors && notEntered.every((k) => k === 0 || k === 1)
    // the frames still queued when the run was stopped are dropped as `aborted`: the stop, not the load
    const dropped = s.droppedTotal - Object.values(s.dropped).reduce((a, c) => a + ((c as Record<string, number>).aborted ?? 0), 0) + sources.reduce((a, src) => a + sourceDrops(src), 0)
    return {
      cameras: n, seconds: Math.round(wallS * 10) / 10,
      coresUsed: Math.round(((cpu.user + cpu.system) / 1e6 / wallS) * 100) / 100,
      framesDecoded: decoded.reduce((a, b) => a + b, 0), framesIn: s.framesIn, passed: s.outputs, gated: s.gated, dropped, droppedBy,
      stoppedInHand: notEntered.reduce((a, b) => a + b, 0),
      detections: s.stages.objects?.items ?? 0,
      worstCameraRate: Math.round(worst * 1000) / 1000,
      accounted, keptUp: worst >= 0.95 && dropped === 0,
    }
  } finally {
    await Promise.allSettled(sources.map((src) => src.close()))
  }
}

const rows: Row[] = []
const load: number[] = [loadavg()[0]!]
let cpu: Awaited<ReturnType<typeof cpuPerCameraSecond>>
try {
  await cpuPerCameraSecond() // warm-up
  cpu = await cpuPerCameraSecond()
  console.log(`one camera as a file: ${cpu.cpuS} s CPU for ${cpu.videoS} s of video (${cpu.frames} frames, ${cpu.detections} detector runs): ${cpu.perSecond} cores per camera`)
  for (let n = 1; n <= maxCameras; n++) {
    const row = await runCameras(n)
    rows.push(row)
    load.push(loadavg()[0]!)
    console.log(`${n} camera(s): ${row.coresUsed} cores, worst camera ${Math.round(row.worstCameraRate * 100)}% of 10 fps, ${row.framesIn} frames in, ${row.passed} passed, ${row.gated} gated, ${row.dropped} dropped ${JSON.stringify(row.droppedBy)}, ${row.detections} detector jobs, accounted ${row.accounted}`)
    // two rows in a row past the first drop: where drops start is found
    if (rows.length >= 2 && !rows.at(-1)!.keptUp && !rows.at(-2)!.keptUp) break
  }
} finally {
  await detector.close()
}
const noDrops = rows.filter((r) => r.keptUp).map((r) => r.cameras)
const result = {
  note: `Live ${'640×360'} sub-streams at ${fps} fps (the real yard clip looped in real time), motion → objects (CenterNet ${inputSize}², ${detectorFps} runs/s per camera, ${cores} threads) → tracking, in one process on this machine. CPU is shared with other work here (load average noted): on a quiet box the counts are higher.`,
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores, node: process.version, loadAverage1m: load.map((l) => Math.round(l * 100) / 100) },
  clip: `ru-yard-cam-1.ts scaled to 640×360, ${fps} fps`,
  detectorFps,
  detectorInput: `${inputSize}²`,
  rows,
  /** CPU one camera costs (the clip as a file, every frame processed): cores per camera, and the cameras the box's cores carry by CPU. */
  cpuPerCamera: { ...cpu, camerasByCpu: Math.floor((cores / cpu.perSecond) * 10) / 10 },
  /** The most cameras with no frame dropped and every camera at ≥ 95% of its rate. */
  camerasWithoutDrops: noDrops.length > 0 ? Math.max(...noDrops) : 0,
  /** The fewest cameras at which frames dropped (or a camera fell behind). */
  dropsStartAt: rows.find((r) => !r.keptUp)?.cameras ?? null,
  everyFrameAccounted: rows.every((r) => r.accounted),
}
const outAt = process.argv.indexOf('--out')
writeFileSync(join(here, 'results', outAt >= 0 ? process.argv[outAt + 1]! : 'cameras-box.json'), `${JSON.stringify(result, null, 2)}\n`)
console.log(`cameras per ${cores}-core box (640×360 @ ${fps} fps, motion + detector @ ${detectorFps} fps + tracking): by CPU ${result.cpuPerCamera.camerasByCpu}; live, on this machine now: ${result.camerasWithoutDrops} without drops, drops start at ${result.dropsStartAt ?? `more than ${maxCameras}`}; every frame accounted: ${result.everyFrameAccounted}`)
