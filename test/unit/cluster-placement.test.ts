import { describe, expect, it } from 'vitest'
import { DEFAULT_TIMINGS, OwnLease, ServerClock, checkTimings, decideClaim, memberTimedOut, movedCameras, place, ringSuccessors } from '@oko/cluster'

const cams = (n: number) => Array.from({ length: n }, (_, i) => `cam-${String(i).padStart(4, '0')}`)
const workers = (n: number, capacity = 1000, from = 0) => Array.from({ length: n }, (_, i) => ({ id: `w-${i + from}`, capacity }))
const loads = (p: Map<string, string>) => {
  const m = new Map<string, number>()
  for (const w of p.values()) m.set(w, (m.get(w) ?? 0) + 1)
  return m
}

describe('placement: consistent hashing with bounded loads', () => {
  it('is deterministic: the same answer whatever the order of cameras and workers', () => {
    const a = place(cams(500), workers(7))
    const b = place(cams(500).reverse(), workers(7).reverse())
    expect([...b].sort()).toEqual([...a].sort())
    expect(a.size).toBe(500)
  })

  it('spreads evenly: no worker above its share + 15 %, none below 55 % of it', () => {
    const p = place(cams(6500), workers(200))
    const l = loads(p)
    expect(p.size).toBe(6500)
    expect(Math.max(...l.values())).toBeLessThanOrEqual(Math.ceil(1.15 * 6500 / 200))
    expect(Math.min(...l.values())).toBeGreaterThanOrEqual(Math.floor(0.55 * 6500 / 200))
  })

  it('follows capacity: a worker of capacity 2 gets none beyond 2; one of twice the capacity about twice the cameras', () => {
    const p = place(cams(12), [{ id: 'small', capacity: 2 }, { id: 'a', capacity: 100 }, { id: 'b', capacity: 100 }])
    expect(loads(p).get('small') ?? 0).toBeLessThanOrEqual(2)
    const q = loads(place(cams(3000), [{ id: 'big', capacity: 200 }, { id: 'x', capacity: 100 }, { id: 'y', capacity: 100 }]))
    expect(q.get('big')! / q.get('x')!).toBeGreaterThan(1.6)
    expect(q.get('big')! / q.get('x')!).toBeLessThan(2.4)
  })

  it('more cameras than capacity: the rest stay unplaced (no worker goes above its capacity)', () => {
    const p = place(cams(10), [{ id: 'a', capacity: 3 }, { id: 'b', capacity: 4 }])
    expect(p.size).toBe(7)
    expect(loads(p).get('a')).toBe(3)
    expect(place(cams(3), [])).toEqual(new Map())
  })

  it('moves few cameras when 10 % of the workers leave: those workers\' cameras and a few overflowed ones', () => {
    const before = place(cams(6500), workers(200))
    const leaving = new Set(workers(20).map((w) => w.id))
    const after = place(cams(6500), workers(200).filter((w) => !leaving.has(w.id)))
    const moved = movedCameras(before, after)
    const onLeavers = [...before].filter(([, w]) => leaving.has(w)).length
    expect(moved.length).toBeGreaterThanOrEqual(onLeavers)
    // a camera of a worker that stays moves only when a bound pushed it: well under the leavers' count
    expect(moved.length - onLeavers).toBeLessThan(onLeavers * 0.5)
    for (const [camera, worker] of after) expect(leaving.has(worker), camera).toBe(false)
  })

  it('moves few cameras when 10 % more workers join: about their share', () => {
    const before = place(cams(6500), workers(200))
    const after = place(cams(6500), [...workers(200), ...workers(20, 1000, 200)])
    const moved = movedCameras(before, after)
    const toNew = [...after].filter(([, w]) => Number(w.slice(2)) >= 200).length
    expect(toNew).toBeGreaterThan(0.8 * 6500 * 20 / 220)
    expect(moved.length).toBeLessThan(toNew * 1.5)
  })
})

