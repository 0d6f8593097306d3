import { KernelModule } from '@oko/wasm'
import type { Command } from '../command.js'
import { ExitCode } from '../command.js'

export const wasmCommand: Command = {
  path: ['wasm'],
  summary: 'Show which WASM build (SIMD or scalar) this machine runs, and why',
  usage: 'wasm [--json]',
  description: 'Loads the kernel module the way every camera does and prints the chosen build.',
  options: { json: { type: 'boolean' } },
  optionHelp: { json: 'print one JSON object instead of text' },
  async run(args, io) {
    const module = await KernelModule.load()
    if (args.values.json) io.stdout.write(`${JSON.stringify({ build: module.build, reason: module.reason })}\n`)
    else io.stdout.write(`wasm build: ${module.build} (${module.reason})\n`)
    return ExitCode.ok
  },
}
