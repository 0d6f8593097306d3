import { createRequire } from 'node:module'
import { OkoError } from '@oko/core'
import type * as OnnxCommon from 'onnxruntime-common'

/** The onnxruntime API oko uses: onnxruntime-node and onnxruntime-web both export onnxruntime-common's. */
export type Ort = typeof OnnxCommon

/** The engine that runs the models: native (onnxruntime-node) or WebAssembly (onnxruntime-web). */
export type OnnxEngine = 'onnxruntime-node' | 'onnxruntime-web'

export interface OnnxRuntime {
  readonly ort: Ort
  readonly engine: OnnxEngine
  /** Set when the native engine was wanted but could not be loaded: the one line that says what to do. */
  readonly fallbackWarning?: string
}

/** Set to `onnxruntime-web` to run on WebAssembly although onnxruntime-node is installed (benchmarks, tests). */
export const ONNX_ENGINE_VARIABLE = 'OKO_ONNX_ENGINE'

/**
 * Picks the engine once per thread. onnxruntime-node is an optional dependency: on Linux x64 its
 * install script downloads the CUDA provider from api.nuget.org, which fails where only the npm
 * registry is reachable, and npm then drops the package and goes on. onnxruntime-web (pure
 * WebAssembly, no install script) runs the same models, slower, one thread per session.
 */
export function loadOnnxRuntime(env: NodeJS.ProcessEnv = process.env): OnnxRuntime {
  const require = createRequire(import.meta.url)
  const wanted = env[ONNX_ENGINE_VARIABLE] || 'onnxruntime-node'
  if (wanted !== 'onnxruntime-node' && wanted !== 'onnxruntime-web') {
    throw new OkoError('ERR_INVALID_OPTION', `${ONNX_ENGINE_VARIABLE}=${wanted} is not an engine: use onnxruntime-node or onnxruntime-web (or leave it unset)`)
  }
  let fallbackWarning: string | undefined
  if (wanted === 'onnxruntime-node') {
    try {
      return { ort: require('onnxruntime-node') as Ort, engine: 'onnxruntime-node' }
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes("'onnxruntime-node'")
      const why = missing ? 'onnxruntime-node is not installed (npm leaves it out when its install script fails, as it does without access to api.nuget.org)' : `onnxruntime-node could not be loaded (${String((error as Error).message).split('\n')[0]})`
      fallbackWarning = `oko: ${why}, so ONNX models run on onnxruntime-web (WebAssembly, ${WASM_SLOWDOWN} slower); for the native engine: ${INSTALL_NATIVE}`
    }
  }
  const ort = require('onnxruntime-web') as Ort & { env: { wasm: { numThreads?: number } } }
  // One thread per session, as on the native engine (one session per worker thread, one thread per core).
  ort.env.wasm.numThreads = 1
  return { ort, engine: 'onnxruntime-web', fallbackWarning }
}

/** How to get the native engine without its download: npm installs the optional package again, its script skipped (npm 10 and 11). */
export const INSTALL_NATIVE = 'run `ONNXRUNTIME_NODE_INSTALL=skip npm install` (or add "allowScripts": { "onnxruntime-node": false } to package.json, npm 11)'

/** The plate reader on onnxruntime-web against onnxruntime-node (bench/results/plates-engines.json). */
const WASM_SLOWDOWN = '3-5x'
