// Soak: one hour of live RTSP cameras through `oko run`'s runtime (motion gate + plates), with
// GStreamer's RTSP server (Debian gir1.2-gst-rtsp-server-1.0) as the third-party camera: a real
// clip looped to an hour, and a generated gate where a car with a drawn plate passes every 8 s
// (the real clip's plates are too small to read, so plate events and tracks come from this one). Samples RSS and the heap after a full GC every 10 s and says
// whether memory growth is warm-up (flat after it) or a leak (still rising at the end: bench/soak-trend.ts).
// Writes bench/results/soak.json. Not part of `pnpm bench` (it takes an hour):
//   nice -n 19 node --conditions oko-source --import tsx bench/soak.ts [--minutes 60] [--clip file.ts]
// The default clip is $OKO_DATA/video/ru-yard-cam-1.ts (1080p H.264, 15 fps, 8 s, cars with plates).
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, existsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { Writable } from 'node:stream'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { OkoEvent } from '@oko/core'
import { parseDeployment, runDeployment } from '@oko/deploy'
import type { PipelineRun } from '@oko/pipeline'
import { drawPlate, writeStillClip } from '@oko/samples'
import { setFfmpegLogLevel } from '@oko/source'
import { Demuxer, Muxer } from 'node-av/api'
import { GstRtspServer, gstMissing } from '../test/helpers/gst-rtsp.js'
import { soakTrend } from './soak-trend.js'

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
if (process.argv[2] === '--loop-clip') {
  // child mode: node-av's muxer keeps what it wrote in this process (1.2 GB for an hour), so the
  // looped clips are made in a process of their own and the soak's memory starts clean
  process.stdout.write(String(loopClip(process.argv[3]!, process.argv[4]!, Number(process.argv[5]))))
  process.exit(0)
}
const minutes = Number(arg('minutes') ?? 60)
const data = process.env.OKO_DATA ?? fileURLToPath(new URL('../../shared/data', import.meta.url))
const clip = arg('clip') ?? join(data, 'video', 'ru-yard-cam-1.ts')
const sampleEveryS = 10
// the heap is sampled after a full GC (--expose-gc on the command line would reach piscina's workers, which refuse it)
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const missing = gstMissing()
if (missing) throw new Error(missing)
if (!existsSync(clip)) throw new Error(`clip not found: ${clip} (set OKO_DATA or --clip)`)

setFfmpegLogLevel('error')
const dir = join(tmpdir(), `oko-soak-${process.pid}`)
mkdirSync(dir, { recursive: true })
const looped = join(dir, 'yard.ts')
const clipSeconds = loopInChild(clip, looped, minutes * 60 + 120)
const car = drawPlate('A123BC77', 240, 110, 24, 40, 4, 70)
writeStillClip(join(dir, 'car.ts'), [{ image: car, motion: { from: { x: -240, y: 150 }, to: { x: 640, y: 150 }, seconds: 3 } }], { fps: 10, seconds: 8 })
loopInChild(join(dir, 'car.ts'), join(dir, 'gate.ts'), minutes * 60 + 120)
const server = new GstRtspServer(looped)
const gate = new GstRtspServer(join(dir, 'gate.ts'))
await Promise.all([server.start(), gate.start()])

const config = parseDeployment([
  'cameras:',
  `  - { id: yard, url: "${server.url('cam')}" }`,
  `  - { id: gate, url: "${gate.url('cam')}" }`,
  'stages:',
  '  - motion',
  '  - plates: { countries: [ru], threads: 1 }',
].join('\n'), { baseDir: dir })

