// Face analysis speed, one thread, in-process FaceAnalyzer (what each FacePool worker runs):
// detection + landmarks + alignment + 128-d descriptor, per face. Cases: a tight 150×150 identity
// photo, a group photo, a 1080p "crowd" frame tiled from the group photos (whole frame, and only
// the people's regions as a motion or person stage would pass them), the descriptor alone, a
// 2-thread FacePool, a bring-your-own ONNX detector (YuNet) when the evaluation data is present,
// and OpenCV's Haar face detector (Debian python3-opencv) on the same 1080p frame as a peer.
// Wall time from tinybench plus CPU time per call. Writes bench/results/faces.json, prints a table.
// Run: nice node --conditions oko-source --import tsx bench/faces.bench.ts [--quick]
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Bench } from 'tinybench'
import { defineStage, type Rect } from '@oko/core'
import { Pipeline } from '@oko/pipeline'
import { FaceAnalyzer, FacePool, Watchlist, faceStage, type AnalyzeOptions, type FaceAnalysis } from '@oko/faces'
import type { RgbImage } from '@oko/core'
import { decodeImage } from '@oko/source'
import { evaluationDataDir } from '../test/helpers/data.js'
import { ImageSource } from '../test/helpers/stage.js'

const quick = process.argv.includes('--quick')
const decode = (path: string) => decodeImage(path, { format: 'rgb24' }) as RgbImage
const root = fileURLToPath(new URL('..', import.meta.url))
const data = evaluationDataDir(process.env, root)
const faceDir = data && join(data, 'faces')
const demo = join(dirname(createRequire(fileURLToPath(new URL('../packages/faces/package.json', import.meta.url))).resolve('@vladmandic/face-api/package.json')), 'demo')
const groupFiles = faceDir && existsSync(join(faceDir, 'groups'))
  ? readdirSync(join(faceDir, 'groups')).sort().map((f) => join(faceDir, 'groups', f))
  : [1, 2, 3].map((n) => join(demo, `sample${n}.jpg`))
const tight = faceDir && existsSync(join(faceDir, 'identities/amy/amy1.png')) ? decode(join(faceDir, 'identities/amy/amy1.png')) : undefined

/**
 * Pastes the group photos (scaled to 540 px high) side by side on a grey 1920×1080 frame. The
 * "person boxes" (what a person detector would pass) are the faces found in each photo at its own
 * resolution, widened to head-and-shoulders boxes.
 */
async function crowdFrame(): Promise<{ frame: RgbImage; regions: Rect[]; people: Rect[] }> {
  const W = 1920, H = 1080
  const out = new Uint8Array(W * H * 3).fill(110)
  const regions: Rect[] = []
  const people: Rect[] = []
  let x = 0, y = 0
  for (const file of groupFiles) {
    const img = decode(file)
    const scale = 540 / img.height
    const w = Math.min(Math.round(img.width * scale), W)
    if (x + w > W) { x = 0; y += 540 }
    if (y + 540 > H) break
    for (const f of await analyzer.analyze(img)) {
      const b = { x: x + f.box.x * scale, y: y + f.box.y * scale, width: f.box.width * scale, height: f.box.height * scale }
      people.push({ x: b.x - b.width / 2, y: b.y - b.height / 4, width: b.width * 2, height: b.height * 3 })
    }
    for (let yy = 0; yy < 540; yy++) for (let xx = 0; xx < w; xx++) {
      const sx = Math.min(img.width - 1, Math.floor(xx / scale)), sy = Math.min(img.height - 1, Math.floor(yy / scale))
      out.set(img.data.subarray((sy * img.width + sx) * 3, (sy * img.width + sx) * 3 + 3), ((y + yy) * W + x + xx) * 3)
    }
    regions.push({ x, y, width: w, height: 540 })
    x += w
  }
  return { frame: { data: out, width: W, height: H, format: 'rgb24' }, regions, people }
}

