import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '@oko/core'
import {
  PLATE_ALPHABET, builtinFormats, compileFormats, ctcDecode, latinOf, matchFormat, normalizePlateText, type DecodedChar,
} from '@oko/plates'

/** Characters as a recogniser would decode them: each sure of itself unless `doubt` gives a second choice. */
function chars(text: string, doubt: Record<number, [string, number]> = {}, confidence = 0.98): DecodedChar[] {
  return [...text].map((char, i) => {
    const probs = new Float32Array(PLATE_ALPHABET.length)
    const alt = doubt[i]
    const own = alt ? 1 - alt[1] : confidence
    probs[PLATE_ALPHABET.indexOf(char)] = own
    if (alt) probs[PLATE_ALPHABET.indexOf(alt[0])] = alt[1]
    return { char, confidence: own, probs, frame: i }
  })
}

const all = compileFormats(builtinFormats())
const only = (...ids: string[]) => compileFormats(builtinFormats(), ids)

describe('formats table', () => {
  it('covers the countries the issue names', () => {
    const countries = new Set(builtinFormats().formats.map((f) => f.country))
    for (const c of ['UA', 'RU', 'KZ', 'BY', 'DE', 'PL', 'FR', 'IT', 'ES', 'NL', 'CZ', 'LT', 'LV', 'EE', 'EU', 'US']) expect(countries).toContain(c)
  })

  it('matches each country format as read', () => {
    expect(matchFormat(chars('AA1234BB'), only('ua'))).toMatchObject({ text: 'AA1234BB', formatId: 'ua', country: 'UA', corrected: [] })
    expect(matchFormat(chars('A123BC77'), only('ru'))).toMatchObject({ text: 'A123BC77', formatId: 'ru' })
    expect(matchFormat(chars('A123BC777'), only('ru'))).toMatchObject({ text: 'A123BC777', formatId: 'ru' })
    expect(matchFormat(chars('123ABC01'), only('kz'))).toMatchObject({ text: '123ABC01', formatId: 'kz' })
    expect(matchFormat(chars('1234AB7'), only('by'))).toMatchObject({ text: '1234AB7', formatId: 'by' })
    expect(matchFormat(chars('BAB1234'), only('de'))).toMatchObject({ formatId: 'de' })
  })

  it('corrects confusables only where the format demands a letter or a digit', () => {
    // UA AA1234BB: position 2-5 digits, 0-1 and 6-7 letters.
    const m = matchFormat(chars('AA12O4B8'), only('ua'))!
    expect(m.text).toBe('AA1204BB')
    expect(m.corrected).toEqual([4, 7])
    // RU letters at 0, 4, 5: a 0 there becomes O, an 8 becomes B.
    expect(matchFormat(chars('0123B877'), only('ru'))!.text).toBe('O123BB77')
    // A letter the format allows is never changed.
    expect(matchFormat(chars('AO1234BB'), only('ua'))!.text).toBe('AO1234BB')
  })

  it('uses the model second choice when it is not a listed confusable', () => {
    const m = matchFormat(chars('AA1Z34BB', { 3: ['2', 0.3] }), only('ua'))!
    expect(m.text).toBe('AA1234BB')
  })

  it('rejects text that fits no enabled format', () => {
    expect(matchFormat(chars('HELLO'), only('ua', 'ru'))).toBeUndefined()
    expect(matchFormat(chars('AAAAAAAA'), only('ua'))).toBeUndefined()
  })

  it('ignores a country strip or sticker read as an extra character', () => {
    expect(matchFormat(chars('DAA1234BB'), only('ua'))).toMatchObject({ text: 'AA1234BB', dropped: 1 })
  })

  it('prefers a specific format to the generic ones', () => {
    expect(matchFormat(chars('AA1234BB'), all)!.formatId).toBe('ua')
  })

  it('drops a symbol read where a format has an emblem (_), and only there', () => {
    const mo = compileFormats({ formats: [{ id: 'mo', country: 'US', patterns: ['LLD_LDL'] }] })
    // Missouri AB1 C2D: the state emblem between the groups read as a D (doubtfully: D or O).
    const doubt: Record<number, [string, number]> = { 3: ['O', 0.4] }
    expect(matchFormat(chars('HK0DE7C', doubt), mo)).toMatchObject({ text: 'HK0E7C', formatId: 'mo', dropped: 1, corrected: [] })
    expect(matchFormat(chars('HK0E7C'), mo)).toMatchObject({ text: 'HK0E7C', dropped: 0 })
    // With a correction after the emblem, positions are those of the returned text.
    expect(matchFormat(chars('HK0D37C', doubt), mo)).toMatchObject({ text: 'HK0B7C', corrected: [3] })
    // Elsewhere an extra symbol costs as before: the emblem reading outranks it.
    const emblem = matchFormat(chars('HK0DE7C', doubt), mo)!
    const inner = matchFormat(chars('HKD0E7C', { 2: ['O', 0.4] }), mo)!
    expect(emblem.score).toBeGreaterThan(inner.score)
    // A symbol read surely is a plate's own rather than an emblem: California 4GLS168 read LGLS168
    // stays whole (generic), while a doubtful symbol between the groups is still dropped.
    const us = only('us', 'us-generic')
    expect(matchFormat(chars('LGLS168'), us)).toMatchObject({ text: 'LGLS168', formatId: 'us-generic' })
    expect(matchFormat(chars('LGLS168', { 3: ['Y', 0.45] }), us)).toMatchObject({ text: 'LGL168', formatId: 'us', dropped: 1 })
    // German plates: the registration seal between district and letters.
    expect(matchFormat(chars('M8X1234'), only('de'))).toMatchObject({ text: 'MX1234', formatId: 'de', dropped: 1 })
    expect(() => compileFormats({ formats: [{ id: 'x', country: 'X', patterns: ['L_{2}D'] }] })).toThrow(/bad pattern "L_\{2\}D"/)
    expect(() => compileFormats({ formats: [{ id: 'x', country: 'X', patterns: [], twoLine: [{ pattern: 'L_D', order: [0, 1] }] }] })).toThrow(/twoLine\[0\]/)
  })

  it('puts two-line square plates in plate order (UA: BH CE over 3978 is BH3978CE), for two-line readings only', () => {
    expect(matchFormat(chars('BHCE3978'), only('ua'), undefined, 2)).toMatchObject({ text: 'BH3978CE', formatId: 'ua', corrected: [] })
    const m = matchFormat(chars('BHCE39B8', {}, 0.9), only('ua'), undefined, 2)!
    expect(m).toMatchObject({ text: 'BH3988CE', corrected: [4] })
    expect(m.charConfidences[6]).toBeCloseTo(0.9)
    expect(matchFormat(chars('BHCE3978'), only('ua'))?.text).not.toBe('BH3978CE')
    expect(matchFormat(chars('AA1234BB'), only('ua'), undefined, 2)!.text).toBe('AA1234BB')
  })

  it('validates tables and country lists', () => {
    expect(() => compileFormats({ formats: [{ id: 'x', country: 'X', patterns: [], twoLine: [{ pattern: 'LLD', order: [0, 0, 1] }] }] })).toThrow(/twoLine\[0\]: expected \{ pattern, order \}/)
    expect(() => compileFormats({ formats: [{ id: 'x', country: 'X', patterns: ['L?'] }] })).toThrow(/bad pattern "L\?"/)
    expect(() => compileFormats(builtinFormats(), ['zz'])).toThrow(InvalidOptionError)
    expect(() => compileFormats({} as never)).toThrow(/expected \{ formats/)
  })
})

describe('text normalisation', () => {
  it('maps Cyrillic look-alikes to Latin and drops spaces', () => {
    expect(normalizePlateText('АА 1234 ВХ')).toBe('AA1234BX')
    expect(normalizePlateText('а123вс 77')).toBe('A123BC77')
    expect(latinOf('КМ')).toBe('KM')
  })
})

describe('CTC decoding', () => {
  it('collapses repeats, drops blanks and keeps only plate symbols', () => {
    // Dictionary: 0 blank, 1 'A', 2 '1', 3 '中'.
    const classOf = new Int32Array(PLATE_ALPHABET.length).fill(-1)
    classOf[PLATE_ALPHABET.indexOf('A')] = 1
    classOf[PLATE_ALPHABET.indexOf('1')] = 2
    const rows = [
      [0.1, 0.8, 0.05, 0.05], [0.1, 0.8, 0.05, 0.05], [0.9, 0.05, 0.05, 0], [0.0, 0.1, 0.2, 0.7], [0.1, 0.05, 0.85, 0],
    ]
    const out = ctcDecode(new Float32Array(rows.flat()), rows.length, 4, classOf)
    expect(out.map((c) => c.char).join('')).toBe('A1') // the glyph at step 3 is not a plate symbol: '1' wins there and merges with step 4
    expect(out[0]!.confidence).toBeCloseTo(0.8 / 0.95, 5)
  })
})
