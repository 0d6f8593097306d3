import { HttpError } from './http.js'
import type { EventQuery } from './recent.js'

const MAX_VALUES = 100
const MAX_VALUE_CHARS = 200
const MAX_LIMIT = 500
const ID = /^[0-9A-Z]{26}$/
const GET_KEYS = new Set(['camera', 'type', 'from', 'to', 'limit', 'before'])
const POST_KEYS = new Set(['cameras', 'types', 'fromMs', 'toMs', 'limit', 'before', 'text', 'plate'])
const PERSONAL = 'plate and text search go in a POST /api/events/search body: plate text is personal data and stays out of URLs (and so out of proxy and access logs)'

/**
 * `GET /api/events?camera=&type=&from=&to=&limit=&before=`: camera and type repeat or take
 * commas; from and to are ms since the epoch or an ISO 8601 time. Anything else is a 400 naming
 * the parameter; `plate`, `text` and `q` are refused (personal data stays out of URLs).
 */
export function queryFromUrl(p: URLSearchParams): EventQuery {
  for (const key of new Set(p.keys())) {
    if (key === 'plate' || key === 'text' || key === 'q') throw new HttpError(400, PERSONAL)
    if (!GET_KEYS.has(key)) throw new HttpError(400, `${clip(key)}: unknown parameter; the parameters are ${[...GET_KEYS].join(', ')}`)
    if (key !== 'camera' && key !== 'type' && p.getAll(key).length > 1) throw new HttpError(400, `${key}: give it once`)
  }
  const list = (k: string) => strings(k, p.getAll(k).flatMap((v) => v.split(',')).filter(Boolean))
  const one = (k: string) => p.get(k) ?? undefined
  return build({ types: list('type'), cameras: list('camera'), fromMs: time('from', one('from')), toMs: time('to', one('to')), limit: limit(one('limit')), before: before(one('before')) })
}

/** The body of `POST /api/events/search`: `{ types, cameras, fromMs, toMs, plate, text, limit, before }`, each checked. */
export function queryFromBody(q: Record<string, unknown>): EventQuery {
  for (const key of Object.keys(q)) if (!POST_KEYS.has(key)) throw new HttpError(400, `${clip(key)}: unknown field; the fields are ${[...POST_KEYS].join(', ')}`)
  const list = (k: string): string[] | undefined => {
    const v = q[k]
    if (v === undefined || v === null) return undefined
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new HttpError(400, `${k}: expected a list of strings`)
    return strings(k, v as string[])
  }
  const text = (k: string, max: number): string | undefined => {
    const v = q[k]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'string' || v.length > max) throw new HttpError(400, `${k}: expected a string of at most ${max} characters`)
    return v.trim() === '' ? undefined : v
  }
  const num = (k: string): string | undefined => {
    const v = q[k]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'number') throw new HttpError(400, `${k}: expected a number`)
    return String(v)
  }
  if (q.before !== undefined && typeof q.before !== 'string') throw new HttpError(400, 'before: expected an event id')
  return build({
    types: list('types'), cameras: list('cameras'), fromMs: time('fromMs', num('fromMs')), toMs: time('toMs', num('toMs')),
    limit: limit(num('limit')), before: before(q.before as string | undefined), text: text('text', 200), plate: text('plate', 32),
  })
}

type Parts = { [K in keyof EventQuery]-?: EventQuery[K] | undefined }

function build(parts: Partial<Parts>): EventQuery {
  if (parts.fromMs !== undefined && parts.toMs !== undefined && parts.fromMs > parts.toMs) throw new HttpError(400, 'from is after to')
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(parts)) if (v !== undefined && !(Array.isArray(v) && v.length === 0)) out[k] = v
  return out as EventQuery
}

function strings(k: string, values: string[]): string[] {
  if (values.length > MAX_VALUES) throw new HttpError(400, `${k}: at most ${MAX_VALUES} values`)
  for (const v of values) if (v.length > MAX_VALUE_CHARS || /[\u0000-\u001f]/.test(v)) throw new HttpError(400, `${k}: expected names of at most ${MAX_VALUE_CHARS} characters, no control characters`)
  return values
}

/** ms since the epoch, or an ISO 8601 time (`2026-12-02T20:00:00Z`). */
function time(k: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined
  const ms = /^\d{4}-\d\d-\d\d/.test(v) ? Date.parse(v) : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : NaN
  if (!Number.isFinite(ms) || ms < 0 || ms > 8.64e15) throw new HttpError(400, `${k}: expected ms since the epoch or an ISO 8601 time`)
  return ms
}

function limit(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new HttpError(400, `limit: expected a whole number from 1 to ${MAX_LIMIT}`)
  return n
}

function before(v: string | undefined): string | undefined {
  if (v === undefined) return undefined
  if (!ID.test(v)) throw new HttpError(400, 'before: expected an event id (the `next` of the page before)')
  return v
}

/** A parameter name as echoed in an error: short, printable. */
function clip(key: string): string {
  const s = key.replace(/[^\w.-]/g, '?')
  return s.length > 40 ? `${s.slice(0, 40)}…` : s
}
