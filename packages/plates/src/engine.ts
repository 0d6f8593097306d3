import { OkoError, clampRect, iou, type Point, type Rect, type RawImage, checkRawImage } from '@oko/core'
import { boundsOf, boxOfRect, type OrientedBox } from '@oko/imaging'
import { BoxDetector, OPTIMIZE_VERSION, optimizeModel, openSession, type OptimizeReport } from '@oko/onnx'
import { plateCandidates, type PlateCandidate } from './candidates.js'
import { PADDLE_DET, TextDetector, type TextBox } from './detector.js'
import { compileFormats, matchFormat, type CompiledFormats, type FormatMatch } from './formats.js'
import { readDictionary } from './models.js'
import { PADDLE_REC, PLATE_ALPHABET, TextRecognizer, plateClassesOf, type DecodedChar } from './recognizer.js'
import type { ResolvedReaderOptions } from './options.js'

/** One plate found and read in an image. Personal data: do not log `text`. */
export interface PlateReading {
  /** Upper-case Latin letters and digits, no spaces (Cyrillic look-alikes mapped to Latin). */
  text: string
  /** Format id that matched (`ua`, `ru`, `de`, `us-generic`…). */
  format: string
  /** Country code of the format (`UA`, `RU`, `EU`, `US`…). */
  country: string
  /** Geometric mean of the character confidences, in [0, 1]. */
  confidence: number
  charConfidences: number[]
  /** Axis-aligned plate box in image pixels. */
  box: Rect
  /** Plate corners (top-left, top-right, bottom-right, bottom-left) in image pixels; tilted plates are rectified from these. */
  corners: [Point, Point, Point, Point]
  /** Text lines on the plate: 2 for square plates, 3 for the small UA ones (AA over 1234 over BB). */
  lines: 1 | 2 | 3
  /** Characters the format changed (O→0, B→8…), by position. */
  corrected: number[]
}

export interface ReadOptions {
  /** Look only inside this region (a vehicle box); the whole image by default. */
  region?: Rect
  /**
   * Scale images smaller than the detector input up (at most 2×) so small plates are found
   * (default true for whole images; false with `region`, which is read at 320-640 px: a vehicle's
   * plate is large enough).
   */
  upscale?: boolean
  /**
   * The image (or region) is one plate, cropped: read it without detection (one line, or two
   * stacked lines when it is less than 2.5 times as wide as high, or three when less than 1.6 times).
   * Returns at most one reading.
   */
  crop?: boolean
}

/**
 * The in-process plate finder and reader: one detector and one recogniser session on this
 * thread. `PlateReader` runs these in worker threads; tests and `oko eval` may use it directly.
 */
export class PlateEngine {
  private closed = false

  private constructor(
    private readonly detector: TextDetector | BoxDetector,
    /** The plate reader first, then the second reader (for lines the first is unsure of), if any. */
    private readonly recognizers: readonly TextRecognizer[],
    private readonly formats: CompiledFormats,
    private readonly options: ResolvedReaderOptions,
  ) {}

  static async create(options: ResolvedReaderOptions): Promise<PlateEngine> {
    const det = options.detector
    const formats = compileFormats(options.formats, options.countries)
    const recs = options.second ? [options.recognizer, options.second] : [options.recognizer]
    const [detModel, ...recognizers] = await Promise.all([
      openSession<OptimizeReport>(det.model, { role: 'detector', intraOpThreads: options.intraOpThreads, rewrite: (bytes) => optimizeModel(bytes), rewriteCache: { key: `optimize-v${OPTIMIZE_VERSION}` } }),
      ...recs.map((rec, i) => openRecognizer(rec, i === 0 ? 'recognizer' : 'second recognizer', options.intraOpThreads)),
    ])
    const detector = det.boxes ? new BoxDetector(detModel!.session, det.boxes) : new TextDetector(detModel!.session, { ...PADDLE_DET, ...det })
    return new PlateEngine(detector, recognizers as TextRecognizer[], formats, options)
  }

