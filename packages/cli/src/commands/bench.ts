import { writeFileSync } from 'node:fs'
import type { Command } from '../command.js'
import { ExitCode, UsageError } from '../command.js'
import { BENCH_NAMES, formatBenchReport, runBenchmarks, type BenchName } from '../bench/index.js'

export const benchCommand: Command = {
  path: ['bench'],
  summary: 'Measure this machine: decode vs pipeline CPU, cameras per core, worker dispatch, memory under overload',
  usage: 'bench [--only decode,cameras,dispatch,memory] [--quick] [--json] [--out <file>]',
  description: [
    'Runs the integrator benchmarks on the machine at hand (run it on the hardware you are about to buy):',
    '  decode    the pipeline with the motion stage vs `ffmpeg -threads 1 -i X -f null -` on the same',
    '            H.264 street clips (1080p, 720p, 360p), CPU seconds, and cameras per core at 25 fps',
    '  cameras   4 and 8 real-time 720p cameras in one process with motion: cores used, cameras per core',
    '  dispatch  round trip of a 720p frame to a worker thread: transferred vs copied',
    '  memory    a live 25 fps camera into a stage 5x slower: memory stays flat, drops are counted',
    'Needs the ffmpeg command line (clips are encoded with it and it is the decode baseline).',
    'Prints a table (progress on a terminal) or, with --json, one JSON object. Exit 1 when a target is missed.',
  ].join('\n'),
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean' },
    json: { type: 'boolean' },
    out: { type: 'string' },
  },
  optionHelp: {
    only: `comma-separated subset of ${BENCH_NAMES.join(', ')}`,
    quick: 'short clips and one repeat (about a minute)',
    json: 'print the report as JSON instead of a table',
    out: 'also write the JSON report to this file',
  },
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"; usage: oko ${this.usage}`)
    let only: BenchName[] | undefined
    if (typeof args.values.only === 'string') {
      only = args.values.only.split(',').map((s) => s.trim()) as BenchName[]
      const bad = only.find((n) => !BENCH_NAMES.includes(n))
      if (bad) throw new UsageError(`--only: unknown benchmark "${bad}"; choose from ${BENCH_NAMES.join(', ')}`)
    }
    let progress: ReturnType<typeof io.progress> | undefined
    const report = await runBenchmarks({
      ...(only ? { only } : {}),
      quick: args.values.quick === true,
      onProgress: (done, total, note) => {
        progress ??= io.progress('bench', total)
        progress.update(done, note)
      },
    })
    progress?.done()
    const json = `${JSON.stringify(report, null, 2)}\n`
    if (typeof args.values.out === 'string') writeFileSync(args.values.out, json)
    io.stdout.write(args.values.json ? json : formatBenchReport(report))
    return report.targets.every((t) => t.pass) ? ExitCode.ok : ExitCode.failed
  },
}
