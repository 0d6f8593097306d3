import { OkoError } from '@oko/core'
import { probe, setFfmpegLogLevel, type ProbeResult, type ProbedStream } from '@oko/source'
import type { Command } from '../command.js'
import { ExitCode, UsageError } from '../command.js'

function describeStream(s: ProbedStream): string {
  const parts = [`#${s.index} ${s.type} ${s.codec}`]
  if (s.width !== undefined) parts.push(`${s.width}x${s.height}`)
  if (s.fps !== undefined) parts.push(`${s.fps} fps`)
  if (s.pixelFormat !== undefined) parts.push(s.pixelFormat)
  if (s.sampleRate !== undefined) parts.push(`${s.sampleRate} Hz ${s.channels} ch`)
  if (s.bitRate !== undefined) parts.push(`${(s.bitRate / 1e6).toFixed(2)} Mb/s`)
  if (s.frames !== undefined) parts.push(`${s.frames} frames`)
  return parts.join('  ')
}

function describe(r: ProbeResult): string {
  const lines = [`${r.url}  (${r.container}, ${r.live ? 'live' : 'file'})`]
  r.streams.forEach((s, i) => lines.push(`  ${describeStream(s)}${i === r.videoStream ? `  ← ${decoding(r)}` : ''}`))
  if (r.durationMs !== undefined) lines.push(`  duration: ${(r.durationMs / 1000).toFixed(2)} s`)
  return `${lines.join('\n')}\n`
}

function decoding(r: ProbeResult): string {
  const d = r.decoding
  if (!d || d.decodable) return `decoded by oko${d?.from ? ` (${d.from} converted once by FFmpeg to ${d.format})` : ''}`
  return `oko cannot decode it: ${d.reason}`
}

export const probeCommand: Command = {
  path: ['probe'],
  summary: 'Show what a camera URL or video file offers: codecs, resolution, fps, streams',
  usage: 'probe <url|file>... [--json] [--transport tcp|udp] [--timeout-ms N]',
  description: [
    'Opens each source the way `oko run` does and lists its container, duration and streams.',
    'Cameras usually publish a main stream and sub-streams at separate URLs (for example',
    '/Streaming/Channels/101 and /102): probe each to pick the detect stream (low resolution)',
    'and the main stream (sharp crops). Passwords in URLs are shown as ***.',
    '',
    'Examples:',
    '  oko probe rtsp://admin:pw@10.0.0.5:554/Streaming/Channels/102',
    '  oko probe gate.mp4 --json',
  ].join('\n'),
  options: {
    json: { type: 'boolean' },
    transport: { type: 'string' },
    'timeout-ms': { type: 'string' },
  },
  optionHelp: {
    json: 'print one JSON object per source (JSON lines) instead of text',
    transport: 'RTSP transport: tcp (default) or udp',
    'timeout-ms': 'give up connecting after this many ms (default 10000)',
  },
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError('give at least one URL or file, e.g. `oko probe rtsp://10.0.0.5/stream1`')
    const transport = args.values.transport ?? 'tcp'
    if (transport !== 'tcp' && transport !== 'udp') throw new UsageError(`--transport: expected tcp or udp, received ${String(transport)}`)
    const timeout = args.values['timeout-ms']
    const timeoutMs = timeout === undefined ? 10_000 : Number(timeout)
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout-ms: expected a positive number of ms, received ${String(timeout)}`)
    setFfmpegLogLevel('quiet')
    let exit: number = ExitCode.ok
    for (const url of args.positionals) {
      try {
        const result = await probe(url, { transport, timeoutMs })
        io.stdout.write(args.values.json ? `${JSON.stringify(result)}\n` : describe(result))
      } catch (error) {
        if (!(error instanceof OkoError)) throw error
        io.stderr.write(`oko probe: ${error.message} [${error.code}]\n`)
        exit = error.code === 'ERR_INVALID_OPTION' ? ExitCode.usage : ExitCode.input
      }
    }
    return exit
  },
}
