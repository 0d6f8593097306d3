import { readFileSync, statSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { InvalidOptionError, OkoError, checkKnownKeys, checkObject, checkString, normalizePlateText, optionalNumber } from '@oko/core'
import type { RegistryLookup, RegistryRecord } from './registry.js'

/**
 * A vehicle register kept in a CSV file: a header row naming the columns, one vehicle a row.
 * Reloaded when the file changes.
 */
export interface CsvRegistryOptions {
  /** The file. Columns (any order, any subset but `plate`): plate, make, model, colour (or color), type, status. */
  readonly csv: string
  /** The file's mtime and size are checked for a change at most this often (default 5000 ms), on a lookup. */
  readonly checkEveryMs?: number
}

export const CSV_REGISTRY_KEYS = ['csv', 'checkEveryMs']

/** Header names → record fields. */
const COLUMNS: Readonly<Record<string, keyof RegistryRecord | 'plate'>> = {
  plate: 'plate', make: 'make', model: 'model', colour: 'colour', color: 'colour', type: 'type', status: 'status',
}

/** Checks CSV registry options; errors name `path.option`. */
export function resolveCsvRegistry(value: unknown, path: string): Required<CsvRegistryOptions> {
  const o = checkObject(path, value)
  checkKnownKeys(path, o, CSV_REGISTRY_KEYS)
  return {
    csv: checkString(`${path}.csv`, o.csv),
    checkEveryMs: optionalNumber(`${path}.checkEveryMs`, o.checkEveryMs, 5000, { min: 0, max: 86_400_000 }),
  }
}

/** The fields of one CSV line (RFC 4180 quotes within the line: `"a, b"`, `""` for a quote); undefined when a quote is left open. */
function fieldsOf(line: string): string[] | undefined {
  const out: string[] = []
  let i = 0
  for (;;) {
    let field = ''
    if (line[i] === '"') {
      i++
      for (;;) {
        if (i >= line.length) return undefined
        if (line[i] === '"') {
          if (line[i + 1] === '"') { field += '"'; i += 2; continue }
          i++
          break
        }
        field += line[i++]
      }
      const comma = line.indexOf(',', i)
      if (line.slice(i, comma < 0 ? undefined : comma).trim() !== '') return undefined
      i = comma < 0 ? line.length : comma
    } else {
      const comma = line.indexOf(',', i)
      field = line.slice(i, comma < 0 ? undefined : comma)
      i = comma < 0 ? line.length : comma
    }
    out.push(field.trim())
    if (i >= line.length) return out
    i++ // the comma
  }
}

/**
 * Parses a register CSV into plate (normalised as the plate stage reads it) → record, values
 * trimmed and lower-cased. Errors are ERR_DATA naming `file` and the line, never a plate
 * (personal data): an unknown column, no `plate` column, a row with another number of fields, a
 * quote left open, a plate without letters or digits, a plate given twice.
 */
export function parseCsvRegistry(text: string, file: string): Map<string, RegistryRecord> {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const bad = (line: number, why: string) => new OkoError('ERR_DATA', `vehicle register ${file} line ${line}: ${why}`)
  const headerAt = lines.findIndex((l) => l.trim() !== '')
  if (headerAt < 0) throw new OkoError('ERR_DATA', `vehicle register ${file} is empty; its first line names the columns: plate,make,model,colour,type,status`)
  const header = fieldsOf(lines[headerAt]!)
  if (!header) throw bad(headerAt + 1, 'a quote is left open')
  const fields = header.map((name, i) => {
    const field = COLUMNS[name.toLowerCase()]
    if (!field) throw bad(headerAt + 1, `unknown column ${JSON.stringify(name)} (column ${i + 1}); known columns: plate, make, model, colour, type, status`)
    return field
  })
  const plateAt = fields.indexOf('plate')
  if (plateAt < 0) throw bad(headerAt + 1, 'no "plate" column; the first line names the columns: plate,make,model,colour,type,status')
  const repeated = fields.find((f, i) => fields.indexOf(f) !== i)
  if (repeated) throw bad(headerAt + 1, `column "${repeated}" is given twice`)
  const table = new Map<string, RegistryRecord>()
  const lineOf = new Map<string, number>()
  for (let n = headerAt + 1; n < lines.length; n++) {
    if (lines[n]!.trim() === '') continue
    const row = fieldsOf(lines[n]!)
    if (!row) throw bad(n + 1, 'a quote is left open')
    if (row.length !== fields.length) throw bad(n + 1, `${row.length} fields, the header has ${fields.length}`)
    const plate = normalizePlateText(row[plateAt]!)
    if (plate === '') throw bad(n + 1, 'the plate has no letters or digits')
    const first = lineOf.get(plate)
    if (first !== undefined) throw bad(n + 1, `the plate of line ${first} again; give each plate once`)
    lineOf.set(plate, n + 1)
    const record: Record<string, string> = {}
    fields.forEach((f, i) => { if (f !== 'plate' && row[i] !== '') record[f] = row[i]!.toLowerCase() })
    table.set(plate, record)
  }
  return table
}

/**
 * The lookup of a CSV vehicle register. The file is read now (an error here is an
 * InvalidOptionError at `path.csv`), then checked for a change (mtime, size) at most every
 * `checkEveryMs` and read again when it changed. A reload that fails (the file gone, a bad line)
 * keeps the last good table and rejects one lookup with the reason: reported once, not per frame.
 */
export function csvRegistry(options: CsvRegistryOptions, path = 'options.registry'): RegistryLookup {
  const o = resolveCsvRegistry(options, path)
  const file = o.csv
  let table: Map<string, RegistryRecord>
  let version: string
  try {
    version = versionOf(statSync(file))
    table = parseCsvRegistry(readFileSync(file, 'utf8'), file)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    const why = cause instanceof OkoError ? cause.message : `cannot read vehicle register ${file} (${code ?? (cause as Error).message})`
    throw new InvalidOptionError(`${path}.csv`, `${why}${code ? '; give a CSV file whose first line names the columns: plate,make,model,colour,type,status' : ''}`)
  }
  let checkedAtMs = Date.now()
  let checking: Promise<void> | undefined
  let failure: Error | undefined

  const check = async (): Promise<void> => {
    let now: string
    try {
      now = versionOf(await stat(file))
    } catch (cause) {
      now = 'unreadable'
      if (version !== now) failure = new OkoError('ERR_DATA', `cannot read vehicle register ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}); the last good table stays in use`)
    }
    if (now === version || now === 'unreadable') { version = now; return }
    version = now
    try {
      table = parseCsvRegistry(await readFile(file, 'utf8'), file)
      failure = undefined
    } catch (cause) {
      failure = new OkoError('ERR_DATA', `${(cause as Error).message}; the last good table stays in use`, { cause })
    }
  }

  return async (plate) => {
    if (Date.now() - checkedAtMs >= o.checkEveryMs && !checking) {
      checkedAtMs = Date.now()
      checking = check().finally(() => { checking = undefined })
    }
    if (checking) await checking
    if (failure) {
      const error = failure
      failure = undefined
      throw error
    }
    return table.get(normalizePlateText(plate))
  }
}

function versionOf(s: { mtimeMs: number; size: number }): string {
  return `${s.mtimeMs}:${s.size}`
}
