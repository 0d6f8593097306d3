import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { EVENT_VERSION, IdFactory, type OkoEvent } from '@oko/core'
import { queryFromBody, queryFromUrl } from '@oko/live'
import { EventIndex } from '@oko/sinks'

const dir = mkdtempSync(join(tmpdir(), 'oko-live-search-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const ids = new IdFactory()
const T0 = 1_800_000_000_000

function motion(cameraId: string, timeMs: number): OkoEvent {
  return { id: ids.next(timeMs), v: EVENT_VERSION, type: 'motion', timeMs, cameraId, seq: 0, ptsUs: 0, score: 0.1, regions: [], zones: [] }
}
function plate(cameraId: string, timeMs: number, text: string): OkoEvent {
  return {
    id: ids.next(timeMs), v: EVENT_VERSION, type: 'plate', timeMs, cameraId, seq: 0, ptsUs: 0, text, confidence: 0.9, box: { x: 1, y: 2, width: 30, height: 10 },
    trackId: 't', readings: 3, snapshot: { jpeg: new Uint8Array([0xff, 0xd8, 1, 2, 3]), width: 64, height: 32, box: { x: 0, y: 0, width: 64, height: 32 } },
  } as unknown as OkoEvent
}
const idsOf = (page: { events: readonly OkoEvent[] }) => page.events.map((e) => e.id)

describe('EventIndex (SQLite): the events search reads after the outputs took them', () => {
  it('finds events by camera, type, time range, plate (case, spaces and dashes ignored) and text; pages newest first', () => {
    using index = new EventIndex({ path: join(dir, 'a.sqlite') })
    const events = [
      motion('gate', T0), plate('gate', T0 + 10, 'AB1234CE'), motion('square', T0 + 20), plate('square', T0 + 30, 'KA7777HH'),
      ...Array.from({ length: 10 }, (_, i) => motion('gate', T0 + 100 + i)),
    ]
    expect(index.add(events)).toBe(events.length)
    expect(index.add(events.slice(0, 2))).toBe(0) // an event indexed twice is kept once
    expect(index.stats()).toMatchObject({ events: 14, indexed: 14 })
    expect(idsOf(index.search({ types: ['plate'] }))).toEqual([events[3]!.id, events[1]!.id])
    expect(idsOf(index.search({ cameras: ['square'] }))).toEqual([events[3]!.id, events[2]!.id])
    expect(idsOf(index.search({ fromMs: T0 + 10, toMs: T0 + 20 }))).toEqual([events[2]!.id, events[1]!.id])
    expect(idsOf(index.search({ plate: 'ab 12-34' }))).toEqual([events[1]!.id])
    expect(idsOf(index.search({ plate: '7777' }))).toEqual([events[3]!.id])
    expect(idsOf(index.search({ plate: 'ZZ' }))).toEqual([])
    expect(idsOf(index.search({ text: 'ka7777' }))).toEqual([events[3]!.id])
    expect(idsOf(index.search({ types: ['plate'], cameras: ['gate'], plate: 'AB' }))).toEqual([events[1]!.id])
    // paging: limit, then before
    const first = index.search({ cameras: ['gate'], limit: 4 })
    expect(idsOf(first)).toEqual(events.slice(-4).reverse().map((e) => e.id))
    expect(first.next).toBe(events[events.length - 4]!.id)
    const rest = index.search({ cameras: ['gate'], before: first.next! })
    expect(idsOf(rest)).toEqual([...events.slice(4, -4).reverse(), events[1]!, events[0]!].map((e) => e.id))
    expect(rest.next).toBeUndefined()
    // stored without snapshot bytes; the rest of the event as it was
    const found = index.search({ types: ['plate'], limit: 1 }).events[0] as unknown as { text: string; snapshot: Record<string, unknown> }
    expect(found.text).toBe('KA7777HH')
    expect(found.snapshot).toEqual({ width: 64, height: 32, box: { x: 0, y: 0, width: 64, height: 32 } })
  })

  it('retention: events older than retainMs and past maxEvents are pruned (counted); what is kept survives a reopen', () => {
    let now = T0
    const path = join(dir, 'b.sqlite')
    {
      using index = new EventIndex({ path, retainMs: 3_600_000, maxEvents: 5, now: () => now })
      index.add([motion('gate', T0), motion('gate', T0 + 1)])
      now += 1_800_000
      index.add([motion('gate', T0 + 2), motion('gate', T0 + 3)])
      now += 1_800_001 // the first two are older than an hour now
      expect(index.prune()).toBe(2)
      expect(index.stats()).toMatchObject({ events: 2, prunedAge: 2, prunedCount: 0 })
      const more = Array.from({ length: 6 }, (_, i) => motion('gate', T0 + 10 + i))
      index.add(more)
      expect(index.stats()).toMatchObject({ events: 5, prunedCount: 3 })
      expect(idsOf(index.search({ limit: 500 }))).toEqual(more.slice(1).reverse().map((e) => e.id))
    }
    using again = new EventIndex({ path, retainMs: 3_600_000, maxEvents: 5, now: () => now })
    expect(again.stats().events).toBe(5)
    now += 3_600_001
    expect(again.prune()).toBe(5)
    expect(again.search({}).events).toEqual([])
  })

  it('refuses bad bounds and an unopenable file with the option named', () => {
    expect(() => new EventIndex({ path: join(dir, 'c.sqlite'), maxEvents: 0 })).toThrow(/search\.maxEvents/)
    expect(() => new EventIndex({ path: join(dir, 'c.sqlite'), retainMs: -1 })).toThrow(/search\.retainHours/)
    writeFileSync(join(dir, 'a-file'), 'x')
    expect(() => new EventIndex({ path: join(dir, 'a-file', 'x.sqlite') })).toThrow(/search\.path: cannot open/)
  })
})

describe('search parameters', () => {
  const url = (q: string) => queryFromUrl(new URLSearchParams(q))

  it('GET /api/events: camera and type (repeated or comma lists), from/to as ms or ISO 8601, limit, before', () => {
    expect(url('camera=a,b&camera=c&type=plate&from=1000&to=2026-12-02T20:00:00Z&limit=20&before=01ARZ3NDEKTSV4RRFFQ69G5FAV')).toEqual({
      cameras: ['a', 'b', 'c'], types: ['plate'], fromMs: 1000, toMs: Date.parse('2026-12-02T20:00:00Z'), limit: 20, before: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
    })
    expect(url('')).toEqual({})
  })

  it('hostile GET parameters are a 400 naming the parameter; plate text in a URL is refused', () => {
    const status = (q: string) => {
      try {
        url(q)
        return 200
      } catch (error) {
        return `${(error as { status: number }).status} ${(error as Error).message}`
      }
    }
    expect(status('plate=AB1234')).toMatch(/^400 plate and text search go in a POST/)
    expect(status('text=AB1234')).toMatch(/^400 /)
    expect(status('q=AB1234')).toMatch(/^400 /)
    expect(status('limit=0')).toMatch(/^400 limit/)
    expect(status('limit=501')).toMatch(/^400 limit/)
    expect(status('limit=1e2')).toBe(200)
    expect(status('limit=2.5')).toMatch(/^400 limit/)
    expect(status('limit=1&limit=2')).toMatch(/^400 limit: give it once/)
    expect(status('from=yesterday')).toMatch(/^400 from/)
    expect(status('from=-5')).toMatch(/^400 from/)
    expect(status('from=2000&to=1000')).toMatch(/^400 from is after to/)
    expect(status('before=../../etc')).toMatch(/^400 before/)
    expect(status(`camera=${'x'.repeat(201)}`)).toMatch(/^400 camera/)
    expect(status(`camera=${Array.from({ length: 101 }, (_, i) => i).join(',')}`)).toMatch(/^400 camera: at most 100/)
    expect(status('camera=a%00b')).toMatch(/^400 camera/)
    expect(status('cameraId=a')).toMatch(/^400 cameraId: unknown parameter/)
    expect(status('%3Cscript%3E=1')).toMatch(/^400 \?script\?: unknown/)
  })

  it('POST /api/events/search: the body checked field by field', () => {
    expect(queryFromBody({ types: ['plate'], cameras: ['a'], fromMs: 1, toMs: 2, plate: 'ab 12', text: 'north', limit: 5 })).toEqual({ types: ['plate'], cameras: ['a'], fromMs: 1, toMs: 2, plate: 'ab 12', text: 'north', limit: 5 })
    expect(queryFromBody({ plate: '', text: '  ', types: [] })).toEqual({})
    for (const [body, message] of [
      [{ types: 'plate' }, /types: expected a list/], [{ plate: 12 }, /plate: expected a string/], [{ plate: 'x'.repeat(33) }, /plate: expected a string of at most 32/],
      [{ limit: 'all' }, /limit: expected a number/], [{ limit: 10_000 }, /limit: expected a whole number/], [{ fromMs: 5, toMs: 1 }, /from is after to/],
      [{ before: 7 }, /before: expected an event id/], [{ sql: 'DROP TABLE' }, /sql: unknown field/],
    ] as const) expect(() => queryFromBody(body as Record<string, unknown>)).toThrow(message)
  })
})
