import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'
import { OkoError } from '@oko/core'
import type * as onnxruntime from 'onnxruntime-common'
import { readRewrite, rewriteCacheFile, writeRewrite, type RewriteCacheOptions } from './rewrite-cache.js'
import { loadOnnxRuntime, type OnnxEngine } from './runtime.js'

const runtime = loadOnnxRuntime()
// Once per process: worker threads load the same engine, the main thread says so.
if (runtime.fallbackWarning && isMainThread) process.stderr.write(`${runtime.fallbackWarning}\n`)

/** onnxruntime as this process runs it: onnxruntime-node, else onnxruntime-web (see `loadOnnxRuntime`). */
export const ort = runtime.ort
/** Which engine `ort` is. */
export const onnxEngine: OnnxEngine = runtime.engine

export type InferenceSession = onnxruntime.InferenceSession
export type Tensor = onnxruntime.Tensor

/** The one option set oko opens sessions with: single-threaded, sequential, every graph optimisation (one session per worker thread, one thread per core). */
export function sessionOptions(intraOpThreads = 1): onnxruntime.InferenceSession.SessionOptions {
  return { intraOpNumThreads: intraOpThreads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' }
}

export interface OpenSessionOptions {
  /** What the model is, for messages (`detector`, `recognizer`, `embedder`…). */
  readonly role: string
  /** Threads inside one session. Default 1. */
  readonly intraOpThreads?: number
  /**
   * An exact rewrite of the model's bytes before onnxruntime sees them (see `optimizeModel`). If
   * it throws, or onnxruntime rejects what it made, the model is loaded as it is: a rewrite must
   * never cost a user their model.
   */
  readonly rewrite?: (bytes: Uint8Array) => { bytes: Uint8Array; report: unknown }
  /**
   * Keep the rewritten bytes (and the rewrite's report) on disk, keyed by the model's SHA-256 and
   * `key`, so later loads (each worker thread, each run) skip the rewrite. An entry that is not
   * whole, or that onnxruntime rejects, is ignored and written anew.
   */
  readonly rewriteCache?: RewriteCacheOptions
}

/** A session with what identifies its model. */
export interface OpenedSession<R = unknown> {
  readonly session: InferenceSession
  /** `onnx:` and the first 16 hex digits of the file's SHA-256: which model made a result. */
  readonly id: string
  /** What the rewrite changed, when the rewritten graph was loaded. */
  readonly rewritten?: R
}

/** Opens an ONNX model file (or bytes) with oko's option set; errors name the file and the role. */
export async function openSession<R = unknown>(model: string | Uint8Array, options: OpenSessionOptions): Promise<OpenedSession<R>> {
  const { role } = options
  const name = typeof model === 'string' ? model : `<${model.byteLength} bytes>`
  let original: Uint8Array
  if (typeof model === 'string') {
    if (!existsSync(model)) throw new OkoError('ERR_FILE_NOT_FOUND', `${role} model not found: ${model}`)
    if (!statSync(model).isFile()) throw new OkoError('ERR_FILE_NOT_FOUND', `${role} model is not a file: ${model}`)
    original = readFileSync(model)
  } else {
    original = model
  }
  const sha256 = createHash('sha256').update(original).digest('hex')
  const id = `onnx:${sha256.slice(0, 16)}`
  const settings = sessionOptions(options.intraOpThreads)
  if (options.rewrite) {
    const cacheFile = options.rewriteCache ? rewriteCacheFile(sha256, options.rewriteCache) : undefined
    const cached = cacheFile ? readRewrite(cacheFile) : undefined
    if (cached) {
      try {
        return { session: await ort.InferenceSession.create(cached.bytes, settings), id, rewritten: cached.report as R }
      } catch {
        // An entry onnxruntime rejects: rewrite again below, and replace it.
      }
    }
    let rewritten: { bytes: Uint8Array; report: unknown } | undefined
    try {
      rewritten = options.rewrite(original)
    } catch {
      // Not a protobuf the rewrite can parse: onnxruntime reads the original below and says what is wrong.
    }
    if (rewritten) {
      try {
        const session = await ort.InferenceSession.create(rewritten.bytes, settings)
        if (cacheFile) writeRewrite(cacheFile, rewritten)
        return { session, id, rewritten: rewritten.report as R }
      } catch {
        // A graph the rewrite got wrong must not cost the user their model: load it as it is.
      }
    }
  }
  try {
    return { session: await ort.InferenceSession.create(original, settings), id }
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause)
    throw new OkoError('ERR_MODEL', `${role} model ${name} could not be loaded as ONNX: ${reason}`, { cause })
  }
}
