import { readFileSync } from 'node:fs'
import { InvalidOptionError, OkoError } from '@oko/core'
import { PLATE_ALPHABET, latinOf, type DecodedChar } from './recognizer.js'

/** One country format as written in a formats table (see `formats.json`). */
export interface PlateFormatSpec {
  id: string
  country: string
  /** Groups the reader's `countries` option may name instead (`europe`, `cis`, `north-america`). */
  regions?: string[]
  name?: string
  /** Letters this format uses (default A-Z). */
  letters?: string
  /**
   * Patterns: L letter, D digit, X either, [ABC] a set; each may take {n} or {m,n}. `_` marks an
   * emblem, seal or sticker between groups (a US state emblem, the German registration seal): a
   * reader may see one symbol there, which is dropped.
   */
  patterns: string[]
  /**
   * Two-line layouts whose lines do not read in plate order (UA square plates: `BH CE` over `3978`
   * is BH3978CE): `pattern` matches the text as read, top line first; character `order[i]` of it
   * is character i of the plate. Only two-line readings are matched against these.
   */
  twoLine?: { pattern: string; order: number[] }[]
  /** Preference over other formats, in [0, 5]; generic formats use 0. */
  prior?: number
  minDigits?: number
}

export interface FormatTable {
  formats: PlateFormatSpec[]
}

/** A pattern expanded to one allowed-symbol mask (over PLATE_ALPHABET) per position. */
interface CompiledPattern {
  formatIndex: number
  /** One per read symbol; SEPARATOR where the symbol is an emblem to drop. */
  masks: Uint8Array[]
  /** Two-line layout: plate character i is read character order[i]. */
  order?: number[]
}

export interface CompiledFormats {
  specs: readonly PlateFormatSpec[]
  byLength: ReadonlyMap<number, readonly CompiledPattern[]>
  maxLength: number
}

/** The built-in table (UA, RU, KZ, BY, EU national, GB, US). Read from the package's formats.json. */
export function builtinFormats(): FormatTable {
  const url = new URL('./formats.json', import.meta.url)
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as FormatTable
  } catch (cause) {
    throw new OkoError('ERR_FILE_NOT_FOUND', `plate formats table missing or unreadable: ${url.pathname}`, { cause })
  }
}

/** Validates a table and compiles the formats whose id or country is in `only` (all when undefined). */
export function compileFormats(table: FormatTable, only?: readonly string[], path = 'options.formats'): CompiledFormats {
  if (typeof table !== 'object' || table === null || !Array.isArray(table.formats)) {
    throw new InvalidOptionError(path, 'expected { formats: [...] } (see formats.json in @oko/plates)')
  }
  const wanted = only?.map((s) => s.toLowerCase())
  const specs: PlateFormatSpec[] = []
  const byLength = new Map<number, CompiledPattern[]>()
  let maxLength = 0
  table.formats.forEach((spec, i) => {
    const at = `${path}.formats[${i}]`
    if (typeof spec?.id !== 'string' || typeof spec.country !== 'string' || !Array.isArray(spec.patterns)) {
      throw new InvalidOptionError(at, 'expected { id: string, country: string, patterns: string[] }')
    }
    const names = [spec.id, spec.country, ...(spec.regions ?? [])].map((n) => n.toLowerCase())
    if (wanted && !names.some((n) => wanted.includes(n))) return
    const formatIndex = specs.push(spec) - 1
    const letters = spec.letters ?? 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
    const add = (p: CompiledPattern) => {
      const list = byLength.get(p.masks.length) ?? []
      list.push(p)
      byLength.set(p.masks.length, list)
      maxLength = Math.max(maxLength, p.masks.length)
    }
    for (const pattern of spec.patterns) {
      for (const masks of expandPattern(pattern, letters, `${at}.patterns`)) add({ formatIndex, masks })
    }
    ;(spec.twoLine ?? []).forEach((t, j) => {
      const masks = expandPattern(t?.pattern, letters, `${at}.twoLine[${j}].pattern`)
      const order = t?.order
      const ok = Array.isArray(order) && masks.length === 1 && !masks[0]!.includes(SEPARATOR) && order.length === masks[0]!.length && [...order].sort((a, b) => a - b).every((v, i) => v === i)
      if (!ok) throw new InvalidOptionError(`${at}.twoLine[${j}]`, 'expected { pattern, order } with a fixed-length pattern (no `_`) and order a permutation of its positions')
      add({ formatIndex, masks: masks[0]!, order })
    })
  })
  if (specs.length === 0) {
    const regions = [...new Set(table.formats.flatMap((f) => f.regions ?? []))]
    throw new InvalidOptionError(path, `no format matches ${JSON.stringify(only)}; known ids: ${table.formats.map((f) => f.id).join(', ')}; regions: ${regions.join(', ')}`)
  }
  return { specs, byLength, maxLength }
}

