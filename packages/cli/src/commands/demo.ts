import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { OkoEvent } from '@oko/core'
import { checkListen, loadDeployment, runDeployment } from '@oko/deploy'
import type { Command } from '../command.js'
import { ExitCode, UsageError } from '../command.js'
import { demoDeployment, writeDemoClips } from '../demo/scenes.js'
import { checkAgainstTruth, type TruthCheck } from '../demo/truth.js'
import { formatSummary } from './summary.js'

export const demoCommand: Command = {
  path: ['demo'],
  summary: 'Generate two sample cameras and run the whole chain on them (motion, objects, plates, rules), offline, checked against their truth',
  usage: 'demo [--json] [--out <dir>] [--serve [--listen <host:port>]]',
  description: [
    'Renders two synthetic cameras with known ground truth and encodes them to H.264: a city',
    'crossing (cars with UA and EU plates, a walker, a stop line with its traffic light, a',
    'no-parking zone) and a street at dusk that switches to infrared. Then it runs the deployment',
    'it wrote next to them (deploy.yaml: motion → objects → tracking → attributes → plates → rules)',
    'and prints objects with their type and colour, plates with their vehicle\'s track, and rule',
    'events (line crossings and counts, the red-light violation, the no-parking dwell). Each is',
    'checked against the scene\'s truth; exit code 1 if a check fails.',
    '',
    'With --serve, the clips loop in real time and the live page serves them on 127.0.0.1 (a free',
    'port, or --listen); the URL and a one-time token are printed. Ctrl-C stops it.',
  ].join('\n'),
  options: { json: { type: 'boolean' }, out: { type: 'string' }, serve: { type: 'boolean' }, listen: { type: 'string' } },
  optionHelp: {
    json: 'print events and the truth checks as JSON lines on stdout',
    out: 'keep the generated clips, deploy.yaml and events.jsonl in this folder (default: a temporary folder, removed after)',
    serve: 'loop the clips and serve the live page until Ctrl-C (no truth check)',
    listen: 'with --serve: host:port of the live page (default 127.0.0.1 and a free port)',
  },
  async run(args, io) {
    const serve = args.values.serve === true
    if (args.values.listen !== undefined && !serve) throw new UsageError('--listen: only with --serve')
    const listen = typeof args.values.listen === 'string' ? args.values.listen : '127.0.0.1:0'
    try {
      checkListen('--listen', listen)
    } catch (error) {
      throw new UsageError((error as Error).message)
    }
    const keep = typeof args.values.out === 'string'
    const dir = keep ? resolve(String(args.values.out)) : mkdtempSync(join(tmpdir(), 'oko-demo-'))
    const json = args.values.json === true
    const started = performance.now()
    try {
      const clips = writeDemoClips(dir)
      const totalFrames = clips.reduce((n, c) => n + c.clip.scene.frames, 0)
      const configFile = join(dir, 'deploy.yaml')
      writeFileSync(configFile, demoDeployment(clips, serve ? { listen } : undefined))
      if (!json) io.stdout.write(`oko demo: ${clips.length} cameras (${clips.map((c) => c.id).join(', ')}), ${totalFrames} frames; clips and the deployment (deploy.yaml) in ${dir}\n`)
      // the live page's token: made here, printed once, given to the config through its environment only
      const token = randomBytes(16).toString('hex')
      const config = loadDeployment(configFile, { env: { OKO_DEMO_TOKEN: token } })
      const byCamera = new Map<string, OkoEvent[]>(clips.map((c) => [c.id, []]))
      const progress = serve ? undefined : io.progress('demo', totalFrames)
      let frames = 0
      const onEvent = (event: OkoEvent) => {
        const cameraId = 'cameraId' in event ? event.cameraId : undefined
        if (cameraId && !serve) byCamera.get(cameraId)?.push(event)
        if (json) io.stdout.write(`${JSON.stringify(event)}\n`)
        else {
          const line = describe(event)
          if (line) io.stdout.write(`${line}\n`)
        }
        if ('seq' in event && typeof event.seq === 'number') frames = Math.max(frames, event.seq)
        progress?.update(frames)
      }
      const result = await runDeployment(config, {
        onEvent,
        signal: io.signal,
        onStart: (_deployment, _delivery, _alarms, live) => {
          if (!live) return
          io.stdout.write(`oko demo: live page on ${live.url} (token ${token}; API: curl -H "Authorization: Bearer <token>" ${live.url.replace(/\/$/, '')}/api/cameras); Ctrl-C stops\n`)
        },
      })
      progress?.done()
      if (serve) {
        if (!json) io.stdout.write(formatSummary(result.summary, result.failedCameras))
        return io.signal.aborted || result.failedCameras.length === 0 ? ExitCode.ok : ExitCode.failed
      }
      const checks = clips.map((c) => checkAgainstTruth(c.id, c.clip, byCamera.get(c.id) ?? [], c.city))
      const seconds = (performance.now() - started) / 1000
      if (json) {
        for (const check of checks) io.stdout.write(`${JSON.stringify({ type: 'truth', ...check })}\n`)
        io.stdout.write(`${JSON.stringify({ type: 'demo', ok: checks.every((c) => c.ok), seconds: +seconds.toFixed(1) })}\n`)
      } else {
        io.stdout.write(formatSummary(result.summary, result.failedCameras))
        io.stdout.write(formatChecks(checks, seconds))
      }
      if (io.signal.aborted) return ExitCode.interrupted
      return checks.every((c) => c.ok) && result.failedCameras.length === 0 ? ExitCode.ok : ExitCode.failed
    } finally {
      if (!keep) rmSync(dir, { recursive: true, force: true })
    }
  },
}