const analyzer = await FaceAnalyzer.create()
const crowd = await crowdFrame()
const group = decode(groupFiles[3] ?? groupFiles[0]!)
const wide = await FaceAnalyzer.create({ detector: { inputSizePx: 1024 } })
const yunetPath = data && join(data, 'models/yunet/face_detection_yunet_2023mar.onnx')
const yunet = yunetPath && existsSync(yunetPath) ? await FaceAnalyzer.create({ detector: { model: { onnx: yunetPath, kind: 'yunet' } } }) : undefined
const pool = await FacePool.create({ threads: 2 })

interface Case { name: string; analysis: FaceAnalysis; image: RgbImage; options?: AnalyzeOptions; parallel?: number }
const cases: Case[] = [
  ...(tight ? [{ name: 'tight crop 150x150 (identity photo)', analysis: analyzer, image: tight, options: { tightCrop: true } }] : []),
  { name: `group photo ${group.width}x${group.height}`, analysis: analyzer, image: group },
  { name: 'crowd 1080p, whole frame (tiny 416)', analysis: analyzer, image: crowd.frame },
  { name: 'crowd 1080p, whole frame (tiny 1024)', analysis: wide, image: crowd.frame },
  { name: `crowd 1080p, ${crowd.regions.length} group regions (motion-like)`, analysis: analyzer, image: crowd.frame, options: { regions: crowd.regions } },
  { name: `crowd 1080p, ${crowd.people.length} person boxes`, analysis: analyzer, image: crowd.frame, options: { regions: crowd.people } },
  { name: 'FacePool 2 threads, 4 group photos in flight', analysis: pool, image: group, parallel: 4 },
  ...(yunet ? [
    { name: `YuNet ONNX + descriptor, group photo`, analysis: yunet, image: group },
    { name: 'YuNet ONNX + descriptor, crowd 1080p', analysis: yunet, image: crowd.frame },
  ] : []),
]

const bench = new Bench({ time: quick ? 1500 : 5000, warmup: true, warmupIterations: 1, iterations: 3 })
const stats: Record<string, { cpu: number; calls: number; faces: number; described: number }> = {}
for (const c of cases) {
  const first = await c.analysis.analyze(c.image, c.options)
  stats[c.name] = { cpu: 0, calls: 0, faces: first.length * (c.parallel ?? 1), described: first.filter((f) => f.descriptor).length * (c.parallel ?? 1) }
  bench.add(c.name, async () => {
    const before = process.cpuUsage()
    await Promise.all(Array.from({ length: c.parallel ?? 1 }, () => c.analysis.analyze(c.image, c.options)))
    const used = process.cpuUsage(before)
    stats[c.name]!.cpu += (used.user + used.system) / 1000
    stats[c.name]!.calls++
  })
}
// The whole stage on the crowd frame: person boxes in, tracks, watchlist matching, events out, on
// the 2-thread pool (areas spread over both threads).
const watchlist = Watchlist.create({ modelId: pool.modelId })
for (const [i, f] of (await analyzer.analyze(group)).entries()) if (f.descriptor) watchlist.enrol(`person-${i}`, [f.descriptor])
const stage = await faceStage({ analysis: pool, watchlist })
const stageName = `faceStage + FacePool 2 threads, crowd 1080p, ${crowd.people.length} person boxes`
// The stage in a one-frame pipeline: the crowd frame, its people as detections (the face stage searches in them).
const people = defineStage({ name: 'people', process: (e) => { for (const box of crowd.people) e.detections.push({ box, label: 'person', score: 1, seq: e.frame.seq, ptsUs: e.frame.ptsUs }); return e } })
const facesSeen = defineStage({ name: 'seen', process: (e) => { stats[stageName]!.faces = e.detections.filter((d) => d.label === 'face').length; return e } })
const throughStage = async () => {
  const run = Pipeline.from(new ImageSource('bench', [crowd.frame])).pipe(people).pipe(stage).pipe(facesSeen).run()
  for await (const _ of run.events) void _
  await run.completion
}
stats[stageName] = { cpu: 0, calls: 0, faces: 0, described: NaN }
await throughStage()
bench.add(stageName, async () => {
  const before = process.cpuUsage()
  await throughStage()
  const used = process.cpuUsage(before)
  stats[stageName]!.cpu += (used.user + used.system) / 1000
  stats[stageName]!.calls++
})
// The descriptor alone (alignment + network), from a face the detector found, batch of one.
const one = (await analyzer.analyze(group)).find((f) => f.descriptor)!
bench.add('descriptor only (align + ResNet), 1 face', async () => { await analyzer.embedder.embed(group, [one]) })
stats['descriptor only (align + ResNet), 1 face'] = { cpu: NaN, calls: 1, faces: 1, described: 1 }
await bench.run()

