// Cuts the text lines that oko's reader gives its recogniser out of the labelled validation
// images ($OKO_DATA/plates/openalpr-eu, openalpr-us), for choosing checkpoints (realval.py reads
// them as the "-lines" sets). Per labelled plate: the largest line PaddleOCR's detector finds
// inside its box, sampled to the model's 128×32 input the way TextRecognizer samples it. Written
// to .cache/reader-lines/<set>/ (never into the repository: the data's licences do not allow it).
// Needs the built packages (pnpm build). Usage: node training/plates/reader-lines.mjs
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PlateEngine, resolveReaderOptions, loadGroundTruth } from '../../packages/plates/dist/index.js'
import { decodeImage } from '../../packages/source/dist/index.js'
import { sampleBox } from '../../packages/imaging/dist/index.js'

const here = dirname(fileURLToPath(import.meta.url))
const data = process.env.OKO_DATA ?? join(here, '..', '..', '..', 'shared', 'data')
const W = 128, H = 32
const RAW = { mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255], order: 'rgb' }

const engine = await PlateEngine.create(resolveReaderOptions({ secondRecognizer: false }))
try {
  for (const set of ['openalpr-eu', 'openalpr-us']) {
    const dir = join(data, 'plates', set)
    if (!existsSync(dir)) { console.error(`${dir} not found: skipped`); continue }
    const out = join(here, '.cache', 'reader-lines', set)
    rmSync(out, { recursive: true, force: true })
    mkdirSync(out, { recursive: true })
    const labels = []
    let plates = 0
    for (const truth of loadGroundTruth(dir)) {
      const image = decodeImage(truth.file)
      const lines = await engine.detectText(image)
      for (const plate of truth.plates) {
        if (!plate.box) continue
        plates++
        const b = plate.box
        const inside = lines.filter((l) => l.cx >= b.x && l.cx <= b.x + b.width && l.cy >= b.y && l.cy <= b.y + b.height && l.height >= 0.3 * b.height)
        const line = inside.sort((p, q) => q.width * q.height - p.width * p.height)[0]
        if (!line) continue
        const px = sampleBox(image, line, W, H, RAW, false)
        const rgb = Buffer.alloc(W * H * 3)
        for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.max(0, Math.min(255, Math.round(px[c * W * H + i])))
        const name = `${String(labels.length).padStart(4, '0')}.ppm`
        writeFileSync(join(out, name), Buffer.concat([Buffer.from(`P6 ${W} ${H} 255\n`), rgb]))
        labels.push(`${name}\t${plate.text}`)
      }
    }
    writeFileSync(join(out, 'labels.tsv'), `${labels.join('\n')}\n`)
    console.log(`${set}: ${labels.length} lines of ${plates} plates -> ${out}`)
  }
} finally {
  await engine.close()
}
