import { readFileSync } from 'node:fs'
import { InvalidOptionError, checkArray, checkKnownKeys, checkObject, checkOneOf, checkString, describeValue, optionalNumber } from '@oko/core'
import type { BoxLayout } from '@oko/onnx'
import { COCO_CLASSES, DEFAULT_CLASSES } from './coco.js'
import type { DetectorModel, DetectorSettings } from './detector.js'
import { DEFAULT_MODEL, type BuiltinModel } from './models.js'

/** What makes a detector pool: the model, the classes to keep, thresholds, threads. */
export interface DetectorOptions {
  /** `centernet` (default), `nanodet`, or a path to your own YOLO-family ONNX detector. */
  readonly model?: BuiltinModel | string
  /** Your model's box layout (default `auto`: told apart by the output's shape). */
  readonly layout?: BoxLayout
  /** Your model's input size, when its graph leaves it dynamic. */
  readonly inputWidth?: number
  readonly inputHeight?: number
  /** Your model's pixel range: `0-1` (Ultralytics) or `0-255` (YOLOX; the default for layout yolox). */
  readonly normalization?: '0-1' | '0-255'
  /** Your model's class names, one per line, in its class order. Default: COCO's 80. */
  readonly labels?: string
  /** Class names to keep. Default car, bus, truck, motorcycle, bicycle, person. */
  readonly classes?: readonly string[]
  /** Least score of a detection. Default 0.35. */
  readonly scoreThreshold?: number
  /** IoU above which a box of the same class is a duplicate (NMS). Default 0.5. */
  readonly nmsIou?: number
  /** Worker threads (one onnxruntime session each, on one core). Default 1. */
  readonly threads?: number
  /** Where built-in conversions are cached. Default `$XDG_CACHE_HOME/oko` or `~/.cache/oko`. */
  readonly cacheDir?: string
  /**
   * CenterNet's square input, a multiple of 32 from 160 to 1024 (default 512, as published). A
   * run at 320² costs ~0.4× of one at 512² and finds the same cars on the 1080p yard clips when
   * the search area is around what moved; small, far objects need the larger input.
   */
  readonly inputSize?: number
}

export const DETECTOR_KEYS = ['model', 'layout', 'inputWidth', 'inputHeight', 'normalization', 'labels', 'classes', 'scoreThreshold', 'nmsIou', 'threads', 'cacheDir', 'inputSize']

/** Resolved: what each worker thread opens (structured-cloned to it), with the label of every class id. */
export interface ResolvedDetectorOptions {
  readonly settings: DetectorSettings
  /** Class names by the model's class id. */
  readonly labels: readonly string[]
  readonly threads: number
}

/** Checks detector options; errors name `path.option` and the fix. */
export function resolveDetectorOptions(value: unknown, path = 'options', extraKeys: readonly string[] = []): ResolvedDetectorOptions {
  const o = checkObject(path, value ?? {})
  checkKnownKeys(path, o, [...DETECTOR_KEYS, ...extraKeys])
  const name = o.model === undefined ? DEFAULT_MODEL : checkString(`${path}.model`, o.model)
  let model: DetectorModel
  if (name === 'centernet' || name === 'nanodet') {
    for (const k of ['layout', 'inputWidth', 'inputHeight', 'normalization', 'labels']) {
      if (o[k] !== undefined) throw new InvalidOptionError(`${path}.${k}`, `applies to your own ONNX model only (model: path/to/model.onnx); the built-in ${name} takes none`)
    }
    let inputSize: number | undefined
    if (o.inputSize !== undefined) {
      if (name !== 'centernet') throw new InvalidOptionError(`${path}.inputSize`, `applies to centernet only; ${name} runs at its own input size (remove inputSize, or use model: centernet)`)
      inputSize = optionalNumber(`${path}.inputSize`, o.inputSize, 512, { min: 160, max: 1024, integer: true })
      if (inputSize % 32 !== 0) throw new InvalidOptionError(`${path}.inputSize`, `expected a multiple of 32 (e.g. 320, 384 or 512), received ${inputSize}`)
    }
    model = { kind: name, ...(o.cacheDir !== undefined ? { cacheDir: checkString(`${path}.cacheDir`, o.cacheDir) } : {}), ...(inputSize !== undefined ? { inputSize } : {}) }
  } else {
    if (!name.endsWith('.onnx')) throw new InvalidOptionError(`${path}.model`, `expected centernet, nanodet or a path to an .onnx detector, received ${describeValue(name)}`)
    if (o.inputSize !== undefined) throw new InvalidOptionError(`${path}.inputSize`, 'applies to the built-in centernet only; give your own model\'s size as inputWidth and inputHeight')
    const size = { min: 16, max: 4096, integer: true }
    model = {
      kind: 'onnx', path: name,
      ...(o.layout !== undefined ? { layout: checkOneOf(`${path}.layout`, o.layout, ['auto', 'yolox', 'yolov5', 'yolov8', 'end2end'] as const) } : {}),
      ...(o.inputWidth !== undefined ? { inputWidth: optionalNumber(`${path}.inputWidth`, o.inputWidth, 0, size) } : {}),
      ...(o.inputHeight !== undefined ? { inputHeight: optionalNumber(`${path}.inputHeight`, o.inputHeight, 0, size) } : {}),
      ...(o.normalization !== undefined ? { normalization: checkOneOf(`${path}.normalization`, o.normalization, ['0-1', '0-255'] as const) } : {}),
    }
  }
  const labels = o.labels === undefined ? [...COCO_CLASSES] : readLabels(`${path}.labels`, checkString(`${path}.labels`, o.labels))
  const wanted = o.classes === undefined ? [...DEFAULT_CLASSES] : checkArray(`${path}.classes`, o.classes).map((c, i) => checkString(`${path}.classes[${i}]`, c))
  if (wanted.length === 0) throw new InvalidOptionError(`${path}.classes`, 'expected at least one class name, e.g. [car, bus, truck, person]')
  const classIds = wanted.map((c, i) => {
    const id = labels.indexOf(c)
    if (id < 0) {
      const near = labels.filter((l) => l.startsWith(c.slice(0, 2))).slice(0, 5)
      throw new InvalidOptionError(`${path}.classes[${i}]`, `the model has no class ${describeValue(c)}${near.length > 0 ? ` (did you mean ${near.join(', ')}?)` : ''}; its classes are ${o.labels === undefined ? 'COCO\'s 80 (person, bicycle, car, motorcycle, bus, truck, …)' : `the lines of ${String(o.labels)}`}`)
    }
    return id
  })
  const settings: DetectorSettings = {
    model,
    classIds,
    scoreThreshold: optionalNumber(`${path}.scoreThreshold`, o.scoreThreshold, 0.35, { min: 0, max: 1, exclusiveMin: true }),
    nmsIou: optionalNumber(`${path}.nmsIou`, o.nmsIou, 0.5, { min: 0, max: 1, exclusiveMin: true }),
    labelCount: labels.length,
  }
  return { settings, labels, threads: optionalNumber(`${path}.threads`, o.threads, 1, { min: 1, max: 64, integer: true }) }
}

/** A labels file: one class name per line (blank lines at the end ignored). */
function readLabels(path: string, file: string): string[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new InvalidOptionError(path, `cannot read the labels file ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}); give a text file with one class name per line, in the model's class order`)
  }
  const lines = text.replace(/\s+$/, '').split(/\r?\n/).map((l) => l.trim())
  if (lines.length === 0 || lines[0] === '') throw new InvalidOptionError(path, `${file} is empty; give one class name per line, in the model's class order`)
  return lines
}
