import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { OkoError, editDistance, iou, type Rect, type RawImage } from '@oko/core'
import { normalizePlateText } from './recognizer.js'

/** One labelled image of an evaluation set. */
export interface LabelledImage {
  file: string
  plates: { text: string; box?: Rect }[]
}

/**
 * Reads a folder's ground truth: `groundtruth.json` (file → list of plate strings) or OpenALPR
 * benchmark files (`NAME.txt`: `file\tx\ty\tw\th\tPLATE`, one plate per line).
 */
export function loadGroundTruth(dir: string): LabelledImage[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new OkoError('ERR_FILE_NOT_FOUND', `evaluation folder not found: ${dir}`)
  const json = join(dir, 'groundtruth.json')
  if (existsSync(json)) {
    let data: unknown
    try {
      data = JSON.parse(readFileSync(json, 'utf8'))
    } catch (cause) {
      throw new OkoError('ERR_INVALID_INPUT', `${json}: not valid JSON`, { cause })
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new OkoError('ERR_INVALID_INPUT', `${json}: expected an object mapping file → list of plates`)
    return Object.entries(data as Record<string, unknown>).map(([file, plates]) => {
      if (!Array.isArray(plates)) throw new OkoError('ERR_INVALID_INPUT', `${json}: "${file}" must map to a list of plate strings`)
      return { file: join(dir, file), plates: plates.map((p) => ({ text: normalizePlateText(String(p)) })) }
    }).sort((a, b) => a.file.localeCompare(b.file))
  }
  const byFile = new Map<string, LabelledImage>()
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
    for (const line of readFileSync(join(dir, name), 'utf8').split(/\r?\n/)) {
      const cols = line.trim().split(/\t+|\s+/)
      if (cols.length < 6) continue
      const [file, x, y, w, h, ...text] = cols
      const entry = byFile.get(file!) ?? { file: join(dir, basename(file!)), plates: [] }
      entry.plates.push({ text: normalizePlateText(text.join('')), box: { x: Number(x), y: Number(y), width: Number(w), height: Number(h) } })
      byFile.set(file!, entry)
    }
  }
  if (byFile.size === 0) throw new OkoError('ERR_INVALID_INPUT', `${dir}: no groundtruth.json and no OpenALPR NAME.txt files (file x y w h PLATE)`)
  return [...byFile.values()]
}

export interface PlateGuess {
  text: string
  box: Rect
}

export interface ImageScore {
  file: string
  ms: number
  expected: string[]
  read: string[]
  exact: number
  /** Exact when O and 0 count as one glyph (several ground-truth files write O for 0). */
  exactO0: number
  chars: number
  charsCorrect: number
  boxes: number
  detected: number
  falsePositives: number
  /** Character errors of the plates not read exactly, against the closest reading (see characterErrors). */
  confusions: string[]
  error?: string
}

/**
 * Scores one image: a plate is read exactly when one guess equals it; character accuracy is
 * 1 − edit distance / length against the closest guess; a plate is detected when a guess box
 * overlaps its box with IoU ≥ 0.5.
 */
export function scoreImage(truth: LabelledImage, guesses: readonly PlateGuess[], ms: number): ImageScore {
  let exact = 0, exactO0 = 0, chars = 0, charsCorrect = 0, boxes = 0, detected = 0
  const used = new Set<number>()
  const confusions: string[] = []
  for (const plate of truth.plates) {
    chars += plate.text.length
    let bestEdit = plate.text.length
    let closest: string | undefined
    guesses.forEach((g, i) => {
      const d = editDistance(plate.text, g.text)
      if (d < bestEdit) { bestEdit = d; closest = g.text }
      if (d === 0 || o0(plate.text) === o0(g.text)) used.add(i)
    })
    if (bestEdit > 0) confusions.push(...(closest === undefined ? ['not read'] : characterErrors(plate.text, closest)))
    charsCorrect += Math.max(0, plate.text.length - bestEdit)
    if (guesses.some((g) => g.text === plate.text)) exact++
    if (guesses.some((g) => o0(g.text) === o0(plate.text))) exactO0++
    if (plate.box) {
      boxes++
      if (guesses.some((g) => iou(g.box, plate.box!) >= 0.5)) detected++
    }
  }
  return {
    file: truth.file, ms, expected: truth.plates.map((p) => p.text), read: guesses.map((g) => g.text),
    exact, exactO0, chars, charsCorrect, boxes, detected, falsePositives: guesses.length - used.size, confusions,
  }
}

