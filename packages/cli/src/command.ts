import type { ParseArgsConfig } from 'node:util'
import type { Progress } from './progress.js'

/** Exit codes of `oko`. */
export const ExitCode = {
  ok: 0,
  /** The command ran but its check failed (a target missed, a camera failed). */
  failed: 1,
  /** Wrong arguments: the message says which and how to fix them. */
  usage: 2,
  /** Input not found or unreadable (file, folder, URL). */
  input: 3,
  /** Interrupted (SIGINT). */
  interrupted: 130,
} as const

export interface CommandIO {
  readonly stdout: NodeJS.WritableStream
  readonly stderr: NodeJS.WritableStream
  /** Progress on stderr when it is a terminal; silent otherwise. */
  progress(label: string, total?: number): Progress
  /** Aborted on SIGINT. */
  readonly signal: AbortSignal
  readonly env: NodeJS.ProcessEnv
}

export interface CommandArgs {
  readonly positionals: readonly string[]
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>
}

/** One `oko` command (or sub-command such as `eval motion`). */
export interface Command {
  /** Words that select it: `['demo']`, `['eval', 'motion']`. */
  readonly path: readonly string[]
  readonly summary: string
  /** Usage line without the leading `oko`. */
  readonly usage: string
  /** Longer help: what it does, what it prints, examples. */
  readonly description: string
  readonly options: NonNullable<ParseArgsConfig['options']>
  /** Help text per option name. */
  readonly optionHelp: Readonly<Record<string, string>>
  run(args: CommandArgs, io: CommandIO): Promise<number>
}

/** An error whose message is for the user; the CLI prints it without a stack and exits with `exitCode`. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode: number = ExitCode.usage) {
    super(message)
    this.name = 'UsageError'
  }
}