const MiB = 2 ** 20
const samples: { s: number; rssMiB: number; heapMiB: number; externalMiB: number; framesIn: number; events: number; dropped: number }[] = []
const counts: Record<string, number> = {}
const states: string[] = []
let run: PipelineRun | undefined
const started = Date.now()
const stop = new AbortController()
const sample = (): void => {
  gc()
  const m = process.memoryUsage()
  const s = run?.stats()
  samples.push({
    s: Math.round((Date.now() - started) / 1000), rssMiB: round(m.rss / MiB), heapMiB: round(m.heapUsed / MiB), externalMiB: round(m.external / MiB),
    framesIn: s?.framesIn ?? 0, events: s?.events ?? 0, dropped: s?.droppedTotal ?? 0,
  })
  const last = samples.at(-1)!
  process.stderr.write(`\r[${(last.s / 60).toFixed(1)}/${minutes} min] rss ${last.rssMiB} MiB, heap ${last.heapMiB} MiB, ${last.framesIn} frames, ${counts.plate ?? 0} plates      `)
}
const timer = setInterval(sample, sampleEveryS * 1000)
setTimeout(() => stop.abort(), minutes * 60_000)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort())
const result = await runDeployment(config, {
  signal: stop.signal,
  onStart: (d) => { run = d.run; sample() },
  onEvent: (e: OkoEvent) => {
    counts[e.type] = (counts[e.type] ?? 0) + 1
    if (e.type === 'source') states.push(`${Math.round((Date.now() - started) / 1000)}s ${e.state}`)
  },
  stdout: new Writable({ write: (_c, _e, done) => done() }),
})
clearInterval(timer)
process.stderr.write('\n')
await Promise.all([server.stop(), gate.stop()])
rmSync(dir, { recursive: true, force: true })

const { trend, verdict } = soakTrend(samples, minutes)
const out = {
  date: new Date().toISOString(), minutes, clips: [`${clip.split('/').pop()} (${clipSeconds} s, looped)`, 'generated gate: a drawn plate A123BC77 passing every 8 s (640x360, 10 fps)'], server: 'GStreamer gst-rtsp-server 1.22 (Debian)', node: process.version,
  summary: { framesIn: result.summary.framesIn, gated: result.summary.gated, inferred: result.summary.inferred, events: result.summary.events, droppedTotal: result.summary.droppedTotal, errors: result.summary.errors },
  events: counts, sourceStates: states, trend, verdict, samples,
}
console.log(JSON.stringify({ ...out, samples: `${samples.length} samples` }, null, 2))
const results = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(results, { recursive: true })
writeFileSync(`${results}soak.json`, `${JSON.stringify(out, null, 2)}\n`)

function round(x: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

function loopInChild(src: string, dst: string, seconds: number): number {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--loop-clip', src, dst, String(seconds)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  if (r.status !== 0) throw new Error(`could not loop ${src} (exit ${r.status ?? r.signal})`)
  return Number(r.stdout)
}

/** Writes `src` over and over into one MPEG-TS with continuous timestamps, for at least `seconds`; returns the clip's length in s. */
function loopClip(src: string, dst: string, seconds: number): number {
  let offset = 0n
  let clipTicks = 0n
  let tb = { num: 1, den: 90_000 }
  const muxer = Muxer.openSync(dst)
  let out: number | undefined
  try {
    while ((Number(offset) * tb.num) / tb.den < seconds) {
      const input = Demuxer.openSync(src)
      try {
        const video = input.video()!
        tb = { num: video.timeBase.num, den: video.timeBase.den }
        out ??= muxer.addStream(video)
        const start = video.startTime > 0n ? video.startTime : 0n
        let last = start
        let step = 0n
        for (const packet of input.packetsSync(video.index)) {
          if (!packet) break
          if (packet.pts > last) { step = packet.pts - last < step || step === 0n ? packet.pts - last : step; last = packet.pts }
          packet.pts += offset
          packet.dts += offset
          muxer.writePacketSync(packet, out)
          packet.free()
        }
        clipTicks ||= last + step - start
      } finally {
        input.closeSync()
      }
      offset += clipTicks
    }
  } finally {
    muxer.closeSync()
  }
  return (Number(clipTicks) * tb.num) / tb.den
}
