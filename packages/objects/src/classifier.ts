import { readFileSync } from 'node:fs'
import { InvalidOptionError, OkoError, checkArray, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkString, optionalNumber, type RawImage, type Rect } from '@oko/core'
import { sampleBox } from '@oko/imaging'
import { openSession, ort, type InferenceSession } from '@oko/onnx'

/** A user's image classifier (make/model, or any other attribute of a vehicle crop). */
export interface ClassifierOptions {
  /** The ONNX model: one rank-4 NCHW input [1, 3, height, width], one output [1, classes] (logits or probabilities). */
  readonly model: string
  /** Its class names, one per line, in its output order. */
  readonly labels: string
  /** Input size when the graph leaves it dynamic. */
  readonly inputWidth?: number
  readonly inputHeight?: number
  /** Normalisation `(v / 255 - mean) / std` per channel. Default ImageNet's. */
  readonly mean?: readonly [number, number, number]
  readonly std?: readonly [number, number, number]
  /** Channel order of the input. Default rgb. */
  readonly order?: 'rgb' | 'bgr'
  /** Alternatives kept. Default 3. */
  readonly topK?: number
  /** Below this the attribute is not set. Default 0.3. */
  readonly minConfidence?: number
}

export const CLASSIFIER_KEYS = ['model', 'labels', 'inputWidth', 'inputHeight', 'mean', 'std', 'order', 'topK', 'minConfidence']

export interface Classification {
  readonly label: string
  readonly confidence: number
  /** The best `topK`, best first (the first is `label`). */
  readonly top: readonly { readonly value: string; readonly confidence: number }[]
}

/**
 * Runs a user's ONNX classifier on crops (one onnxruntime session, one thread). Checked when
 * opened: the input's rank and channels, the labels file's line count against the output.
 */
export class ImageClassifier {
  private constructor(
    private readonly session: InferenceSession,
    readonly labels: readonly string[],
    private readonly input: { width: number; height: number },
    private readonly norm: { mean: [number, number, number]; std: [number, number, number]; order: 'rgb' | 'bgr' },
    readonly topK: number,
    readonly minConfidence: number,
  ) {}

  static async open(options: ClassifierOptions, path = 'options'): Promise<ImageClassifier> {
    const o = checkObject(path, options)
    checkKnownKeys(path, o, CLASSIFIER_KEYS)
    const file = checkString(`${path}.model`, o.model)
    const labels = readLines(`${path}.labels`, checkString(`${path}.labels`, o.labels))
    const triple = (k: string, fallback: number[]) => {
      const v = checkArray(`${path}.${k}`, o[k], fallback)
      if (v.length !== 3) throw new InvalidOptionError(`${path}.${k}`, `expected three numbers (one per channel), received ${v.length}`)
      return v.map((x, i) => checkNumber(`${path}.${k}[${i}]`, x)) as [number, number, number]
    }
    const mean = triple('mean', [0.485, 0.456, 0.406]), std = triple('std', [0.229, 0.224, 0.225])
    if (std.some((s) => s === 0)) throw new InvalidOptionError(`${path}.std`, 'a channel\'s std is 0; give the standard deviations the model was trained with, e.g. [0.229, 0.224, 0.225]')
    const order = checkOneOf(`${path}.order`, o.order, ['rgb', 'bgr'] as const, 'rgb')
    const topK = optionalNumber(`${path}.topK`, o.topK, 3, { min: 1, max: 100, integer: true })
    const minConfidence = optionalNumber(`${path}.minConfidence`, o.minConfidence, 0.3, { min: 0, max: 1 })
    let opened
    try {
      opened = await openSession(file, { role: 'classifier' })
    } catch (error) {
      throw error instanceof OkoError ? new InvalidOptionError(`${path}.model`, error.message) : error
    }
    const session = opened.session
    const meta = session as InferenceSession & { inputMetadata?: readonly { shape?: readonly (number | string)[] }[]; outputMetadata?: readonly { shape?: readonly (number | string)[] }[] }
    const shape = meta.inputMetadata?.[0]?.shape
    const dim = (s: readonly (number | string)[] | undefined, i: number) => (typeof s?.[i] === 'number' && (s[i] as number) > 0 ? (s[i] as number) : undefined)
    if (shape && (shape.length !== 4 || (dim(shape, 1) !== undefined && dim(shape, 1) !== 3))) {
      await session.release()
      throw new InvalidOptionError(`${path}.model`, `${file} takes a rank-${shape.length} input [${shape.join(', ')}]; a classifier takes an image tensor [1, 3, height, width] (NCHW)`)
    }
    const width = o.inputWidth !== undefined ? checkNumber(`${path}.inputWidth`, o.inputWidth, { min: 8, max: 4096, integer: true }) : dim(shape, 3)
    const height = o.inputHeight !== undefined ? checkNumber(`${path}.inputHeight`, o.inputHeight, { min: 8, max: 4096, integer: true }) : dim(shape, 2)
    if (!width || !height) {
      await session.release()
      throw new InvalidOptionError(`${path}.inputWidth`, `${file} has a dynamic input size; set inputWidth and inputHeight`)
    }
    const out = meta.outputMetadata?.[0]?.shape
    const classes = out ? dim(out, out.length - 1) : undefined
    if (classes !== undefined && classes !== labels.length) {
      await session.release()
      throw new InvalidOptionError(`${path}.labels`, `${String(o.labels)} has ${labels.length} lines and ${file} scores ${classes} classes; give one line per class, in the model's output order`)
    }
    return new ImageClassifier(session, labels, { width, height }, { mean, std, order }, topK, minConfidence)
  }

  /** Classifies `box` of `image` (stretched to the model's input). */
  async classify(image: RawImage, box: Rect): Promise<Classification> {
    const { width, height } = this.input
    const data = sampleBox(image, { cx: box.x + box.width / 2, cy: box.y + box.height / 2, width: box.width, height: box.height, angle: 0 }, width, height, this.norm)
    const result = await this.session.run({ [this.session.inputNames[0]!]: new ort.Tensor('float32', data, [1, 3, height, width]) })
    const scores = Array.from(result[this.session.outputNames[0]!]!.data as Float32Array)
    if (scores.length !== this.labels.length) throw new OkoError('ERR_MODEL', `classifier gave ${scores.length} scores for ${this.labels.length} labels`)
    const probs = isDistribution(scores) ? scores : softmax(scores)
    const top = probs.map((confidence, i) => ({ value: this.labels[i]!, confidence })).sort((a, b) => b.confidence - a.confidence).slice(0, this.topK)
    return { label: top[0]!.value, confidence: top[0]!.confidence, top }
  }

  release(): Promise<void> {
    return this.session.release()
  }
}

function isDistribution(v: number[]): boolean {
  const sum = v.reduce((a, b) => a + b, 0)
  return v.every((x) => x >= 0 && x <= 1) && Math.abs(sum - 1) < 1e-3
}

function softmax(v: number[]): number[] {
  const max = Math.max(...v)
  const e = v.map((x) => Math.exp(x - max))
  const sum = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / sum)
}

function readLines(path: string, file: string): string[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new InvalidOptionError(path, `cannot read the labels file ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}); give a text file with one class name per line`)
  }
  const lines = text.replace(/\s+$/, '').split(/\r?\n/).map((l) => l.trim())
  if (lines[0] === '') throw new InvalidOptionError(path, `${file} is empty; give one class name per line`)
  return lines
}