function maskOf(symbols: string): Uint8Array {
  const mask = new Uint8Array(PLATE_ALPHABET.length)
  for (const s of latinOf(symbols)) {
    const k = PLATE_ALPHABET.indexOf(s)
    if (k >= 0) mask[k] = 1
  }
  return mask
}

/** Mask of a `_` position: any symbol, dropped from the text. */
const SEPARATOR = new Uint8Array(PLATE_ALPHABET.length).fill(1)

/** Expands quantifiers and separators: `L{1,2}D` → [L D], [L L D]; `LL_D` → [L L D], [L L _ D]. */
function expandPattern(pattern: string, letters: string, path: string): Uint8Array[][] {
  if (typeof pattern !== 'string') throw new InvalidOptionError(path, `expected a pattern string, received ${JSON.stringify(pattern)}`)
  const tokens: { mask: Uint8Array; min: number; max: number }[] = []
  const re = /(L|D|X|_|\[[^\]]+\])(?:\{(\d+)(?:,(\d+))?\})?/y
  let at = 0
  while (at < pattern.length) {
    re.lastIndex = at
    const m = re.exec(pattern)
    if (!m || (m[1] === '_' && m[2])) throw new InvalidOptionError(path, `bad pattern ${JSON.stringify(pattern)} at ${at}: use L, D, X, [ABC], {n}, {m,n}, _`)
    const t = m[1]!
    if (t === '_') { tokens.push({ mask: SEPARATOR, min: 0, max: 1 }); at = re.lastIndex; continue }
    const mask = t === 'L' ? maskOf(letters) : t === 'D' ? maskOf('0123456789') : t === 'X' ? maskOf(PLATE_ALPHABET) : maskOf(t.slice(1, -1))
    const min = m[2] ? Number(m[2]) : 1
    const max = m[3] ? Number(m[3]) : min
    tokens.push({ mask, min, max })
    at = re.lastIndex
  }
  let out: Uint8Array[][] = [[]]
  for (const t of tokens) {
    const next: Uint8Array[][] = []
    for (const prefix of out) for (let n = t.min; n <= t.max; n++) next.push([...prefix, ...Array<Uint8Array>(n).fill(t.mask)])
    out = next
  }
  return out
}

/** Letter↔digit pairs a recogniser confuses; a format may swap these even when the model is sure. */
const CONFUSABLE: ReadonlyMap<string, string> = new Map([
  ['O', '0'], ['D', '0'], ['Q', '0'], ['U', '0'], ['I', '1'], ['J', '1'], ['L', '1'], ['T', '1'], ['Z', '2'], ['A', '4'],
  ['S', '5'], ['G', '6'], ['T', '7'], ['B', '8'], ['0', 'O'], ['1', 'I'], ['2', 'Z'], ['4', 'A'], ['5', 'S'], ['6', 'G'],
  ['7', 'T'], ['8', 'B'], ['3', 'B'],
])

/** Symbols drawn (nearly) identically on many plates: O and 0, I and 1. */
const GLYPH_TWINS: ReadonlySet<string> = new Set(['O', '0', 'I', '1'])

export interface FormatMatch {
  text: string
  formatId: string
  country: string
  /** Per-character confidence of the returned text. */
  charConfidences: number[]
  /** Geometric mean of the character confidences. */
  confidence: number
  /** Log score used to rank readings (higher is better). */
  score: number
  /** Positions changed by the format (confusable correction). */
  corrected: number[]
  /** Characters read but left out of the text: at the ends, inside, and emblems (`_`). */
  dropped: number
}

export interface MatchOptions {
  /** Characters the match may ignore at either end (flags, country strips, frame text). */
  maxDropped: number
  /** Log-score cost of each ignored character. */
  dropCost: number
  /** Nats added per unit of a format's prior. */
  priorWeight: number
  /** Probability a confusable swap is credited with when the model gives it less. */
  confusableProbability: number
  /** Base cost of ignoring one character inside the text (a sticker or bolt read as a character); plus 2 × its confidence. */
  innerDropCost: number
  /** Log-score cost of dropping a symbol read where a format has an emblem (`_`), plus separatorConfidenceCost × its confidence. */
  separatorCost: number
  /**
   * Cost per unit of confidence of the symbol dropped at an emblem: an emblem reads as a doubtful
   * symbol, a character read surely there is more likely a plate's own (4GLS168, not 4GL·168).
   */
  separatorConfidenceCost: number
}

