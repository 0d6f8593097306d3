import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { MotionEvent, OkoEvent } from '@oko/core'
import { motionStage } from '@oko/motion'
import { Pipeline } from '@oko/pipeline'
import { Source } from '@oko/source'
import type { Command } from '../command.js'
import { ExitCode } from '../command.js'
import { writeDemoClips } from '../demo/scenes.js'
import { checkAgainstTruth } from '../demo/truth.js'
import { formatSummary } from './summary.js'

export const demoCommand: Command = {
  path: ['demo'],
  summary: 'Generate two sample camera clips and run the motion pipeline on them, offline',
  usage: 'demo [--json] [--out <dir>]',
  description: [
    'Renders two synthetic cameras with known ground truth (a street with a walker and a car that',
    'switches to infrared night mode, and the same street in rain), encodes them to H.264, decodes',
    'them with FFmpeg, runs the WASM motion gate on both in one pipeline and prints the events.',
    'Then it checks the events against the truth: every moving object found, no motion reported',
    'for the lighting switch, the rain or the sensor noise. Exit code 1 if that check fails.',
  ].join('\n'),
  options: { json: { type: 'boolean' }, out: { type: 'string' } },
  optionHelp: {
    json: 'print events and the truth check as JSON lines on stdout',
    out: 'keep the generated clips in this folder (default: a temporary folder, removed after)',
  },
  async run(args, io) {
    const keep = typeof args.values.out === 'string'
    const dir = keep ? resolve(String(args.values.out)) : mkdtempSync(join(tmpdir(), 'oko-demo-'))
    const json = args.values.json === true
    try {
      const clips = writeDemoClips(dir)
      const totalFrames = clips.reduce((n, c) => n + c.clip.scene.frames, 0)
      if (!json) io.stdout.write(`oko demo: ${clips.length} cameras (${clips.map((c) => c.id).join(', ')}), ${totalFrames} frames, clips in ${dir}\n`)
      const sources = await Promise.all(clips.map((c) => Source.open(c.clip.path, { id: c.id })))
      await using motionGate = await motionStage()
      const run = Pipeline.from(sources).pipe(motionGate).run({ signal: io.signal })
      const progress = io.progress('demo', totalFrames)
      const motion = new Map<string, MotionEvent[]>(clips.map((c) => [c.id, []]))
      for await (const event of run.events) {
        if (event.type === 'motion') motion.get(event.cameraId)?.push(event)
        io.stdout.write(json ? `${JSON.stringify(event)}\n` : `${describe(event)}\n`)
        progress.update(run.stats().framesIn)
      }
      const summary = await run.completion
      progress.done()
      await Promise.all(sources.map((s) => s.close()))
      const checks = clips.map((c) => checkAgainstTruth(c.id, c.clip, motion.get(c.id) ?? []))
      if (json) {
        for (const check of checks) io.stdout.write(`${JSON.stringify({ type: 'truth', ...check })}\n`)
      } else {
        io.stdout.write(formatSummary(summary))
        for (const c of checks) {
          const objects = c.objects.map((o) => `${o.id} ${o.found ? 'found' : 'MISSED'}`).join(', ')
          io.stdout.write(`truth ${c.cameraId}: ${objects}; motion events while nothing moved: ${c.falseEvents} -> ${c.ok ? 'ok' : 'FAILED'}\n`)
        }
      }
      if (io.signal.aborted) return ExitCode.interrupted
      return checks.every((c) => c.ok) ? ExitCode.ok : ExitCode.failed
    } finally {
      if (!keep) rmSync(dir, { recursive: true, force: true })
    }
  },
}

function describe(e: OkoEvent): string {
  const cameraId = 'cameraId' in e ? e.cameraId : undefined
  const ptsUs = 'ptsUs' in e ? e.ptsUs : undefined
  const at = `[${cameraId ?? '-'}] ${ptsUs === undefined ? '     -' : (ptsUs / 1e6).toFixed(2).padStart(6)} s`
  switch (e.type) {
    case 'motion':
      return `${at} motion  score ${e.score.toFixed(3)} regions ${e.regions.map((r) => `${r.width}x${r.height}@${r.x},${r.y}`).join(' ')}${e.zones.length ? ` zones ${e.zones.map((z) => z.zone).join(',')}` : ''}`
    case 'tamper':
      return `${at} tamper  ${e.reason} ${e.active ? 'started' : 'cleared'}${e.detail ? ` (${e.detail})` : ''}`
    case 'source':
      return `${at} source  ${e.state}${e.detail ? ` (${e.detail})` : ''}`
    case 'dropped':
      return `${at} dropped ${e.count} at ${e.stage} (${e.reason})`
    case 'error':
      return `${at} error   ${e.stage}: ${e.error.message}`
    default:
      return `${at} ${e.type}`
  }
}
