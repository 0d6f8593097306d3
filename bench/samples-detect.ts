// How often the default object detector finds each generated object of @oko/samples' scenes: per
// object, the share of the frames it is fully in view where a detection of its class overlaps its
// truth box with IoU ≥ 0.5 (every 2nd frame, rendered yuv420p → RGB, no encoding).
// Writes bench/results/samples-detect.json and prints a table.
// Run: nice node --conditions oko-source --import tsx bench/samples-detect.ts [--png <dir>]
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { COCO_CLASSES, DEFAULT_CLASSES, DEFAULT_MODEL, ObjectDetector } from '@oko/objects'
import { png, yuvToRgb } from './frame-png.js'
import { SceneRenderer, cityScene, streetScene, trafficScene, type SceneSpec } from '@oko/samples'

const pngDir = process.argv.includes('--png') ? process.argv[process.argv.indexOf('--png') + 1] : undefined
const classIds = DEFAULT_CLASSES.map((c) => COCO_CLASSES.indexOf(c))
const vehicle = new Set(['car', 'bus', 'truck'])
const scoreThreshold = 0.35

const scenes: { name: string; scene: SceneSpec }[] = [
  { name: 'streetScene 640×360', scene: streetScene() },
  { name: 'trafficScene 640×360', scene: trafficScene().scene },
  { name: 'cityScene 960×540 (oko demo)', scene: cityScene().scene },
]

function iou(a: { x: number; y: number; width: number; height: number }, b: typeof a): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x))
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y))
  return (w * h) / (a.width * a.height + b.width * b.height - w * h)
}

const detector = await ObjectDetector.open({ model: { kind: DEFAULT_MODEL }, classIds, scoreThreshold, nmsIou: 0.5 })
const results: Record<string, Record<string, { inView: number; found: number; rate: number; meanScore: number }>> = {}
for (const { name, scene } of scenes) {
  const renderer = new SceneRenderer(scene)
  const yuv = new Uint8Array((scene.width * scene.height * 3) / 2)
  const perObject: Record<string, { inView: number; found: number; scoreSum: number }> = {}
  for (let i = 0; i < scene.frames; i += 2) {
    const truth = renderer.truth(i)
    const full = truth.objects.filter((o) => {
      const spec = scene.objects.find((s) => s.id === o.id)!
      return o.box.width === spec.width && o.box.height === spec.height
    })
    if (full.length === 0) continue
    renderer.renderYuv420(i, yuv)
    const image = yuvToRgb(yuv, scene.width, scene.height)
    const found = await detector.detect(image)
    for (const o of full) {
      const stat = (perObject[o.id] ??= { inView: 0, found: 0, scoreSum: 0 })
      stat.inView++
      const hit = found.find((d) => iou(d, o.box) >= 0.5 && (o.kind === 'person' ? COCO_CLASSES[d.classId] === 'person' : vehicle.has(COCO_CLASSES[d.classId]!)))
      if (hit) { stat.found++; stat.scoreSum += hit.score }
    }
    if (pngDir && i % 20 === 0) {
      mkdirSync(pngDir, { recursive: true })
      writeFileSync(join(pngDir, `${name.split(' ')[0]}-${i}.png`), png(image))
    }
  }
  results[name] = Object.fromEntries(Object.entries(perObject).map(([id, s]) => [id, { inView: s.inView, found: s.found, rate: s.found / s.inView, meanScore: s.found ? s.scoreSum / s.found : 0 }]))
}
await detector.release()

const rows = Object.entries(results).flatMap(([scene, objects]) => Object.entries(objects).map(([id, s]) => ({ scene, id, ...s })))
console.table(rows.map((r) => ({ ...r, rate: `${(r.rate * 100).toFixed(0)}%`, meanScore: r.meanScore.toFixed(2) })))
const outDir = join(fileURLToPath(new URL('.', import.meta.url)), 'results')
mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'samples-detect.json'), `${JSON.stringify({ bench: 'samples-detect', date: new Date().toISOString(), model: DEFAULT_MODEL, scoreThreshold, iou: 0.5, everyNthFrame: 2, results }, null, 2)}\n`)
