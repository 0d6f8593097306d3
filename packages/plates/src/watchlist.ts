import { InvalidOptionError, editDistance, checkArray, checkBoolean, checkKnownKeys, checkObject, checkString, optionalNumber } from '@oko/core'
import { normalizePlateText } from './recognizer.js'

/** A named plate list (stolen, wanted, permits…). Plates may be written with spaces, dashes or Cyrillic. */
export interface WatchlistSpec {
  name: string
  plates: string[]
  /** Allow near matches (default true). */
  fuzzy?: boolean
  /** Largest distance of a near match (default 1: one character off; a confusable swap such as O/0 counts 0.5). */
  maxDistance?: number
}

export interface WatchlistHit {
  list: string
  entry: string
  /** 0 exact; 0.5 one confusable swap; 1 one other character off. */
  distance: number
}

/** Look-alike pairs that cost half a substitution. */
const CONFUSABLE_PAIRS = new Set(['O0', 'D0', 'Q0', 'I1', 'L1', 'Z2', 'S5', 'G6', 'B8', 'T7', 'A4', 'E3', 'B3', 'U0', 'MH', 'KX', 'CG', 'EF', 'PR', 'VY'])

function substitutionCost(a: string, b: string): number {
  if (a === b) return 0
  return CONFUSABLE_PAIRS.has(a + b) || CONFUSABLE_PAIRS.has(b + a) ? 0.5 : 1
}

/** Edit distance where confusable substitutions cost 0.5 (insertions and deletions 1). */
export function plateDistance(a: string, b: string): number {
  return editDistance(a, b, substitutionCost)
}

interface CompiledList {
  name: string
  exact: Set<string>
  entries: string[]
  fuzzy: boolean
  maxDistance: number
}

/** Plate watchlists matched exactly (a Set lookup) and fuzzily (confusable-aware edit distance). */
export class Watchlists {
  private constructor(private readonly lists: CompiledList[]) {}

  static from(specs: readonly WatchlistSpec[], path = 'options.watchlists'): Watchlists {
    const lists = checkArray(path, specs).map((raw, i) => {
      const at = `${path}[${i}]`
      const s = checkObject(at, raw)
      checkKnownKeys(at, s, ['name', 'plates', 'fuzzy', 'maxDistance'])
      const name = checkString(`${at}.name`, s.name)
      const entries = checkArray(`${at}.plates`, s.plates).map((p, j) => {
        const text = normalizePlateText(checkString(`${at}.plates[${j}]`, p))
        if (text.length === 0) throw new InvalidOptionError(`${at}.plates[${j}]`, 'expected a plate with letters or digits')
        return text
      })
      return {
        name,
        exact: new Set(entries),
        entries: [...new Set(entries)],
        fuzzy: checkBoolean(`${at}.fuzzy`, s.fuzzy, true),
        maxDistance: optionalNumber(`${at}.maxDistance`, s.maxDistance, 1, { min: 0, max: 3 }),
      }
    })
    return new Watchlists(lists)
  }

  get size(): number {
    return this.lists.reduce((a, l) => a + l.entries.length, 0)
  }

  /** Every list entry `text` matches, closest first. */
  match(text: string): WatchlistHit[] {
    const plate = normalizePlateText(text)
    const hits: WatchlistHit[] = []
    for (const list of this.lists) {
      if (list.exact.has(plate)) { hits.push({ list: list.name, entry: plate, distance: 0 }); continue }
      if (!list.fuzzy) continue
      for (const entry of list.entries) {
        if (Math.abs(entry.length - plate.length) > list.maxDistance) continue
        const d = plateDistance(plate, entry)
        if (d <= list.maxDistance) hits.push({ list: list.name, entry, distance: d })
      }
    }
    return hits.sort((a, b) => a.distance - b.distance)
  }
}
