import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseMotFile, scoreTracks } from '@oko/tracking'
import type { Command } from '../command.js'
import { ExitCode, UsageError } from '../command.js'
import { followObjects } from '../vehicles.js'

export const evalTracksCommand: Command = {
  path: ['eval', 'tracks'],
  summary: 'Score the detector and tracker on a MOT-challenge-layout sequence (MOTA, IDF1, ID switches)',
  usage: 'eval tracks <dir> [--video <file>] [--class car,…] [--fps <n>] [--iou <0..1>] [--json]',
  description: [
    'Runs <dir>\'s video (--video, or the one video file in <dir>: .mp4 .mkv .ts .avi) through',
    'motion → objects → tracking and scores the confirmed tracks of every frame against',
    '<dir>/gt/gt.txt (MOT rows: frame from 1, id, x, y, w, h[, conf, class, visibility]; conf 0 rows',
    'are ignored) by CLEAR-MOT (MOTA, ID switches) and identity (IDF1) rules at IoU ≥ --iou (0.5).',
    'Example: oko eval tracks ./labelled-gate --class car,bus,truck --json',
  ].join('\n'),
  options: { video: { type: 'string' }, class: { type: 'string' }, fps: { type: 'string' }, iou: { type: 'string' }, json: { type: 'boolean' } },
  optionHelp: {
    video: 'the sequence as a video (default: the one video file in <dir>)',
    class: 'classes to detect and track, comma-separated (default: vehicles and people)',
    fps: 'detector runs per second (default: every frame, 1000)',
    iou: 'least IoU of a match (default 0.5)',
    json: 'print one JSON object instead of the table',
  },
  async run(args, io) {
    const dir = args.positionals[0]
    if (!dir || args.positionals.length > 1) throw new UsageError('expected exactly one folder: oko eval tracks <dir>')
    const gtFile = join(dir, 'gt', 'gt.txt')
    if (!existsSync(gtFile)) throw new UsageError(`ground truth not found: ${gtFile} (MOT-challenge layout: <dir>/gt/gt.txt)`, ExitCode.input)
    let video = typeof args.values.video === 'string' ? args.values.video : undefined
    if (!video) {
      const found = readdirSync(dir).filter((f) => /\.(mp4|mkv|ts|avi|mov)$/i.test(f))
      if (found.length !== 1) throw new UsageError(`${dir}: expected one video file (found ${found.length}); give it with --video`, ExitCode.input)
      video = join(dir, found[0]!)
    }
    if (!existsSync(video)) throw new UsageError(`video not found: ${video}`, ExitCode.input)
    const minIou = args.values.iou === undefined ? 0.5 : Number(args.values.iou)
    if (!(minIou > 0 && minIou <= 1)) throw new UsageError(`--iou: expected a number in (0, 1], received ${String(args.values.iou)}`)
    let truth
    try {
      truth = parseMotFile(readFileSync(gtFile, 'utf8'), gtFile)
    } catch (error) {
      throw new UsageError((error as Error).message, ExitCode.input)
    }
    const classes = typeof args.values.class === 'string' ? args.values.class.split(',').map((c) => c.trim()).filter(Boolean) : undefined
    const result = await followObjects(video, {
      detector: classes ? { classes } : {},
      fps: args.values.fps === undefined ? 1000 : Number(args.values.fps),
      signal: io.signal,
    })
    const m = scoreTracks(truth, result.boxes, minIou)
    if (args.values.json) io.stdout.write(`${JSON.stringify({ dir, video, ...m })}\n`)
    else {
      io.stdout.write([
        `${dir}: ${m.frames} frames, ${m.truthIds} objects in the truth (${m.truthBoxes} boxes), ${m.trackIds} tracks`,
        `MOTA ${m.mota.toFixed(3)}  IDF1 ${m.idf1.toFixed(3)}  ID switches ${m.idSwitches}  recall ${m.recall.toFixed(3)}  precision ${m.precision.toFixed(3)}`,
        `misses ${m.misses}  false positives ${m.falsePositives}  mostly tracked ${m.mostlyTracked}  mostly lost ${m.mostlyLost}`,
      ].join('\n') + '\n')
    }
    return ExitCode.ok
  },
}