  /** Finds and reads the plates in `image` (best first). */
  async read(image: RawImage, opts: ReadOptions = {}): Promise<PlateReading[]> {
    if (this.closed) throw new OkoError('ERR_CLOSED', 'PlateEngine is closed')
    checkRawImage('image', image)
    const region = clipRegion(opts.region, image)
    if (opts.crop) return this.readCrop(image, region)
    if (this.detector instanceof BoxDetector) {
      // A plate detector gives whole plates: read each like a crop (one line, or two stacked).
      const cache = new Map<string, DecodedChar[]>()
      const plates = await this.detector.detect(image, region)
      const read = await this.readCandidates(image, plates.flatMap((p) => { const r = clampRect(p, image.width, image.height); return r ? cropCandidates(r) : [] }), cache, this.options.readVariants)
      return suppress(read, this.options.maxPlates)
    }
    const upscale = opts.upscale ?? opts.region === undefined
    // A region (a vehicle) is read at 320-640 px: its plate is large enough, and detection cost grows with pixels.
    const longest = Math.max(region.width, region.height)
    const boxes = await this.detector.detect(image, region, upscale ? undefined : longest < 320 ? Math.min(8, 320 / longest) : Math.min(1, 640 / longest))
    const candidates = plateCandidates(boxes, this.options.candidates)
    const cache = new Map<string, DecodedChar[]>()
    const partial: { candidate: PlateCandidate; chars: number }[] = []
    const first = await this.readCandidates(image, candidates, cache, 1, partial)
    if (!this.options.refine) return suppress(first, this.options.maxPlates)
    // Second look: around each plausible reading (then around text that read as a few plate
    // characters), detect again at a scale where characters are ~48 px high: small, tilted and
    // busy plates get a tighter, whole box, so no character is cut or added.
    const out: Scored[] = []
    // Vehicle regions (the stage, per frame) keep the cheaper scale.
    const textPx = opts.region ? REGION_REFINE_TEXT_PX : REFINE_TEXT_PX
    let refined = 0
    for (const s of [...first].sort((a, b) => b.rank - a.rank)) {
      // A confident reading of a strict format (prior >= 2: UA, RU, KZ, BY, GB, ES…) is kept as is.
      const sure = s.reading.confidence >= this.options.refineBelow && s.prior >= 2
      if (sure || refined >= this.options.maxRefine) { out.push(s); continue }
      refined++
      const better = await this.refine(image, s.candidate, cache, 1, textPx)
      // Not when it cut sure end characters, unless it is of a stricter format (higher prior): the first read frame text into the plate.
      const takes = better && better.rank > s.rank - this.options.refineBias && (better.prior > s.prior || !cutSureEnds(s.reading, better.reading))
      out.push(takes ? better : s)
    }
    for (const p of partial.sort((a, b) => b.chars - a.chars)) {
      if (refined >= this.options.maxRefine) break
      if (out.some((s) => containsPoint(s.reading.box, p.candidate.outline.cx, p.candidate.outline.cy))) continue
      refined++
      const found = await this.refine(image, p.candidate, cache, 2, textPx)
      if (found) out.push(found)
    }
    return suppress(out.filter((s) => s.prior > 0 || !onFrameEdge(s.reading.box, image, opts.region)), this.options.maxPlates)
  }

  /**
   * Reads each candidate and matches it to the formats. With `variants` 2, each line is also read
   * stretched 1.3× in width (more CTC steps per character, so doubled characters such as 333 are
   * not merged), with 3 also without contrast stretch (glare, dark frames), with 4 also from a
   * 1.2× taller crop (characters cut by a tight box), unless a reading is already sure; the
   * better-matching reading wins. The plate reader reads first; the second reader (PaddleOCR)
   * reads the line too, with the same variants, only when the best reading so far is below
   * `secondBelow`.
   */
  private async readCandidates(
    image: RawImage, candidates: readonly PlateCandidate[], cache: Map<string, DecodedChar[]>, variants = 1,
    partial?: { candidate: PlateCandidate; chars: number }[],
  ): Promise<Scored[]> {
    const readings: Scored[] = []
    for (const candidate of candidates) {
      let best: Scored | undefined
      let longest = 0
      // Where the first reader read no plate, the second's reading must be this sure (a plate only it sees is often not one).
      let minConfidence = this.options.minConfidence
      let alone = false
      let bias = 0
      const consider = (chars: DecodedChar[]) => {
        longest = Math.max(longest, chars.length)
        const match = matchFormat(chars, this.formats, this.options.match, candidate.lines.length === 2 ? 2 : 1)
        if (!match || match.text.length < this.options.minChars || match.confidence < minConfidence) return
        const rank = match.score / (match.text.length + match.dropped) - bias
        const prior = this.formats.specs.find((f) => f.id === match.formatId)?.prior ?? 1
        if (alone && prior <= 0) return // nor may it be of a generic format only
        if (!best || rank > best.rank) best = { reading: toReading(match, candidate, image), rank, candidate, prior }
      }
      // Each reader's reading of the line as found, to fuse when both read it.
      const asFound: DecodedChar[][][] = []
      for (const [r, recognizer] of this.recognizers.entries()) {
        // The second reader only reads what the first is unsure of.
        if (r > 0 && best && best.reading.confidence >= this.options.secondBelow) break
        if (r > 0 && !best) { minConfidence = Math.max(minConfidence, this.options.secondAlone); alone = true }
        // The second reader's readings (and the fused ones) win only by this margin of rank.
        if (r > 0) bias = this.options.secondBias
        for (const [v, { widthScale, stretch, heightScale = 1 }] of READ_VARIANTS.slice(0, variants).entries()) {
          if (best && best.reading.confidence >= 0.95) break // sure enough: skip the other readings
          // A fixed-width model reads a stretched line the same; one that never stretches contrast, the unstretched line too.
          if ((widthScale !== 1 && recognizer.fixedWidth) || (stretch === false && !recognizer.stretches && v > 0)) continue
          const lines: DecodedChar[][] = []
          for (const line of candidate.lines) {
            const key = `${r},${line.cx},${line.cy},${line.width},${line.height},${line.angle},${widthScale},${stretch},${heightScale}`
            let decoded = cache.get(key)
            if (!decoded) { decoded = await recognizer.read(image, heightScale === 1 ? line : { ...line, height: line.height * heightScale }, widthScale, stretch); cache.set(key, decoded) }
            lines.push(decoded)
          }
          if (v === 0) asFound[r] = lines
          consider(lines.flat())
        }
      }
      if (this.options.fuse && asFound[0] && asFound[1]) {
        const fused = fuseReadings(asFound[0], asFound[1])
        if (fused) consider(fused)
      }
      if (best) readings.push(best)
      else if (longest >= 2 && candidate.lines.length === 1) partial?.push({ candidate, chars: longest })
    }
    return readings
  }

