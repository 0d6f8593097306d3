import { PassThrough } from 'node:stream'
import { main } from '@oko/cli'

/** Runs `oko ...argv` in this process (empty environment) and collects what it wrote. */
export async function oko(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string; stdoutBytes: Buffer }> {
  const out = new PassThrough(), err = new PassThrough()
  const chunks: Buffer[] = []
  let stderr = ''
  out.on('data', (c: Buffer) => chunks.push(c))
  err.on('data', (c) => (stderr += c))
  const code = await main(argv, { stdout: out, stderr: err, env: {} })
  const stdoutBytes = Buffer.concat(chunks)
  return { code, stdout: stdoutBytes.toString(), stderr, stdoutBytes }
}
