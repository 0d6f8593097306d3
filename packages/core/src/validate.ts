import { InvalidOptionError } from './errors.js'

/** Describes a received value for an error message: `3 (number)`, `"x" (string)`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (typeof value === 'string') return `${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)} (string)`
  if (typeof value === 'number') return `${value} (number)`
  if (Array.isArray(value)) return `an array of length ${value.length}`
  if (typeof value === 'object') return `an object`
  return `${String(value)} (${typeof value})`
}

function fail(path: string, expected: string, value: unknown): never {
  throw new InvalidOptionError(path, `expected ${expected}, received ${describeValue(value)}`)
}

export interface NumberRule {
  min?: number
  max?: number
  integer?: boolean
  /** Excludes `min` itself: (min, max]. */
  exclusiveMin?: boolean
}

/** Checks a finite number in range; throws InvalidOptionError naming `path`. */
export function checkNumber(path: string, value: unknown, rule: NumberRule = {}): number {
  const { min = -Infinity, max = Infinity, integer = false, exclusiveMin = false } = rule
  const kind = integer ? 'an integer' : 'a number'
  const range = min === -Infinity && max === Infinity ? '' : ` in ${exclusiveMin ? '(' : '['}${min}, ${max}]`
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, `${kind}${range}`, value)
  if (integer && !Number.isInteger(value)) fail(path, `${kind}${range}`, value)
  if (value < min || value > max || (exclusiveMin && value === min)) fail(path, `${kind}${range}`, value)
  return value
}

/** Like checkNumber, but `undefined` yields `fallback`. */
export function optionalNumber(path: string, value: unknown, fallback: number, rule: NumberRule = {}): number {
  return value === undefined ? checkNumber(path, fallback, rule) : checkNumber(path, value, rule)
}

export function checkString(path: string, value: unknown, { nonEmpty = true } = {}): string {
  if (typeof value !== 'string' || (nonEmpty && value.length === 0)) fail(path, nonEmpty ? 'a non-empty string' : 'a string', value)
  return value
}

export function checkBoolean(path: string, value: unknown, fallback?: boolean): boolean {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'boolean') fail(path, 'true or false', value)
  return value
}

export function checkOneOf<T extends string>(path: string, value: unknown, allowed: readonly T[], fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(path, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value)
  }
  return value as T
}

export function checkObject(path: string, value: unknown, fallback?: Record<string, unknown>): Record<string, unknown> {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value)
  return value as Record<string, unknown>
}

export function checkArray(path: string, value: unknown, fallback?: unknown[]): unknown[] {
  if (value === undefined && fallback !== undefined) return fallback
  if (!Array.isArray(value)) fail(path, 'an array', value)
  return value
}

/** Rejects keys that are not in `known`, so a typo (`treshold`) is an error, not a silent default. */
export function checkKnownKeys(path: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const hint = closest(key, known)
      throw new InvalidOptionError(`${path}.${key}`, `unknown option${hint ? `; did you mean "${hint}"?` : ''} (known: ${known.join(', ')})`)
    }
  }
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase())
    if (d < bestDistance) { best = c; bestDistance = d }
  }
  return best
}

/** Levenshtein distance (insertions and deletions cost 1; substitutions `substitutionCost`, default 1); small strings only. */
export function editDistance(a: string, b: string, substitutionCost: (x: string, y: string) => number = (x, y) => (x === y ? 0 : 1)): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + substitutionCost(a[i - 1]!, b[j - 1]!))
      prev = tmp
    }
  }
  return row[b.length]!
}
