import type Database from 'better-sqlite3'
import { Packr } from 'msgpackr'
import { OkoError, type OkoEvent } from '@oko/core'
import { openStore } from './sqlite.js'

/**
 * What happens when an append would pass `maxBytes`: `drop-oldest` deletes the oldest events
 * (for every sink that had not delivered them yet), `drop-newest` keeps what is stored and
 * refuses the new events. Either way each sink counts what it lost and `onDrop` reports it.
 */
export type OutboxFullPolicy = 'drop-oldest' | 'drop-newest'

export interface OutboxOptions {
  /** The SQLite file (created with its folder). */
  readonly path: string
  /** Names of the sinks delivering from it: each keeps a cursor; cursors of other names are removed. */
  readonly sinks: readonly string[]
  /** Bound on the stored events' bytes (encoded). Default 256 MiB. */
  readonly maxBytes?: number
  /** Events older than this are dropped (counted as `stale`). Default 7 days. */
  readonly maxAgeMs?: number
  readonly full?: OutboxFullPolicy
  /** A sink lost `count` events it had not delivered: to the size bound (`overflow`) or age (`stale`). */
  readonly onDrop?: (sink: string, count: number, reason: 'overflow' | 'stale') => void
  /** Clock (tests). */
  readonly now?: () => number
}

export interface OutboxRecord {
  readonly seq: number
  readonly event: OkoEvent
}

export interface OutboxSinkStats {
  /** Events stored that this sink has not acknowledged yet. */
  readonly pending: number
  /** Age of the oldest of them, ms (0 when none). */
  readonly oldestPendingAgeMs: number
  /** Events this sink lost to the bounds since the outbox was opened. */
  readonly dropped: number
}

export interface OutboxStats {
  /** Sequence number of the newest event ever stored (they start at 1 and never repeat). */
  readonly lastSeq: number
  readonly events: number
  readonly bytes: number
  readonly maxBytes: number
  readonly sinks: Readonly<Record<string, OutboxSinkStats>>
}

/**
 * A durable queue of events on local disk, read by several sinks each at its own cursor:
 * at-least-once delivery per sink, in order. SQLite through better-sqlite3 (12.x: 13 needs Node
 * 22): one file, transactions, a crash-safe write-ahead log, synchronous calls (an append is one
 * transaction on the calling thread, ~0.05 ms per event in batches), and no server to run. WAL
 * with `synchronous=NORMAL`: a committed append survives the process being killed (`kill -9`);
 * on power loss the last moments of appends can be lost (FULL would cost ~8× the write time).
 *
 * Events are stored once (msgpack), rows deleted when every sink has passed them. Sequence
 * numbers only grow (AUTOINCREMENT), and rows are only ever deleted from the oldest end, so a
 * sink's backlog is `newest − cursor`.
 */
export class Outbox implements Disposable {
  readonly path: string
  readonly maxBytes: number
  readonly maxAgeMs: number
  readonly full: OutboxFullPolicy
  readonly #db: Database.Database
  readonly #packr = new Packr({ useRecords: false, moreTypes: false })
  readonly #cursors = new Map<string, number>()
  readonly #dropped = new Map<string, number>()
  readonly #onDrop: OutboxOptions['onDrop']
  readonly #now: () => number
  readonly #insert: Database.Statement<[string, string, string | null, number, number, Buffer]>
  readonly #select: Database.Statement<[number, number]>
  readonly #move: Database.Statement<[number, string]>
  readonly #listeners = new Set<() => void>()
  #bytes = 0
  #minSeq = 1
  #maxSeq = 0
  #closed = false

