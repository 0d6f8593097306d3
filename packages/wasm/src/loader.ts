import { readFile } from 'node:fs/promises'
import { OkoError, InvalidOptionError, checkNumber, checkOneOf, checkBoolean, checkObject, checkKnownKeys } from '@oko/core'
import type { KernelExports } from './exports.js'
import { wasmSimdSupported } from './simd.js'

export type WasmBuild = 'simd' | 'scalar'

export interface KernelModuleOptions {
  /** Which build: `auto` (default) takes SIMD where the engine validates it. */
  build?: 'auto' | WasmBuild
  /** The debug build (assertions on; slower). For tests. Default false. */
  debug?: boolean
}

/** Bytes at the start of memory left to AssemblyScript's static data. */
const RESERVED_BYTES = 65536
const PAGE_BYTES = 65536

/**
 * A compiled kernel module. Compile once, then `instantiate()` one instance per camera: an
 * instance owns its memory, a module holds none.
 */
export class KernelModule {
  /** The build in use. */
  readonly build: WasmBuild
  readonly debug: boolean
  /** Why this build was chosen, for logs and `oko probe`. */
  readonly reason: string
  readonly #module: WebAssembly.Module

  private constructor(module: WebAssembly.Module, build: WasmBuild, debug: boolean, reason: string) {
    this.#module = module
    this.build = build
    this.debug = debug
    this.reason = reason
  }

  static async load(options: KernelModuleOptions = {}): Promise<KernelModule> {
    const opts = checkObject('options', options)
    checkKnownKeys('options', opts, ['build', 'debug'])
    const wanted = checkOneOf('options.build', opts.build, ['auto', 'simd', 'scalar'] as const, 'auto')
    const debug = checkBoolean('options.debug', opts.debug, false)
    const simd = wasmSimdSupported()
    if (wanted === 'simd' && !simd) {
      throw new OkoError('ERR_UNSUPPORTED', 'options.build: "simd" was asked for, but this engine does not support WASM SIMD; use "auto" or "scalar"')
    }
    const build: WasmBuild = wanted === 'auto' ? (simd ? 'simd' : 'scalar') : wanted
    const reason = wanted === 'auto' ? `auto: engine ${simd ? 'supports' : 'lacks'} WASM SIMD` : `asked for ${wanted}`
    const file = new URL(`../build/oko-${build}${debug ? '.debug' : ''}.wasm`, import.meta.url)
    let bytes: Buffer
    try {
      bytes = await readFile(file)
    } catch (cause) {
      throw new OkoError('ERR_FILE_NOT_FOUND', `WASM build not found at ${file.pathname}: run \`pnpm build\` in the oko checkout`, { cause })
    }
    return new KernelModule(await WebAssembly.compile(bytes), build, debug, reason)
  }

  /** A new instance with `bytes` of host-owned memory for its buffers, sized once. */
  instantiate(bytes: number): KernelInstance {
    checkNumber('bytes', bytes, { min: 0, max: 2 ** 31, integer: true })
    const pages = Math.ceil((RESERVED_BYTES + bytes) / PAGE_BYTES)
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages })
    const imports = {
      env: {
        memory,
        abort(_msg: number, _file: number, line: number, column: number) {
          throw new OkoError('ERR_WASM', `WASM assertion failed at line ${line}:${column} (debug build)`)
        },
      },
    }
    const instance = new WebAssembly.Instance(this.#module, imports)
    return new KernelInstance(memory, instance.exports as unknown as KernelExports, RESERVED_BYTES, pages * PAGE_BYTES)
  }
}

/**
 * One kernel instance with its own fixed memory. Buffers are reserved once (`reserve`) and
 * never freed; memory never grows, so views stay valid for the instance's life.
 */
export class KernelInstance {
  readonly kernels: KernelExports
  readonly memory: WebAssembly.Memory
  readonly #limit: number
  #next: number

  constructor(memory: WebAssembly.Memory, kernels: KernelExports, start: number, limit: number) {
    this.memory = memory
    this.kernels = kernels
    this.#next = start
    this.#limit = limit
  }

  /** Reserves `bytes` (16-byte aligned) and returns the offset. */
  reserve(bytes: number): number {
    const offset = this.#next
    const end = offset + ((bytes + 15) & ~15)
    if (end > this.#limit) {
      throw new InvalidOptionError('bytes', `instance memory exhausted: ${bytes} more bytes asked, ${this.#limit - offset} left; instantiate with more bytes`)
    }
    this.#next = end
    return offset
  }

  /** A view of `length` bytes at `offset`. */
  view(offset: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, offset, length)
  }

  /** Bytes still free for `reserve`. */
  get freeBytes(): number {
    return this.#limit - this.#next
  }
}
