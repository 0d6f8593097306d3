import { existsSync } from 'node:fs'
import { DEFAULT_CLASSES } from '@oko/objects'
import type { Command } from '../command.js'
import { ExitCode, UsageError } from '../command.js'
import { followObjects } from '../vehicles.js'

export const countCommand: Command = {
  path: ['count'],
  summary: 'Count the vehicles and people in a clip or stream, per class (one per track)',
  usage: 'count <video|url> [--class car,bus,…] [--fps <n>] [--model centernet|nanodet|<file.onnx>] [--json]',
  description: [
    'Runs the clip through the motion gate, the object detector (worker thread) and the tracker,',
    'and counts each tracked object once, by its class (the majority of its detections).',
    'Counting objects that cross a line (--line) comes with @oko/rules.',
    'Example: oko count ../shared/data/video/ru-yard-cam-1.ts --class car,truck --json',
  ].join('\n'),
  options: { class: { type: 'string' }, fps: { type: 'string' }, model: { type: 'string' }, json: { type: 'boolean' } },
  optionHelp: {
    class: `classes to count, comma-separated (default ${DEFAULT_CLASSES.join(',')})`,
    fps: 'detector runs per second (default 5)',
    model: 'the detector: centernet (default), nanodet, or your own YOLO-family .onnx',
    json: 'print { "tracks": [{ trackId, class, firstPtsUs, lastSeenPtsUs }], "counts": { class: n } }',
  },
  async run(args, io) {
    const url = args.positionals[0]
    if (!url || args.positionals.length > 1) throw new UsageError('expected one video file or stream URL: oko count <video|url>')
    if (!/^[a-z]+:\/\//i.test(url) && !existsSync(url)) throw new UsageError(`file not found: ${url}`, ExitCode.input)
    const classes = typeof args.values.class === 'string' ? args.values.class.split(',').map((c) => c.trim()).filter(Boolean) : undefined
    const fps = args.values.fps === undefined ? undefined : Number(args.values.fps)
    if (fps !== undefined && !(fps > 0)) throw new UsageError(`--fps: expected a positive number, received ${String(args.values.fps)}`)
    const result = await followObjects(url, {
      detector: { ...(classes ? { classes } : {}), ...(typeof args.values.model === 'string' ? { model: args.values.model } : {}) },
      ...(fps !== undefined ? { fps } : {}),
      signal: io.signal,
    })
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