  constructor(options: OutboxOptions) {
    this.path = options.path
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024
    this.maxAgeMs = options.maxAgeMs ?? 7 * 24 * 3600 * 1000
    this.full = options.full ?? 'drop-oldest'
    this.#onDrop = options.onDrop
    this.#now = options.now ?? Date.now
    this.#db = openStore(options.path, 'outbox.path', 'the outbox')
    const db = this.#db
    db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, type TEXT NOT NULL, camera TEXT,
        created_ms INTEGER NOT NULL, bytes INTEGER NOT NULL, payload BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS cursors (sink TEXT PRIMARY KEY, seq INTEGER NOT NULL);`)
    this.#insert = db.prepare('INSERT INTO events (id, type, camera, created_ms, bytes, payload) VALUES (?, ?, ?, ?, ?, ?)')
    this.#select = db.prepare('SELECT seq, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?')
    this.#move = db.prepare('UPDATE cursors SET seq = ? WHERE sink = ?')
    const range = db.prepare('SELECT min(seq) AS lo, max(seq) AS hi, coalesce(sum(bytes), 0) AS bytes FROM events').get() as { lo: number | null; hi: number | null; bytes: number }
    const last = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as { seq: number } | undefined)?.seq ?? 0
    this.#maxSeq = range.hi ?? last
    this.#minSeq = range.lo ?? this.#maxSeq + 1
    this.#bytes = range.bytes
    const stored = new Map((db.prepare('SELECT sink, seq FROM cursors').all() as { sink: string; seq: number }[]).map((r) => [r.sink, r.seq]))
    const save = db.prepare('INSERT OR REPLACE INTO cursors (sink, seq) VALUES (?, ?)')
    db.transaction(() => {
      for (const name of stored.keys()) if (!options.sinks.includes(name)) db.prepare('DELETE FROM cursors WHERE sink = ?').run(name)
      for (const name of options.sinks) {
        // a sink new to this outbox starts with the events stored now (they were meant for the outputs of this deployment)
        const cursor = stored.get(name) ?? this.#minSeq - 1
        this.#cursors.set(name, cursor)
        this.#dropped.set(name, 0)
        save.run(name, cursor)
      }
    })()
    this.#trim()
  }

  /** Stores events (one transaction), applying the age and size bounds; returns how many were stored. */
  append(events: readonly OkoEvent[]): number {
    this.#check()
    if (events.length === 0) return 0
    const now = this.#now()
    const rows = events.map((e) => ({ e, payload: this.#packr.pack(e) as Buffer }))
    let stored = 0
    this.#db.transaction(() => {
      for (const { e, payload } of rows) {
        if (payload.length > this.maxBytes) { this.#countAll(1, 'overflow'); continue }
        if (this.#bytes + payload.length > this.maxBytes) {
          if (this.full === 'drop-newest') { this.#countAll(1, 'overflow'); continue }
          this.#dropOldest(payload.length)
        }
        const camera = (e as { cameraId?: unknown }).cameraId
        const r = this.#insert.run(e.id, e.type, typeof camera === 'string' ? camera : null, now, payload.length, payload)
        this.#maxSeq = Number(r.lastInsertRowid)
        if (this.#minSeq > this.#maxSeq) this.#minSeq = this.#maxSeq
        this.#bytes += payload.length
        stored++
      }
    })()
    this.#trim()
    for (const wake of this.#listeners) wake()
    return stored
  }

  /** Up to `limit` events after the sink's cursor, oldest first. */
  read(sink: string, limit: number): OutboxRecord[] {
    this.#check()
    const cursor = this.#cursor(sink)
    const rows = this.#select.all(cursor, limit) as { seq: number; payload: Buffer }[]
    return rows.map((r) => ({ seq: r.seq, event: this.#packr.unpack(r.payload) as OkoEvent }))
  }

  /** Up to `limit` events of `type` after `afterSeq` (not yet passed by the sink's cursor), oldest first: alarms sent ahead of a backlog. */
  readType(sink: string, type: string, afterSeq: number, limit: number): OutboxRecord[] {
    this.#check()
    const from = Math.max(afterSeq, this.#cursor(sink))
    const rows = this.#db.prepare('SELECT seq, payload FROM events WHERE seq > ? AND type = ? ORDER BY seq LIMIT ?').all(from, type, limit) as { seq: number; payload: Buffer }[]
    return rows.map((r) => ({ seq: r.seq, event: this.#packr.unpack(r.payload) as OkoEvent }))
  }

  /** The sink has delivered everything up to `seq`: its cursor moves (durably), rows every sink passed are deleted. */
  ack(sink: string, seq: number): void {
    this.#check()
    if (seq <= this.#cursor(sink)) return
    this.#cursors.set(sink, seq)
    this.#move.run(seq, sink)
    this.#deleteDelivered()
  }

  /** Calls `wake` after every append (a delivery loop waiting for events); returns the unsubscribe. */
  onAppend(wake: () => void): () => void {
    this.#listeners.add(wake)
    return () => this.#listeners.delete(wake)
  }

  /** Applies the age bound now (appends and acks do it too). */
  trim(): void {
    this.#check()
    this.#trim()
  }

  stats(): OutboxStats {
    const sinks: Record<string, OutboxSinkStats> = {}
    const now = this.#now()
    const oldestAfter = this.#closed ? undefined : this.#db.prepare('SELECT created_ms AS ms FROM events WHERE seq > ? ORDER BY seq LIMIT 1')
    for (const [name, cursor] of this.#cursors) {
      const pending = Math.max(0, this.#maxSeq - Math.max(cursor, this.#minSeq - 1))
      const row = pending > 0 ? (oldestAfter?.get(cursor) as { ms: number } | undefined) : undefined
      sinks[name] = { pending, oldestPendingAgeMs: row ? Math.max(0, now - row.ms) : 0, dropped: this.#dropped.get(name) ?? 0 }
    }
    return { lastSeq: this.#maxSeq, events: Math.max(0, this.#maxSeq - this.#minSeq + 1), bytes: this.#bytes, maxBytes: this.maxBytes, sinks }
  }

  /** Closes the database (what is stored stays for the next open). Idempotent. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#listeners.clear()
    this.#db.close()
  }

  [Symbol.dispose](): void {
    this.close()
  }

  #check(): void {
    if (this.#closed) throw new OkoError('ERR_CLOSED', `outbox ${this.path} is closed`)
  }

  #cursor(sink: string): number {
    const c = this.#cursors.get(sink)
    if (c === undefined) throw new OkoError('ERR_INVALID_INPUT', `outbox ${this.path} has no sink "${sink}"; its sinks are ${[...this.#cursors.keys()].join(', ') || 'none'}`)
    return c
  }

  /** Deletes the oldest rows until `incoming` more bytes fit; sinks that had not passed them lose them. */
  #dropOldest(incoming: number): void {
    let upTo = this.#minSeq - 1
    const rows = this.#db.prepare('SELECT seq, bytes FROM events WHERE seq >= ? ORDER BY seq').iterate(this.#minSeq) as IterableIterator<{ seq: number; bytes: number }>
    let bytes = this.#bytes
    for (const r of rows) {
      if (bytes + incoming <= this.maxBytes) break
      bytes -= r.bytes
      upTo = r.seq
    }
    this.#deleteUpTo(upTo, 'overflow')
  }

  #trim(): void {
    const cutoff = this.#now() - this.maxAgeMs
    // rows are in time order: look at the oldest (a key lookup) before searching
    const oldest = this.#db.prepare('SELECT created_ms AS ms FROM events WHERE seq = ?').get(this.#minSeq) as { ms: number } | undefined
    if (oldest && oldest.ms < cutoff) {
      const row = this.#db.prepare('SELECT max(seq) AS seq FROM events WHERE created_ms < ?').get(cutoff) as { seq: number | null }
      if (row.seq !== null) this.#deleteUpTo(row.seq, 'stale')
    }
    this.#deleteDelivered()
  }

