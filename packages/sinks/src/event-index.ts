import type Database from 'better-sqlite3'
import { Packr } from 'msgpackr'
import { OkoError, normalisePlate, plateOf, type EventQuery, type OkoEvent } from '@oko/core'
import { openStore } from './sqlite.js'

export interface EventIndexOptions {
  /** The SQLite file (created with its folder). */
  readonly path: string
  /** Events are kept this long after they were indexed, ms. Default 24 h. */
  readonly retainMs?: number
  /** At most this many events are kept (the oldest go first). Default 100 000. */
  readonly maxEvents?: number
  /** Clock (tests). */
  readonly now?: () => number
}

/** A search of the index: the same query the live page sends. */
export type IndexQuery = EventQuery

export interface IndexPage {
  readonly events: readonly OkoEvent[]
  /** Pass as `before` for the next (older) page; absent on the last page. */
  readonly next?: string
}

export interface EventIndexStats {
  readonly events: number
  /** Events indexed since the index was opened. */
  readonly indexed: number
  /** Events let go since it was opened: older than the retention, or past the count bound. */
  readonly prunedAge: number
  readonly prunedCount: number
}

const MAX_LIMIT = 500

/**
 * The recent events of a deployment, kept for search after the outputs have taken them (the
 * outbox deletes what every output acknowledged): SQLite through better-sqlite3, a file of its
 * own, bounded by age and count. Events are stored without snapshot bytes (msgpack); the plate
 * text and the other searched text are columns of their own (normalised), searched in SQL and
 * never logged. Newest first by insertion order; ids are unique (an event indexed twice is kept once).
 */
export class EventIndex implements Disposable {
  readonly path: string
  readonly retainMs: number
  readonly maxEvents: number
  readonly #db: Database.Database
  readonly #packr = new Packr({ useRecords: false, moreTypes: false })
  readonly #now: () => number
  readonly #insert: Database.Statement<[string, string, string | null, number, number, string | null, string, Buffer]>
  #count: number
  #indexed = 0
  #prunedAge = 0
  #prunedCount = 0
  #closed = false

  constructor(options: EventIndexOptions) {
    this.path = options.path
    this.retainMs = options.retainMs ?? 24 * 3_600_000
    this.maxEvents = options.maxEvents ?? 100_000
    if (!(this.retainMs > 0)) throw new OkoError('ERR_INVALID_OPTION', `search.retainHours: expected a positive number, received ${this.retainMs / 3_600_000}`)
    if (!Number.isInteger(this.maxEvents) || this.maxEvents < 1) throw new OkoError('ERR_INVALID_OPTION', `search.maxEvents: expected a positive integer, received ${this.maxEvents}`)
    this.#now = options.now ?? Date.now
    this.#db = openStore(options.path, 'search.path', 'the event index (http.search)')
    const db = this.#db
    db.exec(`
      CREATE TABLE IF NOT EXISTS indexed (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, camera TEXT,
        time_ms INTEGER NOT NULL, stored_ms INTEGER NOT NULL, plate TEXT, text TEXT NOT NULL, payload BLOB NOT NULL);
      CREATE INDEX IF NOT EXISTS indexed_stored ON indexed (stored_ms);
      CREATE INDEX IF NOT EXISTS indexed_camera ON indexed (camera, seq);
      CREATE INDEX IF NOT EXISTS indexed_type ON indexed (type, seq);`)
    this.#insert = db.prepare('INSERT OR IGNORE INTO indexed (id, type, camera, time_ms, stored_ms, plate, text, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    this.#count = (db.prepare('SELECT count(*) AS n FROM indexed').get() as { n: number }).n
    this.prune()
  }

