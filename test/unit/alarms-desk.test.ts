import type { EventInit, OkoEvent } from '@oko/core'
import { AlarmDesk, AlarmNotFoundError, type AlarmPoint } from '@oko/alarms'
import { describe, expect, it } from 'vitest'

/** A desk on a hand-driven clock: `advance(ms)` moves time and fires the timers that fell due. */
function deskOf(points: AlarmPoint[]) {
  let now = 1_000_000
  const timers: { at: number; fn: () => void; live: boolean }[] = []
  const events: EventInit[] = []
  const desk = new AlarmDesk(points, {
    publish: (e) => (events.push(e as EventInit), { id: String(events.length) }),
    evidence: (cameras, atMs) => cameras.map((c) => ({ id: `${c}-${atMs}`, kind: 'snapshot', contentType: 'image/jpeg', url: `http://x/evidence/${c}.jpg` }) as never),
    now: () => now,
    setTimer: (fn, ms) => {
      const t = { at: now + ms, fn, live: true }
      timers.push(t)
      return { cancel: () => void (t.live = false) }
    },
  })
  const advance = (ms: number) => {
    const end = now + ms
    for (;;) {
      const due = timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      now = due.at
      due.live = false
      due.fn()
    }
    now = end
  }
  const of = (type: string) => events.filter((e) => (e as OkoEvent).type === type) as unknown as Record<string, unknown>[]
  return { desk, events, advance, of }
}

const point: AlarmPoint = { id: 'sos-17', place: 'Square, north column', cameras: ['cam-a', 'cam-b'], debounceMs: 1000, escalateAfterMs: 60_000, heartbeatMs: 30_000 }