// Peer: OpenCV Haar cascade face detection (detection only, no landmarks or descriptor) on the crowd frame.
let haar: Record<string, unknown> | undefined
const cascade = '/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml'
if (spawnSync('/usr/bin/python3', ['-c', 'import cv2']).status !== 0 || !existsSync(cascade)) {
  console.error('installing python3-opencv and opencv-data (Debian) for the OpenCV peer…')
  spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-opencv opencv-data'], { stdio: 'inherit' })
}
if (existsSync(cascade)) {
  const dir = mkdtempSync(join(tmpdir(), 'oko-faces-bench-'))
  const ppm = join(dir, 'crowd.ppm')
  writeFileSync(ppm, Buffer.concat([Buffer.from(`P6\n1920 1080\n255\n`), Buffer.from(crowd.frame.data)]))
  const py = `import cv2, time
img = cv2.imread('${ppm}'); g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY); c = cv2.CascadeClassifier('${cascade}')
c.detectMultiScale(g, 1.1, 5); n = ${quick ? 2 : 5}; t = time.time()
for _ in range(n): f = c.detectMultiScale(g, 1.1, 5, minSize=(36, 36))
print((time.time() - t) / n * 1000, len(f))`
  const r = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8' })
  const [ms, n] = r.stdout.trim().split(/\s+/).map(Number)
  if (r.status === 0) haar = { case: 'peer: OpenCV 4.6 Haar detectMultiScale, crowd 1080p (detection only)', faces: n, meanMs: round(ms!), msPerFace: round(ms! / Math.max(1, n!)) }
}

const rows: Record<string, unknown>[] = bench.tasks.map((t) => {
  const r = t.result as { latency?: { mean?: number; p50?: number } } | undefined
  const s = stats[t.name]!
  const mean = r?.latency?.mean ?? NaN
  return {
    case: t.name,
    faces: s.faces,
    described: s.described,
    meanMs: round(mean),
    msPerFace: round(mean / Math.max(1, s.faces)),
    cpuMsPerCall: round(s.cpu / s.calls),
    cpuMsPerFace: round(s.cpu / s.calls / Math.max(1, s.faces)),
  }
})
if (haar) rows.push(haar)
console.table(rows)
const out = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'faces.json'), `${JSON.stringify({
  date: new Date().toISOString(),
  node: process.version,
  backend: analyzer.backendDescription,
  note: 'FaceAnalyzer on one thread (tiny detector 416, 68 landmarks, dlib-template alignment, face-api 128-d descriptor, batch 4) unless the case says otherwise. Target: detection + descriptor <= 60 ms per face. Wall times on a shared 2-core machine (other processes running): CPU ms (process.cpuUsage, all threads) is the steadier figure; compare rows of one run.',
  rows,
}, null, 2)}\n`)
await stage.close()
await Promise.all([analyzer.close(), wide.close(), yunet?.close(), pool.close()])

function round(v: number): number {
  return Math.round(v * 100) / 100
}