/**
 * The edits that turn `expected` into `read`, along one cheapest alignment: `W→N` (a character
 * read as another), `7→·` (lost), `·→1` (added).
 */
export function characterErrors(expected: string, read: string): string[] {
  const n = expected.length, m = read.length
  const d: number[][] = Array.from({ length: n + 1 }, (_, i) => Array.from({ length: m + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= n; i++) for (let j = 1; j <= m; j++) {
    d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (expected[i - 1] === read[j - 1] ? 0 : 1))
  }
  const out: string[] = []
  for (let i = n, j = m; i > 0 || j > 0;) {
    if (i > 0 && j > 0 && d[i]![j] === d[i - 1]![j - 1]! + (expected[i - 1] === read[j - 1] ? 0 : 1)) {
      if (expected[i - 1] !== read[j - 1]) out.push(`${expected[i - 1]}→${read[j - 1]}`)
      i--; j--
    } else if (i > 0 && d[i]![j] === d[i - 1]![j]! + 1) { out.push(`${expected[i - 1]}→·`); i-- } else { out.push(`·→${read[j - 1]}`); j-- }
  }
  return out.reverse()
}

export interface EvaluationSummary {
  images: number
  plates: number
  exactAccuracy: number
  exactAccuracyO0: number
  characterAccuracy: number
  /** Undefined when the set has no boxes. */
  detectionRate?: number
  falsePositivesPerImage: number
  msPerImage: number
  errors: number
  /** How often each character error occurs (`W→N`, `7→·`, `·→1`, `not read`), most frequent first. */
  confusions: Record<string, number>
}

export function summarize(scores: readonly ImageScore[]): EvaluationSummary {
  const sum = (f: (s: ImageScore) => number) => scores.reduce((a, s) => a + f(s), 0)
  const plates = sum((s) => s.expected.length)
  const boxes = sum((s) => s.boxes)
  return {
    images: scores.length,
    plates,
    exactAccuracy: plates ? sum((s) => s.exact) / plates : 0,
    exactAccuracyO0: plates ? sum((s) => s.exactO0) / plates : 0,
    characterAccuracy: sum((s) => s.chars) ? sum((s) => s.charsCorrect) / sum((s) => s.chars) : 0,
    ...(boxes ? { detectionRate: sum((s) => s.detected) / boxes } : {}),
    falsePositivesPerImage: scores.length ? sum((s) => s.falsePositives) / scores.length : 0,
    msPerImage: scores.length ? sum((s) => s.ms) / scores.length : 0,
    errors: scores.filter((s) => s.error !== undefined).length,
    confusions: countConfusions(scores.flatMap((s) => s.confusions)),
  }
}

function countConfusions(all: readonly string[]): Record<string, number> {
  const counts = new Map<string, number>()
  for (const c of all) counts.set(c, (counts.get(c) ?? 0) + 1)
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)))
}

/** Runs `read` over a labelled folder. `decode` turns a file into pixels (e.g. @oko/source decodeImage). */
export async function evaluateFolder(
  dir: string,
  decode: (file: string) => RawImage,
  read: (image: RawImage) => Promise<readonly PlateGuess[]>,
  onImage?: (score: ImageScore) => void,
): Promise<{ summary: EvaluationSummary; images: ImageScore[] }> {
  const images: ImageScore[] = []
  for (const truth of loadGroundTruth(dir)) {
    let score: ImageScore
    try {
      const image = decode(truth.file)
      const t0 = performance.now()
      const guesses = await read(image)
      score = scoreImage(truth, guesses, performance.now() - t0)
    } catch (error) {
      score = { ...scoreImage(truth, [], 0), error: error instanceof Error ? error.message : String(error) }
    }
    images.push(score)
    onImage?.(score)
  }
  return { summary: summarize(images), images }
}

const o0 = (s: string) => s.replace(/O/g, '0')
