import { PassThrough } from 'node:stream'
import { main } from '@oko/cli'

export interface OkoResult { code: number; stdout: string; stderr: string; stdoutBytes: Buffer }

/** Runs `oko ...argv` in this process (empty environment) and collects what it wrote. */
export async function oko(...argv: string[]): Promise<OkoResult> {
  return okoWith({}, ...argv)
}

/**
 * `oko ...argv` with an environment and a signal (Ctrl-C); `onOutput` sees both as they come
 * (to stop a live run once it has said enough).
 */
export async function okoWith(options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; onOutput?: (stdout: string, stderr: string) => void }, ...argv: string[]): Promise<OkoResult> {
  const out = new PassThrough(), err = new PassThrough()
  const chunks: Buffer[] = []
  let stderr = ''
  out.on('data', (c: Buffer) => { chunks.push(c); options.onOutput?.(Buffer.concat(chunks).toString(), stderr) })
  err.on('data', (c) => { stderr += c; options.onOutput?.(Buffer.concat(chunks).toString(), stderr) })
  const code = await main(argv, { stdout: out, stderr: err, env: options.env ?? {}, ...(options.signal ? { signal: options.signal } : {}) })
  const stdoutBytes = Buffer.concat(chunks)
  return { code, stdout: stdoutBytes.toString(), stderr, stdoutBytes }
}
