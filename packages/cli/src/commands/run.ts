import { OkoError, type OkoEvent } from '@oko/core'
import type { Command } from '../command.js'
import { ExitCode, UsageError } from '../command.js'
import { loadDeployment, runDeployment, type DeploymentConfig, type DeploymentHooks, type OutputSpec } from '@oko/deploy'
import { captureFfmpegLog, type FfmpegLogCounts, type FfmpegLogLevel } from '@oko/source'
import { formatStatsLine, formatSummary } from './summary.js'

export const runCommand: Command = {
  path: ['run'],
  summary: 'Run a deployment (cameras, stages, outputs) from a YAML or JSON config',
  usage: 'run <config.yaml|json> [--output <file>] [--format jsonl|msgpack] [--stats <s>] [--ffmpeg-log <level>] [--check] [--quiet]',
  description: [
    'Opens every camera of the config, runs the motion gate (and the stages listed) over all of',
    'them in one process, and sends events to its outputs: JSON lines on stdout (default), files,',
    'webhooks, MQTT and NATS (those three through a durable outbox: at-least-once, in order). A',
    'camera that cannot be opened is reported as an error event; the others keep running.',
    'Ctrl-C stops the run: queued work is dropped and counted, the summary goes to stderr.',
    '',
    'Model stages (plates, faces) read the regions that moved, side by side, on worker threads',
    'shared by every camera; a camera never waits for them: its frames queue on a small bounded',
    'edge (files wait, live cameras drop the oldest frame, every drop is counted and reported).',
    'plates: { countries, watchlist: <file, one plate per line or JSON>, threads, minConfidence }',
    'faces: { watchlist: <file from `oko faces enrol`>, threshold, threads, detector: tiny|ssd }',
    'Per camera, stages: { plates: { watchlist }, faces: { watchlist, threshold } } override them.',
    'snapshots: true adds the best crop to plate/face events (personal data; base64 in JSON lines).',
    '',
    'Example config:',
    '  cameras:',
    '    - id: gate-1',
    '      url: rtsp://user:pass@10.0.0.5:554/sub   # detect stream',
    '      main: rtsp://user:pass@10.0.0.5:554/main # optional high-res stream',
    '      fps: 5',
    '      masks: [[[0, 0], [1, 0], [1, 0.08], [0, 0.08]]]   # ignore the timestamp strip',
    '      zones: [{ name: door, polygon: [[0.1, 0.5], [0.3, 0.5], [0.3, 1], [0.1, 1]] }]',
    '    - url: ./clips/yard.mp4',
    '  stages:',
    '    - motion                 # or - motion: { threshold: 20 }',
    '    - plates: { countries: [ua, europe], watchlist: stolen.txt, threads: 1 }',
    '    - faces: { watchlist: staff.watchlist, threshold: 0.5, threads: 1 }',
    '  outputs:                   # several at once; webhooks and brokers through a durable outbox',
    '    - file: events.jsonl',
    '    - mqtt: { url: "mqtt://10.0.0.2:1883", prefix: oko, types: [plate, face] }',
    '    - webhook: { url: "https://centre.example/oko", secret: s3cret, personalData: false }',
    '    - nats: { url: "nats://10.0.0.3:4222", subject: oko.events, stream: OKO_EVENTS }',
    '  outbox: { path: outbox.sqlite, maxMB: 256, maxAgeHours: 168 }',
    '  metrics: { listen: "127.0.0.1:9464" }   # Prometheus: GET /metrics',
    '  evidence: { path: evidence, listen: "127.0.0.1:9465", clips: { types: [plate], preSeconds: 5, postSeconds: 5 } }',
  ].join('\n'),
  options: {
    output: { type: 'string', short: 'o' },
    format: { type: 'string' },
    stats: { type: 'string' },
    'ffmpeg-log': { type: 'string' },
    check: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  },
  optionHelp: {
    output: 'write events to this file instead of the config\'s output',
    format: 'jsonl (default) or msgpack (binary records)',
    stats: 'print a line of live stats to stderr every this many seconds',
    'ffmpeg-log': 'FFmpeg\'s own messages to show on stderr, by camera, at most one a second each: quiet, fatal, error (default), warning, info; all are counted in the summary',
    check: 'validate the config, print what would run, and exit',
    quiet: 'no summary on stderr',
  },
  async run(args, io) {
    const file = args.positionals[0]
    if (!file || args.positionals.length > 1) throw new UsageError(`expected one config file, received ${args.positionals.length}; usage: oko ${this.usage}`)
    const format = args.values.format
    if (format !== undefined && format !== 'jsonl' && format !== 'msgpack') throw new UsageError(`--format: expected "jsonl" or "msgpack", received "${String(format)}"`)
    let config: DeploymentConfig = loadDeployment(file, { env: io.env })
    config = withOutputOverride(config, typeof args.values.output === 'string' ? args.values.output : undefined, format as 'jsonl' | 'msgpack' | undefined)
    const outputs = config.delivery.outputs
    if (args.values.check) {
      io.stdout.write(`${file}: ok, ${config.cameras.length} camera(s) [${config.cameras.map((c) => c.id).join(', ')}], stages [${config.stages.map((s) => s.name).join(', ')}], events to ${outputs.map(describeOutput).join(', ')}\n`)
      return ExitCode.ok
    }
    const stdout = io.stdout as NodeJS.WritableStream & { isTTY?: boolean }
    if (outputs.some((o) => o.kind === 'stdout' && o.format === 'msgpack') && stdout.isTTY) {
      throw new UsageError('msgpack is binary: send it to a file (--output events.msgpack) or a pipe, not a terminal')
    }
    const ffmpegLevel = args.values['ffmpeg-log'] ?? 'error'
    if (!FFMPEG_LEVELS.includes(ffmpegLevel as FfmpegLogLevel)) throw new UsageError(`--ffmpeg-log: expected one of ${FFMPEG_LEVELS.join(', ')}, received "${String(ffmpegLevel)}"`)
    const statsEveryS = args.values.stats === undefined ? undefined : Number(args.values.stats)
    if (statsEveryS !== undefined && !(statsEveryS > 0)) throw new UsageError(`--stats: expected a number of seconds > 0, received "${String(args.values.stats)}"`)
    let timer: NodeJS.Timeout | undefined
    const progress = io.progress('run')
    let count = 0
    const onEvent = (_e: OkoEvent) => progress.update(++count, 'events')
    const onStart: NonNullable<DeploymentHooks['onStart']> = (deployment, _delivery, _alarms, live) => {
      if (live && !args.values.quiet) io.stderr.write(`oko run: live page on ${live.url}\n`)
      if (statsEveryS !== undefined) timer = setInterval(() => io.stderr.write(formatStatsLine(deployment.stats())), statsEveryS * 1000)
    }
    // FFmpeg's own lines (hundreds for one damaged clip) come through oko: by camera, rate-limited, counted
    const ffmpeg = captureOnce({
      level: ffmpegLevel as FfmpegLogLevel,
      onMessage: (m) => io.stderr.write(`oko run: ffmpeg ${m.level}${m.cameraId ? ` [${m.cameraId}]` : ''}: ${m.text}${m.suppressed > 0 ? ` (and ${m.suppressed} similar)` : ''}\n`),
    })
    try {
      const result = await runDeployment(config, { stdout: io.stdout, onEvent, onStart, signal: io.signal })
      progress.done()
      if (!args.values.quiet) io.stderr.write(formatSummary(result.summary, result.failedCameras) + formatFfmpegCounts(ffmpeg?.counts() ?? {}))
      if (io.signal.aborted) return ExitCode.interrupted
      return result.failedCameras.length > 0 ? ExitCode.failed : ExitCode.ok
    } catch (error) {
      // an events file that cannot be created is the user's to fix
      if (error instanceof OkoError && error.code === 'ERR_INVALID_INPUT' && error.message.startsWith('cannot write events to ')) {
        throw new UsageError(`${error.message} (--output <file> or the config's output)`, ExitCode.input)
      }
      throw error
    } finally {
      ffmpeg?.close()
      clearInterval(timer)
    }
  },
}

