import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FuzzInput } from './inputs.js'
import type { FuzzReply } from './worker.js'

export type Outcome = 'ok' | 'clear error' | 'crash' | 'hang'

export interface FuzzResult {
  readonly input: FuzzInput
  readonly outcome: Outcome
  readonly code: number | undefined
  /** Why it is a crash or a hang, or the error's first line. */
  readonly message: string
  readonly ms: number
}

export interface FuzzReport {
  readonly inputs: number
  readonly ok: number
  readonly clearErrors: number
  readonly crashes: number
  readonly hangs: number
  /** Highest RSS of the worker process after an input, MiB. */
  readonly peakRssMiB: number
  readonly byKind: Readonly<Record<string, Readonly<Record<Outcome, number>>>>
  readonly failures: readonly FuzzResult[]
  readonly slowestMs: number
  readonly elapsedMs: number
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))
const STACK = /\n\s+at .+(:\d+:\d+\)?|\(native\))$/m

/** How one reply ended: exit 0–3 (or 130, interrupted) with, for 1–3, one message naming the problem and no stack trace. */
export function classify(reply: Pick<FuzzReply, 'code' | 'stderr'>): { outcome: Outcome; message: string } {
  // oko's own line, not one of FFmpeg's that `oko run` passes on before it
  const first = reply.stderr.split('\n').find((l) => l.trim() !== '' && !/^oko run: ffmpeg /.test(l)) ?? ''
  if (STACK.test(reply.stderr) || /unexpected failure/.test(reply.stderr)) return { outcome: 'crash', message: `stack trace: ${reply.stderr.slice(0, 600)}` }
  // 130: stopped by the worker's own time limit, the way Ctrl-C stops oko
  if (reply.code === 0 || reply.code === 130) return { outcome: 'ok', message: '' }
  if (reply.code < 0 || reply.code > 3) return { outcome: 'crash', message: `exit ${reply.code}: ${first}` }
  // "oko run: <file or option>: <what is wrong> [CODE]"
  if (!/^(oko [a-z ]+|@\w+): \S.{8,}/.test(first)) return { outcome: 'crash', message: `exit ${reply.code} without a clear message: ${JSON.stringify(reply.stderr.slice(0, 300))}` }
  return { outcome: 'clear error', message: first }
}

/**
 * Runs inputs one at a time in a worker process (`--max-old-space-size` bounds its heap): a reply
 * later than `timeoutMs` is a hang, a worker that dies is a crash; either way the worker is
 * started again for the next input.
 */
export async function runFuzz(inputs: Iterable<FuzzInput>, options: { timeoutMs?: number; heapMiB?: number; onResult?: (r: FuzzResult, done: number) => void } = {}): Promise<FuzzReport> {
  const timeoutMs = options.timeoutMs ?? 30_000
  const started = Date.now()
  const results: FuzzResult[] = []
  let peakRssMiB = 0
  let worker: ChildProcess | undefined
  const start = async (): Promise<ChildProcess> => {
    const child = fork(WORKER, [], {
      execArgv: ['--conditions', 'oko-source', '--import', 'tsx', `--max-old-space-size=${options.heapMiB ?? 1536}`],
      serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    child.stderr!.resume() // FFmpeg's native prints, if any: not part of a reply
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve())
      child.once('exit', (code) => reject(new Error(`fuzz worker did not start (exit ${code})`)))
    })
    return child
  }
  let id = 0
  try {
    for (const input of inputs) {
      worker ??= await start()
      const child = worker
      const t0 = Date.now()
      const reply = await new Promise<FuzzReply | { died: string } | 'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), timeoutMs)
        const onMessage = (m: FuzzReply): void => { if (m.id === id) done(m) }
        const onExit = (code: number | null, signal: string | null): void => done({ died: signal ?? `exit ${code}` })
        const done = (r: FuzzReply | { died: string } | 'timeout'): void => {
          clearTimeout(timer)
          child.off('message', onMessage)
          child.off('exit', onExit)
          resolve(r)
        }
        child.on('message', onMessage)
        child.once('exit', onExit)
        child.send({ id, input })
      })
      id++
      let result: FuzzResult
      if (reply === 'timeout' || 'died' in reply) {
        child.kill('SIGKILL')
        worker = undefined
        result = reply === 'timeout'
          ? { input, outcome: 'hang', code: undefined, message: `no end after ${timeoutMs} ms`, ms: Date.now() - t0 }
          : { input, outcome: 'crash', code: undefined, message: `the process died (${reply.died})`, ms: Date.now() - t0 }
      } else {
        peakRssMiB = Math.max(peakRssMiB, reply.rssMiB)
        result = { input, code: reply.code, ms: reply.ms, ...classify(reply) }
      }
      results.push(result)
      options.onResult?.(result, results.length)
    }
  } finally {
    worker?.kill('SIGKILL')
  }
  const byKind: Record<string, Record<Outcome, number>> = {}
  for (const r of results) {
    const k = (byKind[r.input.kind] ??= { ok: 0, 'clear error': 0, crash: 0, hang: 0 })
    k[r.outcome]++
  }
  const count = (o: Outcome): number => results.filter((r) => r.outcome === o).length
  return {
    inputs: results.length, ok: count('ok'), clearErrors: count('clear error'), crashes: count('crash'), hangs: count('hang'),
    peakRssMiB, byKind, failures: results.filter((r) => r.outcome === 'crash' || r.outcome === 'hang'),
    slowestMs: Math.max(0, ...results.map((r) => r.ms)), elapsedMs: Date.now() - started,
  }
}