  /** Indexes events (one transaction) and applies the bounds; returns how many were new. */
  add(events: readonly OkoEvent[]): number {
    this.#check()
    if (events.length === 0) return 0
    const now = this.#now()
    let added = 0
    this.#db.transaction(() => {
      for (const e of events) {
        const camera = (e as { cameraId?: unknown }).cameraId
        const plate = plateOf(e)
        const r = this.#insert.run(e.id, e.type, typeof camera === 'string' ? camera : null, Math.round(e.timeMs), now, plate === undefined ? null : normalisePlate(plate), searchText(e), this.#packr.pack(stored(e)) as Buffer)
        added += r.changes
      }
    })()
    this.#count += added
    this.#indexed += added
    this.prune()
    return added
  }

  /** Deletes what is older than the retention or past the count bound; returns how many went. */
  prune(): number {
    this.#check()
    const age = this.#db.prepare('DELETE FROM indexed WHERE stored_ms < ?').run(this.#now() - this.retainMs).changes
    this.#prunedAge += age
    this.#count -= age
    let over = 0
    if (this.#count > this.maxEvents) {
      const cut = this.#db.prepare('SELECT seq FROM indexed ORDER BY seq DESC LIMIT 1 OFFSET ?').get(this.maxEvents) as { seq: number } | undefined
      if (cut) over = this.#db.prepare('DELETE FROM indexed WHERE seq <= ?').run(cut.seq).changes
      this.#prunedCount += over
      this.#count -= over
    }
    return age + over
  }

  /** The newest events that match, one page. */
  search(query: IndexQuery = {}): IndexPage {
    this.#check()
    const where: string[] = []
    const args: (string | number)[] = []
    const list = (column: string, values: readonly string[] | undefined) => {
      if (!values || values.length === 0) return
      where.push(`${column} IN (${values.map(() => '?').join(', ')})`)
      args.push(...values)
    }
    list('type', query.types)
    list('camera', query.cameras)
    if (query.fromMs !== undefined) { where.push('time_ms >= ?'); args.push(query.fromMs) }
    if (query.toMs !== undefined) { where.push('time_ms <= ?'); args.push(query.toMs) }
    const plate = query.plate === undefined ? '' : normalisePlate(query.plate)
    if (plate) { where.push('instr(plate, ?) > 0'); args.push(plate) }
    const text = query.text === undefined ? '' : normaliseText(query.text)
    if (text) { where.push('instr(text, ?) > 0'); args.push(text) }
    if (query.before !== undefined) {
      const at = this.#db.prepare('SELECT seq FROM indexed WHERE id = ?').get(query.before) as { seq: number } | undefined
      // an event let go already: go on by id (ids grow with time)
      if (at) { where.push('seq < ?'); args.push(at.seq) } else { where.push('id < ?'); args.push(query.before) }
    }
    const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(query.limit ?? 50)))
    const sql = `SELECT id, payload FROM indexed${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`
    const rows = this.#db.prepare(sql).all(...args, limit + 1) as { id: string; payload: Buffer }[]
    const page = rows.slice(0, limit).map((r) => this.#packr.unpack(r.payload) as OkoEvent)
    return { events: page, ...(rows.length > limit ? { next: page[page.length - 1]!.id } : {}) }
  }

  stats(): EventIndexStats {
    return { events: this.#count, indexed: this.#indexed, prunedAge: this.#prunedAge, prunedCount: this.#prunedCount }
  }

  /** Closes the database (what is stored stays for the next open). Idempotent. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#db.close()
  }

  [Symbol.dispose](): void {
    this.close()
  }

  #check(): void {
    if (this.#closed) throw new OkoError('ERR_CLOSED', `event index ${this.path} is closed`)
  }
}

function normaliseText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, '')
}

/** What text search looks in: plate text, face identity, alarm point and place, watchlist names. */
function searchText(event: OkoEvent): string {
  const e = event as unknown as Record<string, unknown>
  const identity = (e.match as { identity?: unknown } | undefined)?.identity
  const lists = Array.isArray(e.watchlist) ? (e.watchlist as { list?: unknown }[]).map((w) => w.list) : []
  return normaliseText([plateOf(event), identity, e.pointId, e.place, ...lists].filter((v): v is string => typeof v === 'string').join(' '))
}

/** The event as stored: without snapshot bytes (the evidence store and the live page's memory keep pictures). */
function stored(event: OkoEvent): OkoEvent {
  const snap = (event as { snapshot?: unknown }).snapshot
  if (!snap || typeof snap !== 'object' || !('jpeg' in snap)) return event
  const { jpeg: _jpeg, ...rest } = snap as Record<string, unknown>
  return { ...event, snapshot: rest } as unknown as OkoEvent
}