describe('alarm desk', () => {
  it('a press raises one alarm with its cameras and their evidence; bounces within debounceMs are ignored; a release does not resolve', () => {
    const { desk, of, advance } = deskOf([point])
    expect(desk.signal({ point: 'sos-17', state: 'active' }, 'http:gate').accepted).toBe('raised')
    advance(40)
    expect(desk.signal({ point: 'sos-17', state: 'inactive' }, 'http:gate').accepted).toBe('released')
    advance(40)
    expect(desk.signal({ point: 'sos-17', state: 'active' }, 'http:gate').accepted).toBe('bounce')
    advance(2000)
    expect(desk.signal({ point: 'sos-17', state: 'inactive' }, 'http:gate').accepted).toBe('released')
    const raised = of('alarm')
    expect(raised).toHaveLength(1)
    expect(raised[0]).toMatchObject({ phase: 'raised', priority: 0, pointId: 'sos-17', place: 'Square, north column', cameras: ['cam-a', 'cam-b'], input: 'http:gate', presses: 1 })
    expect((raised[0]!.evidence as { id: string }[]).map((r) => r.id)).toEqual(['cam-a-1000000', 'cam-b-1000000'])
    expect(desk.alarms()).toHaveLength(1)
    expect(desk.alarms()[0]).toMatchObject({ phase: 'raised' })
  })

  it('a second real press while the alarm is open is counted on it, not a new alarm; after resolve a press raises a new one', () => {
    const { desk, of, advance } = deskOf([point])
    const first = desk.signal({ point: 'sos-17', state: 'active' }, 'mqtt:b').alarmId!
    advance(5000)
    expect(desk.signal({ point: 'sos-17', state: 'active' }, 'mqtt:b')).toEqual({ accepted: 'counted', alarmId: first })
    desk.resolve(first, 'officer-7', 'false alarm: kids')
    advance(5000)
    const second = desk.signal({ point: 'sos-17', state: 'active', timeMs: 42 }, 'mqtt:b')
    expect(second.accepted).toBe('raised')
    expect(second.alarmId).not.toBe(first)
    expect(of('alarm').map((e) => e.phase)).toEqual(['raised', 'resolved', 'raised'])
    expect(of('alarm')[1]).toMatchObject({ alarmId: first, presses: 2, step: { by: 'officer-7', note: 'false alarm: kids' } })
    expect(of('alarm')[2]).toMatchObject({ pressedMs: 42 })
  })

  it('lifecycle raised → acknowledged → resolved, each step an event with who, when and the note; wrong steps are refused', () => {
    const { desk, of, advance } = deskOf([point])
    const id = desk.signal({ point: 'sos-17', state: 'active' }, 'api').alarmId!
    advance(10_000)
    desk.acknowledge(id, 'officer-7', 'calling the column')
    expect(() => desk.acknowledge(id, 'officer-8')).toThrow(/acknowledged already \(by officer-7\)/)
    advance(1000)
    desk.resolve(id, 'officer-7')
    expect(() => desk.resolve(id, 'officer-7')).toThrow(/resolved already/)
    expect(() => desk.acknowledge('01NOPE', 'x')).toThrow(AlarmNotFoundError)
    expect(() => desk.signal({ point: 'nope', state: 'active' }, 'api')).toThrow(AlarmNotFoundError)
    const steps = of('alarm')
    expect(steps.map((e) => e.phase)).toEqual(['raised', 'acknowledged', 'resolved'])
    expect(steps[1]).toMatchObject({ alarmId: id, step: { by: 'officer-7', atMs: 1_010_000, note: 'calling the column' } })
    expect(steps[2]).toMatchObject({ alarmId: id, step: { by: 'officer-7', atMs: 1_011_000 } })
    expect(steps[2]!.step).not.toHaveProperty('note')
    expect(desk.alarm(id)).toMatchObject({ phase: 'resolved', acknowledged: { by: 'officer-7' }, resolved: { by: 'officer-7' } })
    expect(() => desk.acknowledge(desk.signal({ point: 'sos-17', state: 'active' }, 'api').alarmId!, '  ')).toThrow(/needs the operator/)
  })

  it('escalation: not acknowledged within escalateAfterMs → one escalated event; acknowledged in time → none', () => {
    const a = deskOf([point])
    const id = a.desk.signal({ point: 'sos-17', state: 'active' }, 'api').alarmId!
    a.advance(59_999)
    expect(a.of('alarm').map((e) => e.phase)).toEqual(['raised'])
    a.advance(1)
    expect(a.of('alarm').map((e) => e.phase)).toEqual(['raised', 'escalated'])
    expect(a.of('alarm')[1]).toMatchObject({ alarmId: id, priority: 0 })
    a.advance(600_000)
    expect(a.of('alarm')).toHaveLength(2)
    expect(a.desk.alarm(id)).toMatchObject({ escalated: true, phase: 'raised' })

    const b = deskOf([point])
    const id2 = b.desk.signal({ point: 'sos-17', state: 'active' }, 'api').alarmId!
    b.advance(30_000)
    b.desk.acknowledge(id2, 'officer-1')
    b.advance(600_000)
    expect(b.of('alarm').map((e) => e.phase)).toEqual(['raised', 'acknowledged'])
  })

  it('heartbeat: a supervised point that stops sending goes silent (a health event) and alive again on its next signal', () => {
    const { desk, of, advance } = deskOf([point, { id: 'unsupervised', place: 'x', cameras: [] }])
    advance(20_000)
    desk.signal({ point: 'sos-17', state: 'heartbeat' }, 'mqtt:b')
    advance(29_999)
    expect(of('alarm-point')).toHaveLength(0)
    advance(1)
    expect(of('alarm-point')).toEqual([{ type: 'alarm-point', pointId: 'sos-17', place: 'Square, north column', state: 'silent', lastSeenMs: 1_020_000 }])
    advance(300_000)
    expect(of('alarm-point')).toHaveLength(1)
    expect(desk.pointStates().find((p) => p.id === 'sos-17')).toMatchObject({ silent: true })
    desk.signal({ point: 'sos-17', state: 'heartbeat' }, 'mqtt:b')
    expect(of('alarm-point')[1]).toMatchObject({ state: 'alive' })
    expect(of('alarm')).toHaveLength(0)
    desk.close()
  })

  it('a point listed twice is refused', () => {
    expect(() => deskOf([point, point])).toThrow(/listed twice/)
  })
})
