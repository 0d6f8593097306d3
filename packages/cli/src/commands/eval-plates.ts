import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { OkoError } from '@oko/core'
import { PlateEngine, evaluateCrops, evaluateFolder, resolveReaderOptions, type EvaluationSummary } from '@oko/plates'
import { decodeImage } from '@oko/source'
import type { Command } from '../command.js'
import { ExitCode, UsageError } from '../command.js'

const pct = (v: number) => `${(v * 100).toFixed(1)}%`

export const evalPlatesCommand: Command = {
  path: ['eval', 'plates'],
  summary: 'Measure plate reading accuracy on a labelled folder of images',
  usage: 'eval plates <dir> [--countries ua,ru] [--json] [--verbose]',
  description: [
    'Reads every labelled image of <dir> with the default plate reader (PaddleOCR v4 ONNX, one thread)',
    'and prints exact-plate accuracy, character accuracy, detection rate (IoU >= 0.5, where boxes are',
    'known), false readings per image and milliseconds per image.',
    'Ground truth: groundtruth.json (file -> list of plates) or OpenALPR benchmark files',
    '(NAME.txt: file<TAB>x<TAB>y<TAB>w<TAB>h<TAB>PLATE).',
    'A folder of plate crops labelled the nomeroff-net way (img/NAME.png, ann/NAME.json with region_id and',
    'description) is read crop by crop and scored for country (format classification) and text.',
    '"exact (O=0)" also counts a plate whose only differences are O versus 0 (some ground truth writes O for 0).',
    '"character errors" counts the edits from each plate not read exactly to its closest reading: W→N read as',
    'another character, 7→· lost, ·→1 added, "not read" when nothing was read in its image.',
    'Plate texts are printed only with --verbose.',
    'Example: oko eval plates ../shared/data/plates/openalpr-eu --json',
  ].join('\n'),
  options: {
    json: { type: 'boolean' },
    countries: { type: 'string' },
    verbose: { type: 'boolean' },
  },
  optionHelp: {
    json: 'print one JSON object instead of text',
    countries: 'comma-separated format ids or country codes to accept (default: all)',
    verbose: 'print each image with the expected and read plates (personal data)',
  },
  async run(args, io) {
    const dir = args.positionals[0]
    if (dir === undefined) throw new UsageError('give the folder of labelled images, e.g. oko eval plates ./plates')
    const folder = resolve(dir)
    if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new UsageError(`folder not found: ${folder}`, ExitCode.input)
    const countries = typeof args.values.countries === 'string' ? args.values.countries.split(',').map((s) => s.trim()).filter(Boolean) : undefined
    let engine: PlateEngine
    try {
      engine = await PlateEngine.create(resolveReaderOptions(countries ? { countries } : {}))
    } catch (error) {
      if (error instanceof OkoError && error.code === 'ERR_INVALID_OPTION') throw new UsageError(`--countries: ${error.message}`)
      throw error
    }
    if (existsSync(join(folder, 'img')) && existsSync(join(folder, 'ann')) && !existsSync(join(folder, 'groundtruth.json'))) {
      try {
        const e = await evaluateCrops(folder, (file) => decodeImage(file), async (image) => (await engine.read(image, { crop: true }))[0])
        if (args.values.verbose) for (const r of e.results) io.stderr.write(`${r.name}: country ${r.country ?? '?'} read ${r.readCountry ?? '-'} (${r.readFormat ?? '-'}); text ${r.text ?? '?'} read ${r.readText ?? '-'}\n`)
        const { results: _, ...counts } = e
        io.stdout.write(args.values.json ? `${JSON.stringify({ dir: folder, ...counts })}\n` : [
          `plate crops: ${folder}`,
          `  crops ${e.crops}`,
          `  country (format) accuracy  ${e.withCountry ? `${pct(e.countryCorrect / e.withCountry)} of ${e.withCountry} with a known country` : 'n/a'}`,
          `  exact text                 ${e.withText ? `${pct(e.textExact / e.withText)} of ${e.withText} with a known text` : 'n/a'}`,
          '',
        ].join('\n'))
      } finally {
        await engine.close()
      }
      return ExitCode.ok
    }
    let summary: EvaluationSummary
    try {
      const progress = io.progress('plates')
      let done = 0
      const result = await evaluateFolder(folder, (file) => decodeImage(file), (image) => engine.read(image), (score) => {
        progress.update(++done)
        if (io.signal.aborted) throw new OkoError('ERR_ABORTED', 'interrupted')
        if (args.values.verbose) {
          const ok = score.exact === score.expected.length ? 'ok ' : 'MISS'
          io.stderr.write(`${ok} ${score.file}: expected ${score.expected.join(',')} read ${score.read.join(',') || '-'} ${score.ms.toFixed(0)} ms${score.error ? ` (${score.error})` : ''}\n`)
        }
      })
      progress.done()
      summary = result.summary
    } finally {
      await engine.close()
    }
    if (args.values.json) {
      io.stdout.write(`${JSON.stringify({ dir: folder, ...summary })}\n`)
    } else {
      io.stdout.write([
        `plates: ${folder}`,
        `  images ${summary.images}, plates ${summary.plates}${summary.errors ? `, unreadable images ${summary.errors}` : ''}`,
        `  exact-plate accuracy  ${pct(summary.exactAccuracy)}   (O=0: ${pct(summary.exactAccuracyO0)})`,
        `  character accuracy    ${pct(summary.characterAccuracy)}`,
        `  detection rate        ${summary.detectionRate === undefined ? 'n/a (no boxes)' : pct(summary.detectionRate)}`,
        `  false readings/image  ${summary.falsePositivesPerImage.toFixed(2)}`,
        `  ms per image          ${summary.msPerImage.toFixed(1)}`,
        `  character errors      ${Object.entries(summary.confusions).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
        '',
      ].join('\n'))
    }
    return ExitCode.ok
  },
}