export const DEFAULT_MATCH: MatchOptions = { maxDropped: 2, dropCost: 1.5, priorWeight: 1, confusableProbability: 0.5, innerDropCost: 1, separatorCost: 0.5, separatorConfidenceCost: 1 }

/**
 * Finds the best format reading of decoded characters, or undefined when nothing fits. `lines` 2:
 * the characters are two stacked lines, top first (two-line layouts apply).
 */
export function matchFormat(chars: readonly DecodedChar[], formats: CompiledFormats, o: MatchOptions = DEFAULT_MATCH, lines: 1 | 2 = 1): FormatMatch | undefined {
  let best = matchEnds(chars, formats, o, 0, lines)
  // One character inside may be a sticker, bolt or separator read as a symbol.
  for (let k = 1; k < chars.length - 1; k++) {
    const cost = o.innerDropCost + 2 * chars[k]!.confidence
    const m = matchEnds([...chars.slice(0, k), ...chars.slice(k + 1)], formats, o, cost, lines)
    if (m && (!best || m.score > best.score)) best = { ...m, dropped: m.dropped + 1 }
  }
  return best
}

function matchEnds(chars: readonly DecodedChar[], formats: CompiledFormats, o: MatchOptions, baseCost: number, lines: 1 | 2): FormatMatch | undefined {
  let best: FormatMatch | undefined
  const n = chars.length
  for (let dropped = 0; dropped <= Math.min(o.maxDropped, n); dropped++) {
    const len = n - dropped
    const patterns = formats.byLength.get(len)
    if (!patterns) continue
    for (let start = 0; start <= dropped; start++) {
      for (const p of patterns) {
        if (p.order && (lines !== 2 || dropped > 0)) continue
        const spec = formats.specs[p.formatIndex]!
        let score = (spec.prior ?? 1) * o.priorWeight - dropped * o.dropCost - baseCost
        let text = ''
        const confs: number[] = []
        const corrected: number[] = []
        let digits = 0
        let emblems = 0
        let ok = true
        for (let i = 0; i < len; i++) {
          const c = chars[start + i]!
          const mask = p.masks[i]!
          if (mask === SEPARATOR) { score -= o.separatorCost + o.separatorConfidenceCost * c.confidence; emblems++; continue }
          const k = PLATE_ALPHABET.indexOf(c.char)
          let sym = c.char
          let q = c.confidence
          if (mask[k] !== 1) {
            // The format wants another class here: best allowed symbol by the model, or the confusable twin.
            let altK = -1
            let altP = 0
            for (let j = 0; j < mask.length; j++) if (mask[j] === 1 && c.probs[j]! > altP) { altP = c.probs[j]!; altK = j }
            const twin = CONFUSABLE.get(c.char)
            const twinK = twin === undefined ? -1 : PLATE_ALPHABET.indexOf(twin)
            if (twinK >= 0 && mask[twinK] === 1) {
              // O/0 and I/1 share a glyph on most plates: cheap to swap. Other listed pairs (B/8, S/5…) cost more.
              const credit = GLYPH_TWINS.has(c.char) ? o.confusableProbability : o.confusableProbability * 0.3
              const q = Math.max(c.probs[twinK]!, credit)
              if (q >= altP) { altK = twinK; altP = q }
            }
            if (altK < 0 || altP < 1e-3) { ok = false; break }
            sym = PLATE_ALPHABET[altK]!
            q = altP
            corrected.push(text.length)
            if (corrected.length > Math.ceil(len / 4)) { ok = false; break }
          }
          if (sym >= '0' && sym <= '9') digits++
          score += Math.log(Math.max(q, 1e-6))
          text += sym
          confs.push(q)
        }
        if (!ok || digits < (spec.minDigits ?? 0)) continue
        if (p.order) {
          const read = text
          const readConfs = confs.slice()
          text = p.order.map((k) => read[k]!).join('')
          p.order.forEach((k, i) => { confs[i] = readConfs[k]! })
          const at = corrected.map((k) => p.order!.indexOf(k)).sort((a, b) => a - b)
          corrected.splice(0, corrected.length, ...at)
        }
        if (best === undefined || score > best.score) {
          const confidence = Math.exp(confs.reduce((a, q) => a + Math.log(Math.max(q, 1e-6)), 0) / confs.length)
          best = { text, formatId: spec.id, country: spec.country, charConfidences: confs, confidence, score, corrected, dropped: dropped + emblems }
        }
      }
    }
  }
  return best
}
