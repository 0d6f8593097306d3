import { latinOf, type RawImage } from '@oko/core'
import { ort, type InferenceSession } from '@oko/onnx'
import { sampleBox, type Normalization, type OrientedBox } from '@oko/imaging'

/** The plate alphabet every reading is restricted to (Latin capitals and digits). */
export const PLATE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** One decoded character with its probability over PLATE_ALPHABET (for format correction). */
export interface DecodedChar {
  char: string
  confidence: number
  /** Probabilities of each PLATE_ALPHABET symbol at this character's peak frame (renormalised). */
  probs: Float32Array
  /** Output frame where the character peaks (for splitting lines). */
  frame: number
}

export interface TextRecognizerOptions {
  /** Input height of the recogniser (PaddleOCR v4: 48). */
  heightPx: number
  minWidthPx: number
  maxWidthPx: number
  normalization: Normalization
  /** Stretch contrast of every crop (2..98th percentile). */
  stretchContrast: boolean
}

export const PADDLE_REC: TextRecognizerOptions = {
  heightPx: 48,
  minWidthPx: 48,
  maxWidthPx: 480,
  normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], order: 'bgr' },
  stretchContrast: true,
}

/**
 * oko's own plate-trained line recogniser (training/plates, shipped in models/): a fixed 128×32 RGB
 * input, trained on synthetic plates without contrast stretch.
 */
export const OKO_REC: TextRecognizerOptions = {
  heightPx: 32,
  minWidthPx: 128,
  maxWidthPx: 128,
  normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], order: 'rgb' },
  stretchContrast: false,
}

/** Output class of each PLATE_ALPHABET symbol in a recogniser's dictionary (-1 when it lacks one). */
export function plateClassesOf(dictionary: readonly string[]): Int32Array {
  const classOf = new Int32Array(PLATE_ALPHABET.length).fill(-1)
  dictionary.forEach((symbol, index) => {
    const up = latinOf(symbol)
    const at = up.length === 1 ? PLATE_ALPHABET.indexOf(up) : -1
    // Prefer the upper-case symbol when both cases exist.
    if (at >= 0 && (classOf[at] === -1 || symbol === up)) classOf[at] = index
  })
  return classOf
}

/** CTC text-line recogniser (PaddleOCR's by default), decoding only plate characters. */
export class TextRecognizer {
  /**
   * @param classOf output class index of each PLATE_ALPHABET symbol (-1: none); class 0 is the CTC blank.
   */
  constructor(
    private readonly session: InferenceSession,
    private readonly classOf: Int32Array,
    private readonly options: TextRecognizerOptions,
  ) {}

  release(): Promise<void> {
    return this.session.release()
  }

  /** Its input has one width whatever the line's (oko's model): reading a line stretched changes nothing. */
  get fixedWidth(): boolean {
    return this.options.minWidthPx === this.options.maxWidthPx
  }

  /** Contrast stretch of its crops by default (a variant reads without it, where that differs). */
  get stretches(): boolean {
    return this.options.stretchContrast
  }

  /** Reads one text line from the oriented box `box` of `image`. */
  async read(image: RawImage, box: OrientedBox, widthScale = 1, stretch = this.options.stretchContrast): Promise<DecodedChar[]> {
    const { heightPx, minWidthPx, maxWidthPx } = this.options
    const width = Math.min(maxWidthPx, Math.max(minWidthPx, Math.round((widthScale * heightPx * box.width) / Math.max(1, box.height))))
    const input = sampleBox(image, box, width, heightPx, this.options.normalization, stretch)
    const feeds = { [this.session.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, heightPx, width]) }
    const result = await this.session.run(feeds)
    const out = result[this.session.outputNames[0]!]!
    const [, steps, classes] = out.dims as [number, number, number]
    return ctcDecode(out.data as Float32Array, steps!, classes!, this.classOf)
  }
}

/**
 * Greedy CTC decoding restricted to PLATE_ALPHABET: at each step, the best of blank and the
 * plate symbols wins; repeats collapse. Confidence is the winning probability renormalised
 * over that restricted set, so a Chinese glyph never outranks a plate character.
 */
export function ctcDecode(probs: Float32Array, steps: number, classes: number, classOf: Int32Array): DecodedChar[] {
  const chars: DecodedChar[] = []
  let prev = -1
  const n = classOf.length
  for (let t = 0; t < steps; t++) {
    const row = t * classes
    const blank = probs[row]!
    let best = -1
    let bestP = blank
    let total = blank
    for (let k = 0; k < n; k++) {
      const c = classOf[k]!
      if (c < 0) continue
      const p = probs[row + c]!
      total += p
      if (p > bestP) { bestP = p; best = k }
    }
    if (best >= 0 && best !== prev) {
      const dist = new Float32Array(n)
      let sum = 0
      for (let k = 0; k < n; k++) {
        const c = classOf[k]!
        if (c >= 0) { dist[k] = probs[row + c]!; sum += dist[k]! }
      }
      for (let k = 0; k < n; k++) dist[k]! /= sum || 1
      chars.push({ char: PLATE_ALPHABET[best]!, confidence: bestP / (total || 1), probs: dist, frame: t })
    } else if (best >= 0 && best === prev) {
      // Same symbol continued: keep its peak.
      const last = chars[chars.length - 1]!
      const conf = bestP / (total || 1)
      if (conf > last.confidence) last.confidence = conf
    }
    prev = best
  }
  return chars
}

// latinOf and normalizePlateText live in @oko/core (vehicle registers need them too); re-exported here.
export { latinOf, normalizePlateText } from '@oko/core'
