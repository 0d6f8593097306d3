// One process that runs fuzz inputs one after another (the runner kills and restarts it on a hang
// or a crash). Each input's files go into a fresh folder; the command runs in this process, as
// `oko` would, and the reply says how it ended.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { PassThrough } from 'node:stream'
import { OkoError } from '@oko/core'
import { main } from '@oko/cli'
import { resolveMotionOptions } from '@oko/motion'
import { decodeImage, resolveSourceOptions, setFfmpegLogLevel } from '@oko/source'
import { API_DECODE_IMAGE, API_MOTION_OPTIONS, API_SOURCE_OPTIONS, type FuzzInput } from './inputs.js'

export interface FuzzReply { id: number; code: number; stdout: string; stderr: string; ms: number; rssMiB: number }

setFfmpegLogLevel('quiet')
const root = mkdtempSync(join(tmpdir(), 'oko-fuzz-'))
process.on('exit', () => rmSync(root, { recursive: true, force: true }))

process.on('message', (message: { id: number; input: FuzzInput }) => {
  void handle(message.id, message.input).then((reply) => process.send!(reply))
})
process.send!({ ready: true })

async function handle(id: number, input: FuzzInput): Promise<FuzzReply> {
  const dir = join(root, String(id))
  mkdirSync(dir)
  const started = Date.now()
  let out = ''
  let err = ''
  let code: number
  try {
    for (const [name, data] of Object.entries(input.files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true })
      writeFileSync(join(dir, name), data)
    }
    const argv = input.argv.map((a) => a.replaceAll('{dir}', dir))
    if (argv[0]!.startsWith('@')) {
      code = api(argv, (s) => { err += s })
    } else {
      const stdout = new PassThrough().on('data', (c) => { if (out.length < 20_000) out += c })
      const stderr = new PassThrough().on('data', (c) => { if (err.length < 20_000) err += c })
      code = await main(argv, { stdout, stderr, env: {}, signal: AbortSignal.timeout(15_000) })
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return { id, code, stdout: out.slice(0, 2000), stderr: err.slice(0, 4000), ms: Date.now() - started, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) }
}

/** Library entry points: 0 when accepted, 2 for a clear OkoError (message to `write`), 1 with the stack otherwise. */
function api(argv: string[], write: (s: string) => void): number {
  try {
    if (argv[0] === API_DECODE_IMAGE) decodeImage(argv[1]!)
    else if (argv[0] === API_SOURCE_OPTIONS) resolveSourceOptions(argv[1], JSON.parse(argv[2]!))
    else if (argv[0] === API_MOTION_OPTIONS) resolveMotionOptions(JSON.parse(argv[1]!))
    return 0
  } catch (error) {
    if (error instanceof OkoError) { write(`${argv[0]}: ${error.message} [${error.code}]\n`); return 2 }
    write(`${argv[0]}: unexpected failure: ${(error as Error).stack}\n`)
    return 1
  }
}
