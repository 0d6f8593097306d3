import { normalisePlate, plateOf, type EventQuery, type OkoEvent } from '@oko/core'

export type { EventQuery }

export interface EventPage {
  readonly events: readonly ShownEvent[]
  /** Pass as `before` for the next (older) page; absent on the last page. */
  readonly next?: string
}

/** An event as the page and the API show it: snapshot bytes replaced by a URL of this server. */
export type ShownEvent = OkoEvent & { readonly snapshotUrl?: string }

export interface RecentEventsOptions {
  /** Events kept. Default 5000. */
  readonly keep?: number
  /** Snapshot bytes kept for the newest events. Default 32 MiB. */
  readonly snapshotBytes?: number
}

/**
 * The recent events of a run in memory, newest last: what the live page lists and searches.
 * Snapshot JPEGs are kept apart (bounded by bytes, the oldest let go first) and served by id;
 * the events themselves carry a `snapshotUrl` instead of bytes.
 */
export class RecentEvents {
  readonly #keep: number
  readonly #maxSnapshotBytes: number
  readonly #events: ShownEvent[] = []
  readonly #snapshots = new Map<string, Uint8Array>()
  #snapshotBytes = 0
  /** Events let go because the log was full (the outputs still have them). */
  #evicted = 0

  constructor(options: RecentEventsOptions = {}) {
    this.#keep = options.keep ?? 5000
    this.#maxSnapshotBytes = options.snapshotBytes ?? 32 * 1024 * 1024
  }

  get size(): number {
    return this.#events.length
  }

  get evicted(): number {
    return this.#evicted
  }

  /** Adds an event; returns it as shown (without snapshot bytes). */
  add(event: OkoEvent): ShownEvent {
    const shown = this.#shown(event)
    this.#events.push(shown)
    if (this.#events.length > this.#keep) {
      const old = this.#events.shift()!
      this.#evicted++
      this.#dropSnapshot(old.id)
    }
    return shown
  }

  get(id: string): ShownEvent | undefined {
    for (let i = this.#events.length - 1; i >= 0; i--) if (this.#events[i]!.id === id) return this.#events[i]
    return undefined
  }

  /** Events newer than `id`, oldest first (a reconnecting event stream's `Last-Event-ID`), at most `limit`. */
  since(id: string, limit = 500): readonly ShownEvent[] {
    let i = this.#events.length
    while (i > 0 && this.#events[i - 1]!.id > id) i--
    return this.#events.slice(i, i + limit)
  }

  snapshot(id: string): Uint8Array | undefined {
    return this.#snapshots.get(id)
  }

  search(query: EventQuery): EventPage {
    const limit = Math.max(1, Math.min(500, Math.floor(query.limit ?? 50)))
    const types = query.types && query.types.length > 0 ? new Set(query.types) : undefined
    const cameras = query.cameras && query.cameras.length > 0 ? new Set(query.cameras) : undefined
    const text = query.text?.trim().toLowerCase().replace(/\s+/g, '')
    const plate = query.plate === undefined ? '' : normalisePlate(query.plate)
    const out: ShownEvent[] = []
    let next: string | undefined
    // `before` is the last event of the previous page: go on from where it is (ids of events made
    // in the same ms by different cameras need not arrive in id order); let go already: by id
    let start = this.#events.length - 1
    let byId: string | undefined
    if (query.before !== undefined) {
      while (start >= 0 && this.#events[start]!.id !== query.before) start--
      if (start >= 0) start--
      else [start, byId] = [this.#events.length - 1, query.before]
    }
    for (let i = start; i >= 0; i--) {
      const e = this.#events[i]!
      if (byId !== undefined && e.id >= byId) continue
      if (types && !types.has(e.type)) continue
      if (cameras && !cameras.has(cameraOf(e) ?? '')) continue
      if (query.fromMs !== undefined && e.timeMs < query.fromMs) continue
      if (query.toMs !== undefined && e.timeMs > query.toMs) continue
      if (text && !searchText(e).includes(text)) continue
      if (plate && !normalisePlate(plateOf(e) ?? '').includes(plate)) continue
      if (out.length === limit) {
        next = out[out.length - 1]!.id
        break
      }
      out.push(e)
    }
    return { events: out, ...(next !== undefined ? { next } : {}) }
  }

  /** An event from elsewhere (the event index) as shown: with its snapshot's URL while the snapshot is kept here. */
  show(event: OkoEvent): ShownEvent {
    return this.#snapshots.has(event.id) ? ({ ...event, snapshotUrl: `/api/events/${event.id}/snapshot.jpg` } as ShownEvent) : event
  }

  #shown(event: OkoEvent): ShownEvent {
    const snap = (event as { snapshot?: { jpeg?: unknown } }).snapshot
    if (!snap || typeof snap !== 'object') return event
    const { jpeg, ...rest } = snap as { jpeg?: unknown }
    const shown = { ...event, snapshot: rest } as unknown as ShownEvent
    if (!(jpeg instanceof Uint8Array) || jpeg.length === 0) return shown
    this.#snapshots.set(event.id, jpeg)
    this.#snapshotBytes += jpeg.length
    for (const oldest of this.#snapshots.keys()) {
      if (this.#snapshotBytes <= this.#maxSnapshotBytes) break
      this.#dropSnapshot(oldest)
    }
    return this.#snapshots.has(event.id) ? ({ ...shown, snapshotUrl: `/api/events/${event.id}/snapshot.jpg` } as ShownEvent) : shown
  }

  #dropSnapshot(id: string): void {
    const s = this.#snapshots.get(id)
    if (!s) return
    this.#snapshots.delete(id)
    this.#snapshotBytes -= s.length
  }
}

export function cameraOf(event: OkoEvent): string | undefined {
  const c = (event as { cameraId?: unknown }).cameraId
  return typeof c === 'string' ? c : undefined
}

/** What text search looks in: plate text, face identity, alarm point and place (spaces ignored). */
function searchText(event: OkoEvent): string {
  const e = event as unknown as Record<string, unknown>
  const identity = (e.match as { identity?: unknown } | undefined)?.identity
  const lists = Array.isArray(e.watchlist) ? (e.watchlist as { list?: unknown }[]).map((w) => w.list) : []
  return [plateOf(event), identity, e.pointId, e.place, ...lists].filter((v): v is string => typeof v === 'string').join(' ').toLowerCase().replace(/\s+/g, '')
}
