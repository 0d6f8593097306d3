import { existsSync } from 'node:fs'
import { evaluateLines, type LineEvaluation } from '../cdnet-lines.js'
import type { Command } from '../command.js'
import { ExitCode, UsageError } from '../command.js'
import { parseLineOption } from '../line-count.js'

function formatTable(r: LineEvaluation): string {
  const row = (name: string, t: LineEvaluation['truth']) => `${name.padEnd(22)} ${String(t.counts['a-b']).padStart(5)} ${String(t.counts['b-a']).padStart(5)}`
  return [
    `${r.dir}: frames ${r.first}–${r.last}, line ${r.line.map((p) => `${p.x},${p.y}`).join(' → ')}, ${r.truthTracks} truth tracks`,
    `${'counts'.padEnd(22)} ${'a-b'.padStart(5)} ${'b-a'.padStart(5)}`,
    row('truth (masks)', r.truth),
    row('oko (motion → tracks)', r.oko),
  ].join('\n') + '\n'
}

export const evalLinesCommand: Command = {
  path: ['eval', 'lines'],
  summary: 'Count line crossings per direction on a CDnet-layout sequence: the ground truth\'s vehicle tracks beside oko\'s',
  usage: 'eval lines <dir> --line x1,y1,x2,y2 [--json]',
  description: [
    'Builds vehicle tracks from <dir>/groundtruth/gtNNNNNN.png (connected moving blobs, 255, linked',
    'frame to frame by overlap) over the temporal ROI (temporalROI.txt) and counts their bottom',
    'centres crossing the line, per direction (a-b: from side A, your right walking the line, to B).',
    'Then runs <dir>/input/ through motion → tracking (fromMotion) → the same line rule, as',
    '`oko count --from-motion` does, and counts its crossings in the same frames.',
    'Example: oko eval lines ../shared/data/motion/cdnet2014-highway --line 0.1,0.5,0.9,0.5',
  ].join('\n'),
  options: { line: { type: 'string' }, json: { type: 'boolean' } },
  optionHelp: {
    line: 'the counting line: x1,y1,x2,y2, fractions of the frame in [0, 1]',
    json: 'print { dir, line, first, last, truthTracks, truth: { crossings, counts }, oko: { crossings, counts } }',
  },
  async run(args, io) {
    const dir = args.positionals[0]
    if (!dir || args.positionals.length > 1) throw new UsageError('expected exactly one folder: oko eval lines <dir> --line x1,y1,x2,y2')
    if (!existsSync(dir)) throw new UsageError(`folder not found: ${dir}`, ExitCode.input)
    if (typeof args.values.line !== 'string') throw new UsageError('--line x1,y1,x2,y2 is required, e.g. --line 0.1,0.5,0.9,0.5')
    const line = parseLineOption(args.values.line)
    const result = await evaluateLines(dir, line, io.signal)
    io.stdout.write(args.values.json ? `${JSON.stringify(result)}\n` : formatTable(result))
    return ExitCode.ok
  },
}