/** The truth checks per camera, then one line: PASS or FAIL with what failed. */
function formatChecks(checks: readonly TruthCheck[], seconds: number): string {
  const lines: string[] = []
  for (const c of checks) {
    lines.push(`truth ${c.cameraId}:`)
    for (const k of c.checks) lines.push(`  ${k.name.padEnd(8)} ${k.ok ? 'ok    ' : 'FAILED'} ${k.found.join('; ')}`)
  }
  const failed = checks.flatMap((c) => c.checks.filter((k) => !k.ok).map((k) => `${c.cameraId} ${k.name}`))
  const total = checks.reduce((n, c) => n + c.checks.length, 0)
  lines.push(failed.length === 0
    ? `PASS: all ${total} checks match the scenes' truth (${seconds.toFixed(0)} s)`
    : `FAIL: ${failed.length} of ${total} checks do not match the truth: ${failed.join(', ')} (${seconds.toFixed(0)} s)`)
  return `${lines.join('\n')}\n`
}

/** One line for the events a newcomer wants to see; motion events and object updates are left to --json. */
function describe(e: OkoEvent): string | undefined {
  const cameraId = 'cameraId' in e ? e.cameraId : undefined
  const ptsUs = 'ptsUs' in e ? e.ptsUs : undefined
  const at = `[${cameraId ?? '-'}] ${ptsUs === undefined ? '     -' : (ptsUs / 1e6).toFixed(1).padStart(5)} s`
  const track = (id: string) => `…${id.slice(-6)}`
  switch (e.type) {
    case 'object': {
      if (e.phase === 'update') return undefined
      const a = e.attributes
      const colour = a.colour ? ` ${String(a.colour.value)}` : ''
      const plate = a.plate ? ` plate ${String(a.plate.value)}` : ''
      return `${at} object  ${e.phase === 'start' ? 'start' : 'end  '} ${e.class}${e.phase === 'end' ? `${colour}${plate}` : ''} track ${track(e.trackId)}`
    }
    case 'plate':
      return `${at} plate   ${e.text}${e.format ? ` (${e.format})` : ''} on vehicle track ${e.objectId ? track(e.objectId) : '(none)'}, ${e.readings} readings`
    case 'rule': {
      const r = e
      switch (r.kind) {
        case 'line': return `${at} rule    ${r.rule}: ${r.class} track ${track(r.trackId)} crossed ${r.direction}${r.plate ? ` (${r.plate})` : ''}`
        case 'count': return `${at} rule    ${r.rule}: totals a-b ${JSON.stringify(r.totals['a-b'])} b-a ${JSON.stringify(r.totals['b-a'])}`
        case 'red-light': return `${at} rule    ${r.rule}: RED-LIGHT VIOLATION ${r.class} track ${track(r.trackId)}${r.plate ? ` plate ${r.plate}` : ''}, red for ${r.redForSeconds.toFixed(1)} s`
        case 'dwell': return `${at} rule    ${r.rule}: ${r.class} track ${track(r.trackId)}${r.plate ? ` (${r.plate})` : ''} in the zone ${r.seconds.toFixed(1)} s: over the limit`
        case 'light': return `${at} rule    ${r.rule}: light ${r.state}`
        default: return `${at} rule    ${r.rule}: ${r.kind}`
      }
    }
    case 'motion':
      return undefined
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
