import { existsSync } from 'node:fs'
import type { MotionOptions } from '@oko/motion'
import { CDNET_MOTION_OPTIONS, evaluateMotion, type CdnetMetrics, type MotionEvaluation } from '@oko/motion/eval'
import type { Command } from '../command.js'
import { ExitCode, UsageError } from '../command.js'

const pct = (x: number) => x.toFixed(4)

function formatTable(r: MotionEvaluation): string {
  const rows: [string, CdnetMetrics, number][] = [['oko motion', r.metrics, r.fps]]
  if (r.mog2 && 'metrics' in r.mog2) rows.push([`OpenCV ${r.mog2.opencv} MOG2`, r.mog2.metrics, r.mog2.fps])
  const head = `${'method'.padEnd(20)} ${['recall', 'precision', 'F', 'FPR', 'FNR', 'PWC %'].map((h) => h.padStart(9)).join(' ')} ${'fps'.padStart(8)}`
  const lines = rows.map(([name, m, fps]) => `${name.padEnd(20)} ${[m.recall, m.precision, m.fMeasure, m.fpr, m.fnr].map((v) => pct(v).padStart(9)).join(' ')} ${m.pwc.toFixed(3).padStart(9)} ${fps.toFixed(0).padStart(8)}`)
  const skipped = r.mog2 && 'skipped' in r.mog2 ? [`MOG2 peer skipped: ${r.mog2.skipped}`] : []
  return [`${r.dir}: ${r.width}×${r.height}, ${r.frames} frames, ${r.scoredFrames} scored (CDnet rules: gt 0/50 static, 255 moving, 85/170 ignored, ROI.bmp)`, head, ...lines, ...skipped].join('\n') + '\n'
}

export const evalMotionCommand: Command = {
  path: ['eval', 'motion'],
  summary: 'Score the motion detector on a CDnet-layout sequence (recall, precision, F, FPR, FNR, PWC, fps)',
  usage: 'eval motion <dir> [--threshold <grey levels>] [--processing-height <px>] [--json] [--no-peer]',
  description: [
    'Runs the motion detector over <dir>/input/inNNNNNN.jpg, learns on the frames before the',
    'temporal ROI (temporalROI.txt) and scores its foreground masks against',
    '<dir>/groundtruth/gtNNNNNN.png inside ROI.bmp, by CDnet rules. Where /usr/bin/python3 has',
    'OpenCV (Debian python3-opencv), OpenCV MOG2 is scored in the same run for comparison.',
    'Example: oko eval motion ../shared/data/motion/cdnet2014-highway',
  ].join('\n'),
  options: { threshold: { type: 'string' }, 'processing-height': { type: 'string' }, json: { type: 'boolean' }, 'no-peer': { type: 'boolean' } },
  optionHelp: {
    threshold: 'the detector\'s pixel-change threshold (default: the detector\'s own)',
    'processing-height': `height the detector works at (default ${CDNET_MOTION_OPTIONS.processingHeight}: the sequence's own)`,
    json: 'print one JSON object instead of the table',
    'no-peer': 'skip the OpenCV MOG2 comparison',
  },
  async run(args, io) {
    const dir = args.positionals[0]
    if (!dir || args.positionals.length > 1) throw new UsageError('expected exactly one folder: oko eval motion <dir>')
    if (!existsSync(dir)) throw new UsageError(`folder not found: ${dir}`, ExitCode.input)
    const motion: MotionOptions = {
      ...(args.values.threshold !== undefined ? { threshold: Number(args.values.threshold) } : {}),
      ...(args.values['processing-height'] !== undefined ? { processingHeight: Number(args.values['processing-height']) } : {}),
    }
    const result = await evaluateMotion(dir, { mog2: !args.values['no-peer'], motion })
    io.stdout.write(args.values.json ? `${JSON.stringify(result)}\n` : formatTable(result))
    return ExitCode.ok
  },
}
