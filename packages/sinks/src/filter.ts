import type { OkoEvent } from '@oko/core'
import { checkArray, checkBoolean, checkKnownKeys, checkObject, checkString } from '@oko/core'
import { cameraOf, forOutput } from './wire.js'

/** Which events a sink gets, and whether personal data goes with them. */
export interface EventFilter {
  /** Event types to send (`plate`, `face`, `motion`, …); default all. */
  readonly types?: readonly string[]
  /** Cameras to send; default all. Events of no camera (run errors, outbox drops) always go. */
  readonly cameras?: readonly string[]
  /** Only plate and face events that hit a watchlist (other types pass when listed in `types`). */
  readonly watchlistOnly?: boolean
  /**
   * false: plate text and its characters, watchlist entries, face identities and every snapshot
   * are taken out before the event leaves (personal data). Default true.
   */
  readonly personalData?: boolean
}

export const FILTER_KEYS = ['types', 'cameras', 'watchlistOnly', 'personalData'] as const

/** Validates filter options found at `path` (inside a sink's options). */
export function checkFilter(path: string, o: Record<string, unknown>): EventFilter {
  return {
    ...(o.types !== undefined ? { types: checkArray(`${path}.types`, o.types).map((t, i) => checkString(`${path}.types[${i}]`, t)) } : {}),
    ...(o.cameras !== undefined ? { cameras: checkArray(`${path}.cameras`, o.cameras).map((t, i) => checkString(`${path}.cameras[${i}]`, t)) } : {}),
    ...(o.watchlistOnly !== undefined ? { watchlistOnly: checkBoolean(`${path}.watchlistOnly`, o.watchlistOnly) } : {}),
    ...(o.personalData !== undefined ? { personalData: checkBoolean(`${path}.personalData`, o.personalData) } : {}),
  }
}

/** A filter as a standalone option object (checks unknown keys too). */
export function parseFilter(path: string, value: unknown): EventFilter {
  const o = checkObject(path, value, {})
  checkKnownKeys(path, o, FILTER_KEYS)
  return checkFilter(path, o)
}

/** True when a watchlist matched: a plate with watchlist entries, a face with a match. */
export function hitsWatchlist(event: OkoEvent): boolean {
  const e = event as { watchlist?: readonly unknown[]; match?: unknown }
  return (Array.isArray(e.watchlist) && e.watchlist.length > 0) || e.match !== undefined
}

export function accepts(filter: EventFilter, event: OkoEvent): boolean {
  if (filter.types && !filter.types.includes(event.type)) return false
  const camera = cameraOf(event)
  if (filter.cameras && camera !== undefined && !filter.cameras.includes(camera)) return false
  const type: string = event.type // plates and faces are packages of their own: compare by name
  if (filter.watchlistOnly && (type === 'plate' || type === 'face') && !hitsWatchlist(event)) return false
  return true
}

/** The event without personal data (a copy), or the event itself when `personalData` is allowed. */
export function withoutPersonalData(filter: EventFilter, event: OkoEvent): OkoEvent {
  if (filter.personalData !== false) return event
  const e = { ...(event as unknown as Record<string, unknown>) }
  let changed = false
  const drop = (key: string) => {
    if (key in e) { delete e[key]; changed = true }
  }
  drop('snapshot')
  const type: string = event.type
  if (type === 'plate') {
    drop('text')
    drop('charConfidences')
    if (Array.isArray(e.watchlist)) { e.watchlist = (e.watchlist as { list: string; distance: number }[]).map(({ list, distance }) => ({ list, distance })); changed = true }
  }
  if (type === 'face' && e.match) { e.match = { distance: (e.match as { distance: number }).distance }; changed = true }
  // a vehicle's plate as other events carry it: a rule event's `plate`, an object's `attributes.plate`
  if (type === 'rule') drop('plate')
  const attributes = e.attributes as Record<string, unknown> | undefined
  if (type === 'object' && attributes && 'plate' in attributes) {
    const { plate: _plate, ...rest } = attributes
    e.attributes = rest
    changed = true
  }
  if (Array.isArray(e.evidence)) { e.evidence = (e.evidence as { kind: string }[]).filter((r) => r.kind !== 'snapshot'); changed = true }
  return changed ? (e as unknown as OkoEvent) : event
}

/** The events of a batch this filter sends, as they leave (no stacks; personal data out where asked). */
export function select(filter: EventFilter, batch: readonly OkoEvent[]): OkoEvent[] {
  const out: OkoEvent[] = []
  for (const e of batch) if (accepts(filter, e)) out.push(withoutPersonalData(filter, forOutput(e)))
  return out
}
