import { readFileSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { InvalidOptionError, OkoError } from '@oko/core'
import { Watchlists, normalizePlateText, type WatchlistSpec } from '@oko/plates'

/**
 * Reads a plate watchlist file (synchronously, for config validation).
 *
 * - Text (`.txt`, `.list`, anything not `.json`): one plate per line, written as on the plate
 *   (`AA 1234 BB`, `A123BC77`, Cyrillic look-alikes allowed); `#` starts a comment; blank lines are
 *   skipped. The list is named after the file (`stolen.txt` → `stolen`), fuzzy matching on
 *   (one character off; a confusable swap such as O/0 counts half).
 * - JSON: `["AA1234BB", …]` (named after the file), one list `{ "name", "plates": [...],
 *   "fuzzy"?: true, "maxDistance"?: 1 }`, or an array of such lists.
 *
 * Errors are InvalidOptionError at `path`, naming the file and the line (text) or list entry (JSON),
 * never the plate text (personal data).
 */
export function readPlateWatchlist(file: string, path: string): WatchlistSpec[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new InvalidOptionError(path, `cannot read plate watchlist ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}); give a text file with one plate per line, or JSON`)
  }
  const name = basename(file, extname(file))
  let specs: WatchlistSpec[]
  if (extname(file).toLowerCase() === '.json') {
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (cause) {
      throw new InvalidOptionError(path, `plate watchlist ${file} is not valid JSON (${(cause as Error).message})`)
    }
    if (Array.isArray(data) && data.every((d) => typeof d === 'string')) specs = [{ name, plates: data as string[] }]
    else specs = (Array.isArray(data) ? data : [data]) as WatchlistSpec[]
    try {
      Watchlists.from(specs, basename(file))
    } catch (error) {
      if (error instanceof OkoError) throw new InvalidOptionError(path, `plate watchlist ${error.message}`)
      throw error
    }
  } else {
    const plates: string[] = []
    for (const [i, raw] of text.split(/\r?\n/).entries()) {
      const line = raw.replace(/#.*/, '').trim()
      if (line === '') continue
      if (normalizePlateText(line).length === 0) throw new InvalidOptionError(path, `plate watchlist ${file} line ${i + 1}: no letters or digits; write one plate per line (# for comments)`)
      plates.push(line)
    }
    specs = [{ name, plates }]
  }
  if (specs.every((s) => s.plates.length === 0)) throw new InvalidOptionError(path, `plate watchlist ${file} has no plates; write one plate per line`)
  return specs
}
