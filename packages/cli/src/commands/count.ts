import { existsSync } from 'node:fs'
import { loadDeployment } from '@oko/deploy'
import { DEFAULT_CLASSES } from '@oko/objects'
import type { Command, CommandIO } from '../command.js'
import { ExitCode, UsageError } from '../command.js'
import { countDeployment, countLine, parseDirectionOption, parseLineOption, type WatchedCounts } from '../line-count.js'
import { followObjects } from '../vehicles.js'

export const countCommand: Command = {
  path: ['count'],
  summary: 'Count the vehicles and people in a clip or stream, per class (one per track), or those crossing a line, per direction',
  usage: 'count <video|url> [--line x1,y1,x2,y2 [--direction a-b|b-a|both]] [--class car,bus,…] [--fps <n>] [--model …] [--from-motion] [--json] | count --config <deploy.yaml> [--json]',
  description: [
    'Runs the clip through the motion gate, the object detector (worker thread) and the tracker,',
    'and counts each tracked object once, by its class (the majority of its detections).',
    'With --line, counts the tracks whose bottom centre crosses the line (fractions of the frame),',
    'per direction and class: a-b is from side A (your right walking the line from its first point',
    'to its second) to side B. --from-motion tracks what moves (class `object`) without the detector.',
    'With --config, runs the deployment\'s cameras and stages (no outputs) and prints the counts of',
    'every line rule (`type: line` under a camera\'s `rules:`) of each camera.',
    'Examples: oko count ../shared/data/video/ru-yard-cam-1.ts --class car,truck --json',
    '          oko count road.mp4 --line 0.5,0.56,0.5,1 --direction a-b',
    '          oko count --config deploy.yaml --json',
  ].join('\n'),
  options: {
    class: { type: 'string' }, fps: { type: 'string' }, model: { type: 'string' }, json: { type: 'boolean' },
    line: { type: 'string' }, direction: { type: 'string' }, config: { type: 'string' }, 'from-motion': { type: 'boolean' },
  },
  optionHelp: {
    class: `classes to count, comma-separated (default ${DEFAULT_CLASSES.join(',')})`,
    fps: 'detector runs per second (default 5)',
    model: 'the detector: centernet (default), nanodet, or your own YOLO-family .onnx',
    line: 'count crossings of this line: x1,y1,x2,y2, fractions of the frame in [0, 1]',
    direction: 'with --line: which crossings to count, a-b, b-a or both (default both)',
    config: 'a deployment file: counts of every line rule of each camera, with the file\'s stages',
    'from-motion': 'track the motion regions (class object) instead of running the detector',
    json: 'print { tracks, counts: { class: n } }; with --line { line, direction, crossings: [{ seq, ptsUs, trackId, class, direction }], counts: { "a-b": { class: n }, "b-a": … } }; with --config { cameras: [{ cameraId, rules: [{ rule, direction, counts }] }] }',
  },
  async run(args, io) {
    if (typeof args.values.config === 'string') return countConfig(args.values.config, args, io)
    const url = args.positionals[0]
    if (!url || args.positionals.length > 1) throw new UsageError('expected one video file or stream URL: oko count <video|url>, or a deployment file: oko count --config deploy.yaml')
    if (!/^[a-z]+:\/\//i.test(url) && !existsSync(url)) throw new UsageError(`file not found: ${url}`, ExitCode.input)
    const classes = typeof args.values.class === 'string' ? args.values.class.split(',').map((c) => c.trim()).filter(Boolean) : undefined
    const fps = args.values.fps === undefined ? undefined : Number(args.values.fps)
    if (fps !== undefined && !(fps > 0)) throw new UsageError(`--fps: expected a positive number, received ${String(args.values.fps)}`)
    const fromMotion = args.values['from-motion'] === true
    if (fromMotion && (classes || args.values.model !== undefined || fps !== undefined)) throw new UsageError('--from-motion tracks motion regions (class object) without a detector: leave out --class, --model and --fps')
    if (args.values.direction !== undefined && args.values.line === undefined) throw new UsageError('--direction goes with --line x1,y1,x2,y2 (the line whose crossings it counts)')
    const detector = { ...(classes ? { classes } : {}), ...(typeof args.values.model === 'string' ? { model: args.values.model } : {}) }
    if (typeof args.values.line === 'string') {
      const line = parseLineOption(args.values.line)
      const direction = parseDirectionOption(typeof args.values.direction === 'string' ? args.values.direction : undefined)
      const result = await countLine(url, { line, direction, detector, fromMotion, signal: io.signal, ...(classes ? { classes } : {}), ...(fps !== undefined ? { fps } : {}) })
      if (args.values.json) io.stdout.write(`${JSON.stringify({ ...result, line: result.line.map((p) => [p.x, p.y]) })}\n`)
      else io.stdout.write(`${url}: ${result.frames} frames, ${result.crossings.length} crossings of ${args.values.line}\n${formatCounts(result.counts, '')}`)
      return ExitCode.ok
    }
    const result = await followObjects(url, { detector, fromMotion, signal: io.signal, ...(fps !== undefined ? { fps } : {}) })
    const tracks = result.ended.map((e) => ({ trackId: e.trackId, class: e.class, firstPtsUs: e.firstPtsUs, lastSeenPtsUs: e.lastSeenPtsUs }))
    const counts: Record<string, number> = {}
    for (const t of tracks) counts[t.class] = (counts[t.class] ?? 0) + 1
    if (args.values.json) io.stdout.write(`${JSON.stringify({ tracks, counts, frames: result.summary.framesIn })}\n`)
    else {
      const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c.padEnd(12)} ${String(n).padStart(5)}`)
      io.stdout.write(`${url}: ${result.summary.framesIn} frames, ${tracks.length} tracks\n${rows.join('\n')}${rows.length ? '\n' : ''}`)
    }
    return ExitCode.ok
  },
}

async function countConfig(file: string, args: Parameters<Command['run']>[0], io: CommandIO): Promise<number> {
  if (args.positionals.length > 0) throw new UsageError(`--config: the cameras come from the file; leave out ${args.positionals[0]}`)
  for (const o of ['line', 'direction', 'class', 'fps', 'model', 'from-motion']) {
    if (args.values[o] !== undefined) throw new UsageError(`--${o} does not go with --config: the file's stages and line rules say what is counted`)
  }
  const config = loadDeployment(file, { env: io.env })
  const result = await countDeployment(config, file, io.signal)
  for (const e of result.errors) io.stderr.write(`oko count: ${e}\n`)
  if (args.values.json) io.stdout.write(`${JSON.stringify(result)}\n`)
  else {
    io.stdout.write(`${file}: ${result.frames} frames\n`)
    for (const c of result.cameras) for (const r of c.rules) io.stdout.write(`${c.cameraId} / ${r.rule}\n${formatCounts(r.counts, '  ')}`)
  }
  return result.errors.length > 0 ? ExitCode.failed : ExitCode.ok
}

/** `a-b  car  3` rows, one per direction and class (a direction with nothing counted shows 0). */
function formatCounts(counts: WatchedCounts, indent: string): string {
  const rows: string[] = []
  for (const [direction, byClass] of Object.entries(counts)) {
    const entries = Object.entries(byClass).sort((a, b) => b[1] - a[1])
    if (entries.length === 0) rows.push(`${indent}${direction.padEnd(5)} ${'(none)'.padEnd(12)} ${'0'.padStart(5)}`)
    for (const [c, n] of entries) rows.push(`${indent}${direction.padEnd(5)} ${c.padEnd(12)} ${String(n).padStart(5)}`)
  }
  return rows.length ? `${rows.join('\n')}\n` : ''
}