  #deleteDelivered(): void {
    let min = Infinity
    for (const c of this.#cursors.values()) min = Math.min(min, c)
    if (min === Infinity) min = this.#maxSeq
    if (min >= this.#minSeq) this.#deleteUpTo(min, undefined)
  }

  /** Deletes rows ≤ seq; with a reason, each sink that had not passed them counts the loss and its cursor moves past them. */
  #deleteUpTo(seq: number, reason: 'overflow' | 'stale' | undefined): void {
    if (seq < this.#minSeq) return
    const freed = this.#db.prepare('SELECT coalesce(sum(bytes), 0) AS b FROM events WHERE seq <= ?').get(seq) as { b: number }
    this.#db.prepare('DELETE FROM events WHERE seq <= ?').run(seq)
    this.#bytes -= freed.b
    if (reason) {
      for (const [name, cursor] of this.#cursors) {
        const lost = seq - Math.max(cursor, this.#minSeq - 1)
        if (lost <= 0) continue
        this.#cursors.set(name, seq)
        this.#move.run(seq, name)
        this.#dropped.set(name, (this.#dropped.get(name) ?? 0) + lost)
        this.#onDrop?.(name, lost, reason)
      }
    }
    this.#minSeq = seq + 1
  }

  #countAll(count: number, reason: 'overflow'): void {
    for (const name of this.#cursors.keys()) {
      this.#dropped.set(name, (this.#dropped.get(name) ?? 0) + count)
      this.#onDrop?.(name, count, reason)
    }
  }
}
