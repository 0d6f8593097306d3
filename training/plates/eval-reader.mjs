// The whole reader (as `oko eval plates`) on the development sets with a recogniser of your choice,
// for weights not (yet) shipped. Needs the built packages (pnpm build).
//   node training/plates/eval-reader.mjs [MODEL.onnx] [--as second,alone,paddle]
// MODEL (default: the shipped one) with its .txt dictionary beside it, read as the second reader
// (the default reader's place), alone, or not at all (PaddleOCR's recogniser alone). With several
// modes, also how many plates at least one of them reads exactly.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PlateEngine, resolveReaderOptions, evaluateFolder } from '../../packages/plates/dist/index.js'
import { decodeImage } from '../../packages/source/dist/index.js'

const here = dirname(fileURLToPath(import.meta.url))
const data = process.env.OKO_DATA ?? join(here, '..', '..', '..', 'shared', 'data')
const args = process.argv.slice(2)
const asAt = args.indexOf('--as')
const modes = asAt >= 0 ? args.splice(asAt, 2)[1].split(',') : ['second']
const model = args[0] ?? join(here, '..', '..', 'packages', 'plates', 'models', 'oko-plates-rec.onnx')
const oko = { model, dictionary: model.replace(/\.onnx$/, '.txt'), heightPx: 32, minWidthPx: 128, maxWidthPx: 128, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channelOrder: 'rgb', stretchContrast: false }
const options = { second: { secondRecognizer: oko }, alone: { recognizer: oko, secondRecognizer: false }, paddle: { secondRecognizer: false } }
for (const m of modes) if (!options[m]) throw new Error(`--as ${m}: expected second, alone or paddle`)
const pct = (v) => (100 * v).toFixed(1)

for (const [set, countries] of [['openalpr-eu', 'europe'], ['openalpr-us', 'us'], ['nomeroff-ua', 'ua']]) {
  const exact = []
  for (const mode of modes) {
    const engine = await PlateEngine.create(resolveReaderOptions({ countries: [countries], ...options[mode] }))
    try {
      const { summary: s, images } = await evaluateFolder(join(data, 'plates', set), (f) => decodeImage(f), (image) => engine.read(image))
      exact.push(images.map((i) => i.exact === i.expected.length))
      console.log(`${set} ${mode}: exact ${pct(s.exactAccuracy)}% (O=0 ${pct(s.exactAccuracyO0)}), characters ${pct(s.characterAccuracy)}%, found ${pct(s.detectionRate)}%, false readings ${s.falsePositivesPerImage.toFixed(3)}/image`)
    } finally {
      await engine.close()
    }
  }
  if (modes.length > 1) console.log(`${set}: at least one of ${modes.join(', ')} exact on ${exact[0].filter((_, i) => exact.some((e) => e[i])).length} of ${exact[0].length}`)
}