  /** Detects again around `c`, grown by `reach` (1: a whole reading; 2: a fragment of a plate). */
  private async refine(image: RawImage, c: PlateCandidate, cache: Map<string, DecodedChar[]>, reach: number, textPx: number): Promise<Scored | undefined> {
    const o = c.outline
    // A box less than twice as wide as high holds more than one line of text (a plate and its
    // dealer frame merged at the first scale): its characters are at most half its width high.
    const textHeight = Math.min(...c.lines.map((l) => Math.min(l.height, l.width / 2)))
    const grown: OrientedBox = { ...o, width: o.width * (1 + 0.25 * reach) + 2 * reach * textHeight, height: o.height * (c.lines.length > 1 ? 1.6 : 2.4) }
    const region = boundsOf(grown, image.width, image.height)
    if (region.width < 8 || region.height < 8) return undefined
    const scale = Math.max(1, Math.min(4, textPx / textHeight))
    const found = await this.readAround(image, region, o, scale, textHeight, reach, cache)
    // A reading but nothing there at that scale: the first box may have held a plate with its
    // frame's text (characters half as high). Fragments (reach 2) are not looked at twice.
    if (found || scale >= 4 || reach > 1) return found
    return this.readAround(image, region, o, Math.min(4, 2 * scale), textHeight / 2, reach, cache)
  }

  private async readAround(image: RawImage, region: Rect, o: OrientedBox, scale: number, textHeight: number, reach: number, cache: Map<string, DecodedChar[]>): Promise<Scored | undefined> {
    // only the text detector's path refines (a box detector's plates are read as crops)
    const boxes = await (this.detector as TextDetector).detect(image, region, scale)
    const inside = plateCandidates(boxes, { ...this.options.candidates, minTextHeightPx: textHeight * 0.5 })
      .filter((k) => Math.abs(k.outline.cx - o.cx) < o.width / 2 + (reach - 1) * 2 * textHeight && Math.abs(k.outline.cy - o.cy) < o.height / 2)
    const read = await this.readCandidates(image, inside, cache, this.options.readVariants)
    return read.sort((a, b) => b.rank - a.rank)[0]
  }

  private async readCrop(image: RawImage, region: Rect): Promise<PlateReading[]> {
    const read = await this.readCandidates(image, cropCandidates(region), new Map(), this.options.readVariants)
    return suppress(read, 1)
  }

  /** What the detector finds (text lines, or plates for a box detector), for debugging and custom pipelines. */
  async detectText(image: RawImage, region?: Rect): Promise<TextBox[]> {
    if (this.closed) throw new OkoError('ERR_CLOSED', 'PlateEngine is closed')
    checkRawImage('image', image)
    if (this.detector instanceof TextDetector) return this.detector.detect(image, clipRegion(region, image))
    const plates = await this.detector.detect(image, clipRegion(region, image))
    return plates.map((p) => ({ cx: p.x + p.width / 2, cy: p.y + p.height / 2, width: p.width, height: p.height, angle: 0, score: p.score }))
  }