/** The CLI run inside an application that captures FFmpeg's log itself leaves that capture alone. */
function captureOnce(options: Parameters<typeof captureFfmpegLog>[0]): ReturnType<typeof captureFfmpegLog> | undefined {
  try {
    return captureFfmpegLog(options)
  } catch {
    return undefined
  }
}

const FFMPEG_LEVELS: readonly FfmpegLogLevel[] = ['quiet', 'fatal', 'error', 'warning', 'info', 'debug']

/** `ffmpeg messages: gate-1 312 error, 4 warning; (no camera) 2 warning`, or nothing. */
function formatFfmpegCounts(counts: FfmpegLogCounts): string {
  const parts = Object.entries(counts).map(([id, c]) => `${id || '(no camera)'} ${Object.entries(c).map(([level, n]) => `${n} ${level}`).join(', ')}`)
  return parts.length ? `ffmpeg messages: ${parts.join('; ')}\n` : ''
}

/** `--output`/`--format` replace the config's local outputs (files, stdout); webhooks and brokers stay. */
function withOutputOverride(config: DeploymentConfig, path: string | undefined, format: 'jsonl' | 'msgpack' | undefined): DeploymentConfig {
  if (path === undefined && format === undefined) return config
  const remote = config.delivery.outputs.filter((o) => o.kind !== 'file' && o.kind !== 'stdout')
  const local = config.delivery.outputs.find((o) => o.kind === 'file' || o.kind === 'stdout')
  const f = format ?? (local && 'format' in local ? local.format : 'jsonl')
  const target: OutputSpec = path !== undefined
    ? { kind: 'file', name: 'file', path, format: f, filter: {} }
    : local?.kind === 'file' ? { ...local, format: f } : { kind: 'stdout', name: 'stdout', format: f, filter: local?.filter ?? {} }
  return { ...config, delivery: { ...config.delivery, outputs: [target, ...remote] } }
}

function describeOutput(o: OutputSpec): string {
  switch (o.kind) {
    case 'stdout': return `stdout (${o.format})`
    case 'file': return `${o.path} (${o.format})`
    case 'webhook': return `webhook ${o.url.replace(/\?.*$/, '')}`
    case 'mqtt': return `mqtt ${o.url.replace(/\/\/[^@/]*@/, '//***@')} (${o.prefix ?? 'oko'}/…)`
    case 'nats': return `nats ${o.servers.join(',').replace(/\/\/[^@/]*@/g, '//***@')} (${o.subject ?? 'oko.events'}.…)`
  }
}
