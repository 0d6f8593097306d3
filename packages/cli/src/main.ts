import { parseArgs } from 'node:util'
import { OkoError } from '@oko/core'
import type { Command, CommandIO } from './command.js'
import { ExitCode, UsageError } from './command.js'
import { commands as allCommands } from './commands/index.js'
import { createProgress } from './progress.js'

export interface MainOptions {
  stdout?: NodeJS.WritableStream
  stderr?: NodeJS.WritableStream
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal
  commands?: readonly Command[]
}

/** Runs `oko <argv>`; resolves to the exit code. Never throws. */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout
  const stderr = options.stderr ?? process.stderr
  const commands = options.commands ?? allCommands
  const io: CommandIO = {
    stdout,
    stderr,
    env: options.env ?? process.env,
    signal: options.signal ?? new AbortController().signal,
    progress: (label, total) => createProgress(stderr, label, total),
  }
  const words = argv.filter((a) => !a.startsWith('-'))
  const wantsHelp = argv.includes('--help') || argv.includes('-h')
  const command = findCommand(commands, words)
  if (!command) {
    if (words.length === 0 || words[0] === 'help') {
      stdout.write(overview(commands, words.slice(1)))
      return ExitCode.ok
    }
    const group = commands.filter((c) => c.path[0] === words[0])
    if (group.length > 0) {
      ;(wantsHelp ? stdout : stderr).write(overview(group, []))
      return wantsHelp ? ExitCode.ok : ExitCode.usage
    }
    stderr.write(`oko: unknown command "${words.join(' ')}"; run \`oko --help\` for the list\n`)
    return ExitCode.usage
  }
  if (wantsHelp) {
    stdout.write(commandHelp(command))
    return ExitCode.ok
  }
  const rest = dropPath(argv, command.path)
  try {
    const parsed = parseArgs({ args: [...rest], options: command.options, allowPositionals: true, strict: true })
    return await command.run({ positionals: parsed.positionals, values: parsed.values }, io)
  } catch (error) {
    return report(error, command, stderr)
  }
}

function report(error: unknown, command: Command, stderr: NodeJS.WritableStream): number {
  const prefix = `oko ${command.path.join(' ')}`
  if (error instanceof UsageError) {
    stderr.write(`${prefix}: ${error.message}\n`)
    return error.exitCode
  }
  const code = (error as { code?: string }).code
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    stderr.write(`${prefix}: ${(error as Error).message}\nusage: oko ${command.usage}\n`)
    return ExitCode.usage
  }
  if (error instanceof OkoError) {
    stderr.write(`${prefix}: ${error.message} [${error.code}]\n`)
    if (error.code === 'ERR_INVALID_OPTION') return ExitCode.usage
    if (error.code === 'ERR_FILE_NOT_FOUND' || error.code === 'ERR_SOURCE_UNREACHABLE') return ExitCode.input
    if (error.code === 'ERR_ABORTED') return ExitCode.interrupted
    return ExitCode.failed
  }
  stderr.write(`${prefix}: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  return ExitCode.failed
}

function findCommand(commands: readonly Command[], words: readonly string[]): Command | undefined {
  let best: Command | undefined
  for (const c of commands) {
    if (c.path.every((w, i) => words[i] === w) && (!best || c.path.length > best.path.length)) best = c
  }
  return best
}

function dropPath(argv: readonly string[], path: readonly string[]): string[] {
  const out = [...argv]
  for (const word of path) out.splice(out.indexOf(word), 1)
  return out
}

function overview(commands: readonly Command[], _filter: readonly string[]): string {
  const width = Math.max(...commands.map((c) => c.usage.length))
  const lines = commands.map((c) => `  oko ${c.usage.padEnd(width)}  ${c.summary}`)
  return `oko: camera streams in, security events out.\n\nCommands:\n${lines.join('\n')}\n\nRun \`oko <command> --help\` for a command's options.\n`
}

function commandHelp(c: Command): string {
  const opts = Object.entries(c.options).map(([name, o]) => {
    const flag = `--${name}${o.short ? `, -${o.short}` : ''}${o.type === 'string' ? ' <value>' : ''}`
    return `  ${flag.padEnd(28)} ${c.optionHelp[name] ?? ''}`
  })
  return `usage: oko ${c.usage}\n\n${c.summary}.\n\n${c.description}\n${opts.length ? `\nOptions:\n${opts.join('\n')}\n` : ''}  --help, -h${' '.repeat(18)} show this help\n`
}