  /** Releases both ONNX sessions. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([this.detector.release(), ...this.recognizers.map((r) => r.release())])
  }
}

/**
 * Two readers' readings of the same lines fused character by character (geometric mean of their
 * probabilities), where both read each line with the same number of characters: one reader's
 * doubt (W or N?) is settled by the other's certainty. Undefined where the counts differ.
 */
export function fuseReadings(a: readonly DecodedChar[][], b: readonly DecodedChar[][]): DecodedChar[] | undefined {
  if (a.length !== b.length || a.some((line, i) => line.length !== b[i]!.length)) return undefined
  const out: DecodedChar[] = []
  a.forEach((line, i) => line.forEach((ca, j) => {
    const cb = b[i]![j]!
    const probs = new Float32Array(ca.probs.length)
    let sum = 0
    let best = 0
    for (let k = 0; k < probs.length; k++) {
      probs[k] = Math.sqrt(ca.probs[k]! * cb.probs[k]!)
      sum += probs[k]!
      if (probs[k]! > probs[best]!) best = k
    }
    if (sum <= 0) { out.push(ca.confidence >= cb.confidence ? ca : cb); return }
    for (let k = 0; k < probs.length; k++) probs[k]! /= sum
    out.push({ char: PLATE_ALPHABET[best]!, confidence: probs[best]!, probs, frame: ca.frame })
  }))
  return out
}

/**
 * The second look read `first` less characters at its ends that the first read surely (each at
 * least SURE_END_CHAR): its tighter box cut them (a plate's first digit next to its frame, 7AHN739
 * read AHN739), and the first reading should stand.
 */
export function cutSureEnds(first: Pick<PlateReading, 'text' | 'charConfidences'>, second: Pick<PlateReading, 'text'>): boolean {
  if (second.text.length === 0 || second.text.length >= first.text.length) return false
  const at = first.text.indexOf(second.text)
  return at >= 0 && first.charConfidences.every((q, i) => (i >= at && i < at + second.text.length) || q >= SURE_END_CHAR)
}

/** Confidence of a character the second look may not cut off (see cutSureEnds). */
const SURE_END_CHAR = 0.95

/** Opens a recogniser; its output computes only the blank and the plate symbols where the graph allows (see optimizeModel). */
async function openRecognizer(rec: ResolvedReaderOptions['recognizer'], role: string, threads: number): Promise<TextRecognizer> {
  const classOf = plateClassesOf(readDictionary(rec.dictionary, rec.appendSpace))
  const keep = [0, ...new Set([...classOf].filter((c) => c > 0))]
  const model = await openSession<OptimizeReport>(rec.model, { role, intraOpThreads: threads, rewrite: (bytes) => optimizeModel(bytes, keep), rewriteCache: { key: `optimize-v${OPTIMIZE_VERSION}-keep:${keep.join(',')}` } })
  const pruned = model.rewritten?.keptClasses === keep.length ? classOf.map((c) => keep.indexOf(c)) : classOf
  return new TextRecognizer(model.session, pruned, { ...PADDLE_REC, ...rec })
}

function clipRegion(region: Rect | undefined, image: RawImage): Rect {
  if (!region) return { x: 0, y: 0, width: image.width, height: image.height }
  const x0 = Math.max(0, Math.floor(region.x))
  const y0 = Math.max(0, Math.floor(region.y))
  const x1 = Math.min(image.width, Math.ceil(region.x + region.width))
  const y1 = Math.min(image.height, Math.ceil(region.y + region.height))
  if (x1 - x0 < 4 || y1 - y0 < 4) throw new OkoError('ERR_INVALID_INPUT', `region ${JSON.stringify(region)} is outside the ${image.width}×${image.height} image or too small`)
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
}

/** Plate outline from the text outline: plates have a margin around the characters. */
function plateOutline(c: PlateCandidate): OrientedBox {
  const o = c.outline
  return { ...o, width: o.width * 1.08, height: o.height * (c.lines.length > 1 ? 1.1 : 1.25) }
}

function toReading(m: FormatMatch, c: PlateCandidate, image: RawImage): PlateReading {
  const o = plateOutline(c)
  const cos = Math.cos(o.angle), sin = Math.sin(o.angle)
  const corner = (du: number, dv: number): Point => ({
    x: o.cx + (du * o.width / 2) * cos - (dv * o.height / 2) * sin,
    y: o.cy + (du * o.width / 2) * sin + (dv * o.height / 2) * cos,
  })
  return {
    text: m.text,
    format: m.formatId,
    country: m.country,
    confidence: m.confidence,
    charConfidences: m.charConfidences,
    box: boundsOf(o, image.width, image.height),
    corners: [corner(-1, -1), corner(1, -1), corner(1, 1), corner(-1, 1)],
    lines: Math.min(3, c.lines.length) as 1 | 2 | 3,
    corrected: m.corrected,
  }
}

/** A plate crop read as one line, and (when less than 2.5× / 1.6× as wide as high) as two / three stacked lines. */
function cropCandidates(region: Rect): PlateCandidate[] {
  const whole = boxOfRect(region)
  const out: PlateCandidate[] = [{ lines: [whole], outline: whole, score: 1 }]
  if (region.width < 2.5 * region.height) {
    const top = { ...whole, cy: region.y + region.height * 0.25, height: region.height * 0.5 }
    const bottom = { ...whole, cy: region.y + region.height * 0.72, height: region.height * 0.56 }
    out.push({ lines: [top, bottom], outline: whole, score: 1 })
  }
  if (region.width < 1.6 * region.height) {
    const third = (k: number) => ({ ...whole, cy: region.y + region.height * (0.2 + 0.3 * k), height: region.height * 0.4 })
    out.push({ lines: [third(0), third(1), third(2)], outline: whole, score: 1 })
  }
  return out
}

/** Crops a line is read from (see readCandidates): as found, stretched in width, without contrast stretch, taller. */
const READ_VARIANTS: readonly { widthScale: number; stretch?: boolean; heightScale?: number }[] = [{ widthScale: 1 }, { widthScale: 1.3 }, { widthScale: 1, stretch: false }, { widthScale: 1, heightScale: 1.2 }]

/**
 * Character height the second detection scales a plate to (at most 4×): the recogniser's input
 * height. 48 rather than 36 finds tighter, whole boxes around small plates (detection EU 96→100%,
 * US 92→94%; exact EU 87.0→88.9%, US 73.9→74.8%); 42 and 56 did worse. Vehicle regions use 36:
 * at 48 a 640×360 region costs 164 ms instead of 94.
 */
const REFINE_TEXT_PX = 48
const REGION_REFINE_TEXT_PX = 36

interface Scored {
  reading: PlateReading
  rank: number
  candidate: PlateCandidate
  /** Prior of the matched format. */
  prior: number
}

/**
 * Keeps the best reading per place: a weaker one overlapping a kept one is dropped, and so is
 * small text next to a plate of much taller characters (registration stickers, state names,
 * dealer frames).
 */
function suppress(readings: Scored[], max: number): PlateReading[] {
  readings.sort((a, b) => b.rank - a.rank)
  const kept: PlateReading[] = []
  for (const { reading } of readings.filter((s) => !readings.some((t) => dwarfs(t, s)))) {
    if (kept.some((k) => iou(k.box, reading.box) > 0.2 || containment(reading.box, k.box) > 0.6 || containment(k.box, reading.box) > 0.6)) continue
    kept.push(reading)
    if (kept.length >= max) break
  }
  return kept
}

/**
 * `big` has characters at least 1.6× as tall as `small`, which lies on or around big's plate and
 * matched no more specific a format (a smaller plate of a specific format, further away, stays).
 */
function dwarfs(big: Scored, small: Scored): boolean {
  if (big === small || textHeight(big) < SMALL_TEXT_RATIO * textHeight(small) || small.prior > big.prior) return false
  const b = big.reading.box
  const c = small.candidate.outline
  return Math.abs(c.cx - (b.x + b.width / 2)) < b.width && Math.abs(c.cy - (b.y + b.height / 2)) < 2.5 * b.height
}

const SMALL_TEXT_RATIO = 1.6

function textHeight(s: Scored): number {
  return Math.min(...s.candidate.lines.map((l) => l.height))
}

/**
 * Along the top or bottom edge of a whole frame: where camera overlays (date, time, camera name)
 * are. Text there that only matches a generic format (prior 0) is not taken for a plate.
 */
function onFrameEdge(box: Rect, image: RawImage, region: Rect | undefined): boolean {
  if (region) return false
  const band = 0.02 * image.height
  return box.y <= band || box.y + box.height >= image.height - band
}

function containsPoint(r: Rect, x: number, y: number): boolean {
  return x >= r.x && x <= r.x + r.width && y >= r.y && y <= r.y + r.height
}

/** Fraction of `a` inside `b`. */
function containment(a: Rect, b: Rect): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x))
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y))
  const area = a.width * a.height
  return area > 0 ? (w * h) / area : 0
}
