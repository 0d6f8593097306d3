import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { OkoError, checkNumber } from '@oko/core'
import { DEFAULT_MATCH_THRESHOLD, FaceAnalyzer, evaluateFaces, type FaceEvalReport } from '@oko/faces'
import { decodeImage } from '@oko/source'
import type { Command } from '../command.js'
import { ExitCode, UsageError } from '../command.js'

const pct = (v: number) => `${(v * 100).toFixed(1)}%`

export const evalFacesCommand: Command = {
  path: ['eval', 'faces'],
  summary: 'Measure face identification (watchlist) and verification accuracy on labelled photos',
  usage: 'eval faces <dir|pairs.csv> [--threshold 0.55] [--fmr 0.01] [--detector tiny|ssd] [--json] [--verbose]',
  description: [
    'A folder of identity folders (name/*.png): leave-one-identity-out open-set identification. In each',
    'fold one person is held out as a stranger, the others are enrolled from their first photo and probed',
    'with the rest; prints rank-1 accuracy, the open-set identification rate (right person and under the',
    'threshold), the share of strangers matched to someone, and verification over all pairs.',
    'A pairs file (file_x,file_y,Decision with Yes/No; paths relative to it): verification accuracy',
    'and the ROC at the threshold. Tightly cropped faces are padded before detection automatically.',
    'Also prints milliseconds per face (detection + alignment + descriptor, one thread).',
    `Example: oko eval faces ../shared/data/faces/identities --json`,
  ].join('\n'),
  options: {
    json: { type: 'boolean' },
    threshold: { type: 'string' },
    fmr: { type: 'string' },
    detector: { type: 'string' },
    verbose: { type: 'boolean' },
  },
  optionHelp: {
    json: 'print one JSON object instead of text',
    threshold: `match when the descriptor distance is below this (default ${DEFAULT_MATCH_THRESHOLD})`,
    fmr: 'false-match rate to calibrate a threshold for, per fold, reported alongside (default 0.01)',
    detector: 'face detector: tiny (default) or ssd',
    verbose: 'print each image that failed and each missed probe (file names only)',
  },
  async run(args, io) {
    const target = args.positionals[0]
    if (target === undefined) throw new UsageError('eval faces: give a folder of identity folders or a pairs file, e.g. oko eval faces ./identities')
    const path = resolve(target)
    if (!existsSync(path)) throw new UsageError(`eval faces: not found: ${path}`, ExitCode.input)
    const num = (name: string, value: unknown, max: number): number | undefined => {
      if (value === undefined) return undefined
      try {
        return checkNumber(`--${name}`, Number(value), { min: 0, max, exclusiveMin: true })
      } catch {
        throw new UsageError(`eval faces: --${name} expects a number in (0, ${max}], received ${JSON.stringify(value)}`)
      }
    }
    const threshold = num('threshold', args.values.threshold, 4)
    const falseMatchRate = num('fmr', args.values.fmr, 1)
    const detector = args.values.detector ?? 'tiny'
    if (detector !== 'tiny' && detector !== 'ssd') throw new UsageError(`eval faces: --detector expects tiny or ssd, received ${JSON.stringify(detector)}`)
    const analyzer = await FaceAnalyzer.create({ detector: { model: detector } })
    let report: FaceEvalReport
    try {
      const progress = io.progress('faces')
      let done = 0
      report = await evaluateFaces(path, (file) => decodeImage(file, { format: 'rgb24' }), analyzer, {
        ...(threshold !== undefined ? { threshold } : {}),
        ...(falseMatchRate !== undefined ? { falseMatchRate } : {}),
        onImage: (file, error) => {
          progress.update(++done)
          if (io.signal.aborted) throw new OkoError('ERR_ABORTED', 'interrupted')
          if (error && args.values.verbose) io.stderr.write(`no usable face: ${error}\n`)
        },
      })
      progress.done()
    } finally {
      await analyzer.close()
    }
    const backend = analyzer.backendDescription
    if (args.values.json) {
      const { identification, calibrated, ...rest } = report
      const strip = <T extends { misses?: unknown }>(r: T | undefined) => (r ? { ...r, misses: args.values.verbose ? r.misses : undefined } : undefined)
      io.stdout.write(`${JSON.stringify({ path, backend, detector, ...rest, identification: strip(identification), calibrated: strip(calibrated) })}\n`)
      return ExitCode.ok
    }
    const v = report.verification
    const lines = [`faces: ${path}`, `  backend ${backend}, detector ${detector}`, `  images ${report.images}${report.failed.length ? `, without a usable face ${report.failed.length}` : ''}`]
    if (report.identification) {
      const id = report.identification
      const cal = report.calibrated!
      lines.push(
        `  identities ${id.identities}, probes ${id.probes}, stranger probes ${id.strangers} (leave one identity out)`,
        `  rank-1 accuracy               ${pct(id.rank1)}`,
        `  open-set identification rate  ${pct(id.openSetIdentificationRate)}   at threshold ${report.threshold}`,
        `  strangers matched             ${pct(id.strangerMatchRate)}`,
        `  calibrated for FMR ${cal.falseMatchRate}: thresholds ${Math.min(...cal.thresholds).toFixed(3)}–${Math.max(...cal.thresholds).toFixed(3)}, open-set ${pct(cal.openSetIdentificationRate)}, strangers matched ${pct(cal.strangerMatchRate)}`,
      )
      if (args.values.verbose) for (const m of id.misses) lines.push(`  miss ${m.source}: nearest ${m.nearest} at ${m.distance.toFixed(3)}`)
    }
    lines.push(
      `  verification (${v.genuine} genuine, ${v.impostor} impostor pairs): accuracy ${pct(v.accuracy)}, true matches ${pct(v.trueMatchRate)}, false matches ${pct(v.falseMatchRate)} at ${v.threshold}`,
      `  best accuracy on these pairs  ${pct(v.bestAccuracy.accuracy)} at ${v.bestAccuracy.threshold.toFixed(3)} (optimistic: chosen on the same pairs)`,
      `  ms per face                   ${report.msPerFace.toFixed(1)}`,
      '',
    )
    io.stdout.write(lines.join('\n'))
    return ExitCode.ok
  },
}
