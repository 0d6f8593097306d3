import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EVENT_VERSION, IdFactory, type OkoEvent } from '@oko/core'
import { Outbox, accepts, select, toCloudEvent } from '@oko/sinks'
import { afterAll, describe, expect, it } from 'vitest'

const dir = mkdtempSync(join(tmpdir(), 'oko-outbox-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const ids = new IdFactory()

function motion(cameraId: string, seq: number, timeMs = 1_700_000_000_000 + seq): OkoEvent {
  return { id: ids.next(timeMs), v: EVENT_VERSION, type: 'motion', timeMs, cameraId, seq, ptsUs: seq * 40_000, score: 0.1, regions: [], zones: [] }
}

describe('Outbox (SQLite)', () => {
  it('keeps a cursor per sink: each reads every event once, in order, and rows go when all have passed them', () => {
    using outbox = new Outbox({ path: join(dir, 'a.sqlite'), sinks: ['mqtt', 'webhook'] })
    const events = Array.from({ length: 10 }, (_, i) => motion('gate', i))
    expect(outbox.append(events)).toBe(10)
    const first = outbox.read('mqtt', 4)
    expect(first.map((r) => r.event.id)).toEqual(events.slice(0, 4).map((e) => e.id))
    outbox.ack('mqtt', first[3]!.seq)
    expect(outbox.read('mqtt', 100).map((r) => r.event.id)).toEqual(events.slice(4).map((e) => e.id))
    expect(outbox.read('webhook', 100)).toHaveLength(10)
    expect(outbox.stats()).toMatchObject({ events: 10, sinks: { mqtt: { pending: 6 }, webhook: { pending: 10 } } })
    outbox.ack('webhook', first[3]!.seq)
    expect(outbox.stats().events).toBe(6)
    expect(() => outbox.read('nats', 1)).toThrow('has no sink "nats"')
  })

  it('survives a reopen: cursors and undelivered events come back, new seqs continue after the old', () => {
    const path = join(dir, 'b.sqlite')
    const events = Array.from({ length: 5 }, (_, i) => motion('gate', i))
    {
      using outbox = new Outbox({ path, sinks: ['a'] })
      outbox.append(events)
      outbox.ack('a', outbox.read('a', 2)[1]!.seq)
    }
    using outbox = new Outbox({ path, sinks: ['a', 'b'] })
    expect(outbox.read('a', 10).map((r) => r.event.id)).toEqual(events.slice(2).map((e) => e.id))
    // a sink new to the outbox starts at what is stored
    expect(outbox.read('b', 10).map((r) => r.event.id)).toEqual(events.slice(2).map((e) => e.id))
    const later = motion('gate', 9)
    outbox.append([later])
    const all = outbox.read('a', 10)
    expect(all.at(-1)!.event.id).toBe(later.id)
    expect(all.at(-1)!.seq).toBe(6)
  })

  it('at its size bound drops the oldest, counts them per sink that had not delivered them, and reports each drop', () => {
    const drops: [string, number, string][] = []
    const size = new Outbox({ path: join(dir, 'size.sqlite'), sinks: ['x'] })
    size.append([motion('gate', 100)])
    const rowBytes = size.stats().bytes
    size.close()
    using outbox = new Outbox({ path: join(dir, 'c.sqlite'), sinks: ['slow', 'fast'], maxBytes: rowBytes * 10, onDrop: (s, n, r) => drops.push([s, n, r]) })
    // rows of one size: seqs of one width
    const events = Array.from({ length: 25 }, (_, i) => motion('gate', 100 + i))
    outbox.append(events.slice(0, 10))
    outbox.ack('fast', outbox.read('fast', 10).at(-1)!.seq)
    outbox.append(events.slice(10))
    // 25 appended, 10 fit: 15 oldest dropped; 'fast' had passed 10 of them
    expect(outbox.stats()).toMatchObject({ events: 10, sinks: { slow: { pending: 10, dropped: 15 }, fast: { pending: 10, dropped: 5 } } })
    expect(drops.filter((d) => d[0] === 'slow').reduce((n, d) => n + d[1], 0)).toBe(15)
    expect(drops.filter((d) => d[0] === 'fast').reduce((n, d) => n + d[1], 0)).toBe(5)
    expect(drops.every((d) => d[2] === 'overflow')).toBe(true)
    expect(outbox.read('slow', 100).map((r) => r.event.id)).toEqual(events.slice(15).map((e) => e.id))
  })

  it('drop-newest keeps what it has and refuses what does not fit; the age bound drops old events as stale', () => {
    let now = 1_000_000
    const drops: [string, number, string][] = []
    using outbox = new Outbox({ path: join(dir, 'd.sqlite'), sinks: ['s'], maxBytes: 1000, full: 'drop-newest', maxAgeMs: 60_000, now: () => now, onDrop: (s, n, r) => drops.push([s, n, r]) })
    const events = Array.from({ length: 20 }, (_, i) => motion('gate', i))
    const stored = outbox.append(events)
    expect(stored).toBeLessThan(20)
    expect(outbox.read('s', 100).map((r) => r.event.id)).toEqual(events.slice(0, stored).map((e) => e.id))
    expect(drops.reduce((n, d) => n + d[1], 0)).toBe(20 - stored)
    now += 61_000
    outbox.trim()
    expect(outbox.stats().events).toBe(0)
    expect(drops.at(-1)).toEqual(['s', stored, 'stale'])
  })
})

describe('wire format and filters', () => {
  it('an event is a CloudEvents 1.0 structured event: id, source of deployment and camera, oko.<type>, RFC 3339 time', () => {
    const e = motion('gate 1', 3, Date.UTC(2026, 0, 2, 3, 4, 5, 6))
    expect(toCloudEvent(e, 'kyiv-centre')).toEqual({
      specversion: '1.0', id: e.id, source: '/oko/kyiv-centre/gate%201', type: 'oko.motion', time: '2026-01-02T03:04:05.006Z',
      subject: 'gate 1', datacontenttype: 'application/json', data: e,
    })
  })

  it('filters by type, camera and watchlist hit, and leaves personal data out when asked', () => {
    const plate = { ...motion('gate', 1), type: 'plate', text: 'AA1234BB', charConfidences: [1], watchlist: [{ list: 'stolen', entry: 'AA1234BB', distance: 0 }], snapshot: { jpeg: new Uint8Array(3) } } as unknown as OkoEvent
    const miss = { ...motion('gate', 2), type: 'plate', text: 'AA0000BB' } as unknown as OkoEvent
    const m = motion('yard', 3)
    expect([plate, miss, m].filter((e) => accepts({ types: ['plate'] }, e))).toEqual([plate, miss])
    expect([plate, miss, m].filter((e) => accepts({ cameras: ['yard'] }, e))).toEqual([m])
    expect([plate, miss, m].filter((e) => accepts({ watchlistOnly: true }, e))).toEqual([plate, m])
    const [out] = select({ personalData: false }, [plate])
    expect(out).not.toHaveProperty('text')
    expect(out).not.toHaveProperty('snapshot')
    expect(out).not.toHaveProperty('charConfidences')
    expect((out as unknown as { watchlist: unknown }).watchlist).toEqual([{ list: 'stolen', distance: 0 }])
    // the plate as a vehicle's track and a rule event carry it
    const vehicle = { ...motion('gate', 4), type: 'object', attributes: { type: { value: 'car' }, plate: { value: 'AA1234BB', confidence: 0.9 } } } as unknown as OkoEvent
    const rule = { ...motion('gate', 5), type: 'rule', kind: 'red-light', plate: 'AA1234BB' } as unknown as OkoEvent
    const [v, r] = select({ personalData: false }, [vehicle, rule])
    expect(v).toMatchObject({ attributes: { type: { value: 'car' } } })
    expect((v as unknown as { attributes: object }).attributes).not.toHaveProperty('plate')
    expect(r).not.toHaveProperty('plate')
    expect(JSON.stringify([v, r])).not.toContain('AA1234BB')
  })
})
