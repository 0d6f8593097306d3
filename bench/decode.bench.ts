// Decode through @oko/source vs. the ffmpeg command line, by CPU time (user + system, all threads).
// Writes bench/results/decode.json and prints a table. Needs the Debian ffmpeg CLI (installed if missing).
// Run: nice node --conditions oko-source --import tsx bench/decode.bench.ts [--quick]
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Source, setFfmpegLogLevel, type SourceOptions } from '@oko/source'
import { Codec, CodecContext, FormatContext, Frame as AvFrame, Packet } from 'node-av/lib'
import { AVMEDIA_TYPE_VIDEO } from 'node-av/constants'
import { benchClip, ffmpegCpuSeconds } from '@oko/cli'

const quick = process.argv.includes('--quick')
const NODE_AV = 'node-av decode loop alone (the floor)'
/** Camera id of the variant whose reader never touches the planes (frames cost no copy then). */
const NO_READ = 'no-read'
const frames = quick ? 250 : 500
const repeats = quick ? 2 : 3

if (spawnSync('ffmpeg', ['-version']).status !== 0) {
  console.error('installing the ffmpeg command line (Debian) for the peer measurement…')
  spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg'], { stdio: 'inherit' })
}
setFfmpegLogLevel('error')

/** oko variants: the default path, and the options that change decode cost. Every variant reads each frame's planes. */
const variants: Record<string, SourceOptions> = {
  'Source (default: sync decode, 1 thread)': {},
  'Source, planes never read (no copy)': { id: NO_READ },
  'Source asyncDecode (libuv pool)': { asyncDecode: true },
  'Source fps 5 (drops before conversion)': { fps: 5 },
  'Source scale h=180 gray8 (swscale)': { scale: { height: 180 }, format: 'gray8' },
  'Source keyframesOnly': { keyframesOnly: true },
}

async function okoCpuSeconds(path: string, options: SourceOptions): Promise<{ cpuS: number; delivered: number }> {
  const before = process.cpuUsage()
  const source = await Source.open(path, { threads: 1, ...options })
  let delivered = 0
  if (options.id === NO_READ) for await (const frame of source.frames()) delivered += frame.seq > 0 ? 1 : 0
  else for await (const frame of source.frames()) delivered += frame.planes.length > 0 ? 1 : 0
  await source.close()
  const used = process.cpuUsage(before)
  return { cpuS: (used.user + used.system) / 1e6, delivered }
}

/** The floor: node-av's low-level decode loop alone (read, send, receive, unref), no frame handed to JS. */
async function nodeAvCpuSeconds(path: string): Promise<number> {
  const before = process.cpuUsage()
  const fc = new FormatContext()
  fc.allocContext()
  await fc.openInput(path, null, null)
  await fc.findStreamInfo(null)
  const index = fc.findBestStream(AVMEDIA_TYPE_VIDEO)
  const par = fc.streams[index]!.codecpar
  const codec = Codec.findDecoder(par.codecId)!
  const cc = new CodecContext()
  cc.allocContext3(codec)
  cc.parametersToContext(par)
  cc.threadCount = 1
  await cc.open2(codec, null)
  const pkt = new Packet()
  pkt.alloc()
  const frame = new AvFrame()
  frame.alloc()
  for (let end = false; !end;) {
    end = fc.readFrameSync(pkt) < 0
    if (!end && pkt.streamIndex !== index) { pkt.unref(); continue }
    cc.sendPacketSync(end ? null : pkt)
    pkt.unref()
    while (cc.receiveFrameSync(frame) >= 0) frame.unref()
  }
  frame.free()
  pkt.free()
  cc.freeContext()
  await fc.closeInput()
  fc.freeContext()
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1e6
}

const rows: Record<string, unknown>[] = []
for (const height of [1080, 720] as const) {
  const clip = await benchClip(height, frames)
  const best: Record<string, { cpuS: number; delivered: number }> = {}
  // Interleave the runs so that load from other processes hits every variant alike; keep the best.
  for (let r = 0; r < repeats; r++) {
    const ffmpeg = await ffmpegCpuSeconds(clip.path)
    if (!best.ffmpeg || ffmpeg < best.ffmpeg.cpuS) best.ffmpeg = { cpuS: ffmpeg, delivered: clip.frames }
    const nodeAv = await nodeAvCpuSeconds(clip.path)
    if (!best[NODE_AV] || nodeAv < best[NODE_AV].cpuS) best[NODE_AV] = { cpuS: nodeAv, delivered: clip.frames }
    for (const [name, options] of Object.entries(variants)) {
      const run = await okoCpuSeconds(clip.path, options)
      if (!best[name] || run.cpuS < best[name]!.cpuS) best[name] = run
    }
    process.stderr.write(`\r${height}p: run ${r + 1}/${repeats}   `)
  }
  process.stderr.write('\n')
  const ffmpegS = best.ffmpeg!.cpuS
  rows.push({ stream: `${clip.width}x${clip.height}`, decoder: 'ffmpeg -threads 1 -f null', frames: clip.frames, cpuS: round(ffmpegS), decodedFpsPerCore: round(clip.frames / ffmpegS), ratioToFfmpeg: 1, camerasPerCoreAt25: round(clip.frames / ffmpegS / 25) })
  for (const name of [NODE_AV, ...Object.keys(variants)]) {
    const { cpuS, delivered } = best[name]!
    rows.push({ stream: `${clip.width}x${clip.height}`, decoder: name, frames: delivered, cpuS: round(cpuS), decodedFpsPerCore: round(clip.frames / cpuS), ratioToFfmpeg: round(cpuS / ffmpegS), camerasPerCoreAt25: round(clip.frames / cpuS / 25) })
  }
}

console.table(rows)
const dir = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(dir, { recursive: true })
writeFileSync(`${dir}decode.json`, `${JSON.stringify({ date: new Date().toISOString(), quick, framesPerClip: frames, repeats, note: 'CPU seconds (user+system) per clip, best of the repeats; decodedFpsPerCore = clip frames / CPU s', rows }, null, 2)}\n`)

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}