describe('leases: claim, renew, fence', () => {
  const t = DEFAULT_TIMINGS

  it('a free key is created; a camera of a worker with a fresh heartbeat is waited for; of a stale one taken by CAS on its revision; its own resumed', () => {
    expect(decideClaim('a', { kind: 'free' }, 10_000, t)).toEqual({ action: 'create' })
    expect(decideClaim('a', { kind: 'held', worker: 'b', revision: 7, heartbeatMs: 10_000 - t.leaseTtlMs + 1 }, 10_000, t)).toEqual({ action: 'wait' })
    expect(decideClaim('a', { kind: 'held', worker: 'b', revision: 7, heartbeatMs: 10_000 - t.leaseTtlMs }, 10_000, t)).toEqual({ action: 'take', revision: 7, from: 'b' })
    // a holder with no heartbeat at all (gone a minute or more)
    expect(decideClaim('a', { kind: 'held', worker: 'b', revision: 7, heartbeatMs: -Infinity }, 10_000, t)).toEqual({ action: 'take', revision: 7, from: 'b' })
    expect(decideClaim('a', { kind: 'held', worker: 'a', revision: 9, heartbeatMs: 10_000 }, 10_000, t)).toEqual({ action: 'resume', revision: 9 })
  })

  it('the heartbeat (the lease of all a worker\'s cameras) is due every renewMs; not renewed for fenceMs it is stale, before anyone may take a camera', () => {
    const lease = new OwnLease(t)
    expect(lease.revision).toBe(0)
    expect(lease.stale(0)).toBe(true)
    lease.written(0, 3, 0)
    expect(lease.due(t.renewMs - 1)).toBe(false)
    expect(lease.due(t.renewMs)).toBe(true)
    lease.written(3, 4, t.renewMs)
    expect([lease.revision, lease.sentMs]).toEqual([4, t.renewMs])
    // a late answer to an older renewal changes nothing
    lease.written(3, 5, t.renewMs + 10)
    expect(lease.revision).toBe(4)
    expect(lease.stale(t.renewMs + t.fenceMs - 1)).toBe(false)
    expect(lease.stale(t.renewMs + t.fenceMs)).toBe(true)
    // the heartbeat on the server was stamped after the renewal was sent, so a camera can be taken no sooner than:
    const earliestTakeMs = t.renewMs + t.leaseTtlMs
    expect(earliestTakeMs - (t.renewMs + t.fenceMs)).toBe(t.leaseTtlMs - t.fenceMs)
    expect(t.leaseTtlMs - t.fenceMs).toBeGreaterThanOrEqual(2000)
    lease.lost()
    expect([lease.revision, lease.stale(1e9)]).toEqual([0, true])
  })

  it('the audit ring: each member\'s successors, in one order for every member, every other member once', () => {
    const ids = workers(50).map((w) => w.id)
    const after = ringSuccessors('w-7', ids)
    expect(after).toHaveLength(49)
    expect(new Set(after).size).toBe(49)
    expect(after).not.toContain('w-7')
    // the member after w-7 has w-7 last: one ring
    expect(ringSuccessors(after[0]!, ids).at(-1)).toBe('w-7')
    expect(ringSuccessors('w-7', [...ids].reverse())).toEqual(after)
    expect(ringSuccessors('alone', [])).toEqual([])
  })

  it('a member times out when both its last heartbeat and its join are older than the timeout (one just joined counts from its join)', () => {
    const member = { value: { id: 'b', capacity: 8, state: 'running' as const, startedMs: 0 }, revision: 3, joinedMs: 10_000 }
    expect(memberTimedOut(member, 12_000, 12_000 + t.workerTimeoutMs - 1, t.workerTimeoutMs)).toBe(false)
    expect(memberTimedOut(member, 12_000, 12_000 + t.workerTimeoutMs, t.workerTimeoutMs)).toBe(true)
    expect(memberTimedOut(member, -Infinity, 10_000 + t.workerTimeoutMs - 1, t.workerTimeoutMs)).toBe(false)
    expect(memberTimedOut(member, -Infinity, 10_000 + t.workerTimeoutMs, t.workerTimeoutMs)).toBe(true)
  })

  it('placement of 6,500 cameras on 200 workers is the same for every worker that sees them, and takes no camera beyond a capacity', () => {
    const ws = workers(200, 40)
    const p = place(cams(6500), ws)
    expect(p.size).toBe(6500)
    expect(Math.max(...loads(p).values())).toBeLessThanOrEqual(40)
  })

  it('timings that break the guarantee are refused, saying which', () => {
    expect(checkTimings(t)).toBe(t)
    expect(() => checkTimings({ ...t, fenceMs: t.leaseTtlMs })).toThrow(/fenceMs must be below leaseTtlMs/)
    expect(() => checkTimings({ ...t, renewMs: t.fenceMs })).toThrow(/renewMs must be at most half/)
    expect(() => checkTimings({ ...t, heartbeatMs: -1 })).toThrow(/heartbeatMs must be a number/)
    expect(() => checkTimings({ ...t, renewMs: 1500, fenceMs: 3500, workerTimeoutMs: 2900 })).toThrow(/renewMs must be at most half of workerTimeoutMs/)
  })

  it('the server clock is estimated from the stamp of a write of ours', () => {
    const clock = new ServerClock()
    clock.observe(1_000_500, 1_000_000)
    expect(clock.now(2_000_000)).toBe(2_000_500)
  })
})
