import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidOptionError, type Rect, type Track } from '@oko/core'
import { LineCrosser, RuleEngine, ScheduleClock, checkRules, homographyFrom, lampColour, project, type RuleClock, type RuleEvent } from '@oko/rules'

const W = 1000, H = 1000
const clockAt = (seq: number, fps = 10): RuleClock => ({ cameraId: 'c', seq, ptsUs: Math.round((seq * 1e6) / fps), wallMs: Date.UTC(2026, 0, 5, 12, 0) + (seq * 1000) / fps, width: W, height: H })
/** A confirmed track seen in frame `seq` whose bottom centre is at (x, y) pixels. */
const trackAt = (id: string, x: number, y: number, seq: number, label = 'car', size = 40): Track => ({
  id, label, box: { x: x - size / 2, y: y - size, width: size, height: size } as Rect, state: 'confirmed', score: 0.9,
  firstSeq: 0, lastSeenSeq: seq, velocity: { x: 0, y: 0 }, attributes: {},
})
type Path = (seq: number) => { x: number; y: number } | undefined
/** Runs tracks along paths (pixels per frame index) through an engine; returns every event. */
function run(engine: RuleEngine, frames: number, paths: Record<string, Path>, label = 'car'): RuleEvent[] {
  const events: RuleEvent[] = []
  for (let seq = 0; seq < frames; seq++) {
    const tracks = Object.entries(paths).flatMap(([id, p]) => {
      const at = p(seq)
      return at ? [trackAt(id, at.x, at.y, seq, label)] : []
    })
    events.push(...(engine.update(tracks, clockAt(seq)) as RuleEvent[]))
  }
  events.push(...(engine.flush(clockAt(frames)) as RuleEvent[]))
  return events
}
const kinds = (events: readonly RuleEvent[]) => events.map((e) => `${e.rule}:${e.kind}${'direction' in e ? `:${e.direction}` : ''}`)

const verticalLine = { name: 'gate', type: 'line', line: [[0.5, 0.1], [0.5, 0.9]] } as const

describe('LineCrosser (property)', () => {
  it('a track crossing the line once gives exactly one crossing in its direction, whatever the jitter below the dead band', () => {
    fc.assert(fc.property(
      fc.integer({ min: 5, max: 60 }), fc.double({ min: 0, max: 0.9, noNaN: true }), fc.boolean(), fc.integer({ min: 1, max: 1_000_000 }), fc.double({ min: 200, max: 800, noNaN: true }),
      (steps, jitterShare, eastwards, seed, y) => {
        const band = 10
        const crosser = new LineCrosser({ a: { x: 500, y: 100 }, b: { x: 500, y: 900 } }, band)
        let s = seed
        const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1
        const crossings = []
        for (let i = 0; i <= steps; i++) {
          const x = 300 + (400 * i) / steps
          const jitter = rand() * band * jitterShare
          const c = crosser.step('t', { x: (eastwards ? x : 1000 - x) + jitter, y }, i * 100_000)
          if (c) crossings.push(c)
          // jitter around the line itself: a few extra steps back and forth near it
          if (i === Math.floor(steps / 2)) for (let k = 0; k < 5; k++) { const c2 = crosser.step('t', { x: 500 + rand() * band * jitterShare, y }, i * 100_000 + k); if (c2) crossings.push(c2) }
        }
        // side A is on the right walking from (500,100) to (500,900) down the picture: the west (x < 500)
        expect(crossings.map((c) => c.direction)).toEqual([eastwards ? 'a-b' : 'b-a'])
      }), { numRuns: 300 })
  })

  it('a path beside the segment (past its end) is no crossing', () => {
    const crosser = new LineCrosser({ a: { x: 500, y: 100 }, b: { x: 500, y: 400 } }, 5)
    const hits = [0, 1, 2, 3, 4].map((i) => crosser.step('t', { x: 300 + i * 100, y: 700 }, i))
    expect(hits.filter(Boolean)).toEqual([])
  })

  it('the crossing time is interpolated between frames', () => {
    const crosser = new LineCrosser({ a: { x: 500, y: 0 }, b: { x: 500, y: 1000 } }, 5)
    crosser.step('t', { x: 470, y: 500 }, 0)
    const c = crosser.step('t', { x: 540, y: 500 }, 100_000)
    expect(c?.atPtsUs).toBeCloseTo(30_000 / 0.7, 0)
  })
})

describe('RuleEngine', () => {
  it('line: one event per crossing in the watched direction, both directions counted per class, count intervals', () => {
    const engine = new RuleEngine({ rules: checkRules('rules', [{ ...verticalLine, direction: 'a-b', countEveryMinutes: 0.05 }]) }) // every 3 s
    const east: Path = (s) => (s < 20 ? { x: 300 + s * 20, y: 500 } : undefined)
    const west: Path = (s) => (s >= 10 && s < 30 ? { x: 700 - (s - 10) * 20, y: 600 } : undefined)
    const events = run(engine, 40, { east, west })
    expect(kinds(events.filter((e) => e.kind === 'line'))).toEqual(['gate:line:a-b'])
    expect(engine.counts('gate')).toEqual({ 'a-b': { car: 1 }, 'b-a': { car: 1 } })
    const counts = events.filter((e) => e.kind === 'count')
    expect(counts.length).toBeGreaterThanOrEqual(2)
    expect(counts.at(-1)).toMatchObject({ totals: { 'a-b': { car: 1 }, 'b-a': { car: 1 } } })
    const sum = counts.reduce((n, e) => n + Object.values(e.counts['a-b']).reduce((a, b) => a + b, 0) + Object.values(e.counts['b-a']).reduce((a, b) => a + b, 0), 0)
    expect(sum).toBe(2)
  })

  it('classes, minSize and masks keep tracks out of a rule', () => {
    const rules = checkRules('rules', [
      { ...verticalLine, name: 'cars', classes: ['car'] },
      { ...verticalLine, name: 'big', minSize: [0.1, 0.1] },
      { ...verticalLine, name: 'masked', masks: [[[0.4, 0.4], [0.6, 0.4], [0.6, 0.6], [0.4, 0.6]]] },
    ])
    const events = run(new RuleEngine({ rules }), 20, { p: (s) => ({ x: 300 + s * 20, y: 500 }) }, 'person')
    expect(kinds(events)).toEqual([])
    const cars = run(new RuleEngine({ rules }), 20, { p: (s) => ({ x: 300 + s * 20, y: 300 }) })
    expect(kinds(cars)).toEqual(['cars:line:a-b', 'masked:line:a-b']) // out of the mask; still too small for 'big'
  })

  it('zone: enter, dwell once after N s, leave; a short visit has no dwell; occupancy over the limit starts and ends', () => {
    const rules = checkRules('rules', [{ name: 'no-parking', type: 'zone', polygon: [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.8]], dwellSeconds: 3, maxOccupancy: 1 }])
    const engine = new RuleEngine({ rules })
    const parked: Path = (s) => (s < 80 ? { x: 500 + Math.min(s, 5) * 2, y: 500 } : undefined) // 8 s, inside from frame 0
    const passing: Path = (s) => (s >= 20 && s < 40 ? { x: 100 + (s - 20) * 45, y: 400 } : undefined) // ~1.4 s inside
    const events = run(engine, 100, { parked, passing })
    expect(kinds(events)).toEqual([
      'no-parking:enter', 'no-parking:enter', 'no-parking:occupancy', 'no-parking:dwell', 'no-parking:leave', 'no-parking:occupancy', 'no-parking:leave',
    ])
    const dwell = events.find((e) => e.kind === 'dwell')!
    expect(dwell).toMatchObject({ trackId: 'parked', seconds: 3 })
    expect(events.filter((e) => e.kind === 'occupancy').map((e) => 'active' in e && e.active)).toEqual([true, false])
  })

  it('zone: jitter on the edge does not make more visits (dead band)', () => {
    const engine = new RuleEngine({ rules: checkRules('rules', [{ name: 'z', type: 'zone', polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] }]) })
    const events = run(engine, 60, { t: (s) => ({ x: s < 30 ? 400 + s * 3.4 + ((s % 2) * 2 - 1) * 5 : 500 + ((s % 2) * 2 - 1) * 5 + (s - 30) * 10, y: 500 }) })
    expect(kinds(events)).toEqual(['z:enter', 'z:leave'])
  })

  it('wrong way: against the zone\'s direction fires once, with it never', () => {
    const rules = checkRules('rules', [{ name: 'one-way', type: 'zone', polygon: [[0, 0.3], [1, 0.3], [1, 0.7], [0, 0.7]], direction: [1, 0], events: [] }])
    const events = run(new RuleEngine({ rules }), 40, { good: (s) => ({ x: 50 + s * 20, y: 500 }), bad: (s) => ({ x: 950 - s * 20, y: 550 }) })
    expect(events.map((e) => `${e.kind}:${'trackId' in e ? e.trackId : ''}`)).toEqual(['wrong-way:bad'])
  })

  it('speed: two lines at a known distance give the speed; over the limit is speeding', () => {
    const rules = checkRules('rules', [{ name: 'radar', type: 'speed', lines: [[[0.3, 0], [0.3, 1]], [[0.7, 0], [0.7, 1]]], distanceMetres: 40, limitKmh: 50 }])
    // 400 px = 40 m; 23 px per frame at 10 fps = 23 m/s = 82.8 km/h; the other 10 px/frame = 36 km/h
    const events = run(new RuleEngine({ rules }), 80, { fast: (s) => (s < 40 ? { x: 100 + s * 23, y: 500 } : undefined), slow: (s) => ({ x: 900 - s * 10, y: 300 }) })
    const speeds = Object.fromEntries(events.filter((e) => e.kind === 'speed').map((e) => [e.kind === 'speed' && e.trackId, e]))
    expect(speeds.fast).toMatchObject({ speeding: true, limitKmh: 50, method: 'lines' })
    expect((speeds.fast as { kmh: number }).kmh).toBeCloseTo(82.8, 6)
    expect((speeds.slow as { kmh: number }).kmh).toBeCloseTo(36, 6)
    expect(speeds.slow).toMatchObject({ speeding: false })
  })

  it('speed: a 4-point ground-plane calibration (perspective) measures km/h from positions in metres', () => {
    // a road 10 m wide seen in perspective: image trapezoid → ground rectangle 10 m × 50 m
    const image = [[0.4, 0.2], [0.6, 0.2], [0.9, 0.9], [0.1, 0.9]] as const
    const ground = [[0, 50], [10, 50], [10, 0], [0, 0]] as const
    const rules = checkRules('rules', [{ name: 'cal', type: 'speed', calibration: { image, ground } }])
    const h = homographyFrom(image.map(([x, y]) => ({ x, y })), ground.map(([x, y]) => ({ x, y })))!
    const inverse = homographyFrom(ground.map(([x, y]) => ({ x, y })), image.map(([x, y]) => ({ x, y })))!
    expect(project(h, { x: 0.1, y: 0.9 }).y).toBeCloseTo(0, 6)
    // a car driving away along x = 5 m at 15 m/s (54 km/h), 10 fps, from 5 m to 45 m
    const path: Path = (s) => {
      const m = 5 + 1.5 * s
      if (m > 45) return undefined
      const p = project(inverse, { x: 5, y: m })
      return { x: p.x * W, y: p.y * H }
    }
    const events = run(new RuleEngine({ rules }), 40, { car: path })
    const speed = events.find((e) => e.kind === 'speed')!
    expect(speed.kind === 'speed' && speed.kmh).toBeCloseTo(54, 3)
  })

  it('stop line: crossing on red is a violation, on green none; external input; light events', () => {
    const rules = checkRules('rules', [{ name: 'stop', type: 'stop-line', line: [[0.5, 0], [0.5, 1]], direction: 'a-b', light: { input: 'signal-1' } }])
    const engine = new RuleEngine({ rules })
    expect(engine.setLight('signal-1', 'green')).toBe(1)
    const events: RuleEvent[] = []
    for (let seq = 0; seq < 60; seq++) {
      if (seq === 25) engine.setLight('signal-1', 'red')
      const tracks = [seq < 25 ? trackAt('on-green', 300 + seq * 20, 500, seq) : undefined, seq >= 30 ? trackAt('on-red', 300 + (seq - 30) * 20, 400, seq) : undefined].filter((t): t is Track => !!t)
      events.push(...(engine.update(tracks, clockAt(seq)) as RuleEvent[]))
    }
    expect(events.map((e) => `${e.kind}${'trackId' in e ? `:${e.trackId}` : ''}${e.kind === 'light' ? `:${e.state}` : ''}`)).toEqual(['light:green', 'light:red', 'red-light:on-red'])
  })

  it('schedules: active only in their hours in the time zone, past midnight, by day', () => {
    const clock = new ScheduleClock('Europe/Kyiv')
    const night = [{ from: '22:00', to: '06:00' }]
    expect(clock.active(night, Date.UTC(2026, 0, 5, 21, 30))).toBe(true) // 23:30 in Kyiv (UTC+2)
    expect(clock.active(night, Date.UTC(2026, 0, 5, 12, 0))).toBe(false)
    expect(clock.active([{ from: '08:00', to: '18:00', days: ['sat', 'sun'] }], Date.UTC(2026, 0, 5, 10, 0))).toBe(false) // a Monday
    expect(clock.active([{ from: '22:00', to: '06:00', days: ['sun'] }], Date.UTC(2026, 0, 5, 1, 0))).toBe(true) // 03:00 Monday belongs to Sunday night
    const engine = new RuleEngine({ timeZone: 'UTC', rules: checkRules('rules', [{ ...verticalLine, schedule: { from: '00:00', to: '01:00' } }]) })
    expect(run(engine, 20, { t: (s) => ({ x: 300 + s * 20, y: 500 }) })).toEqual([]) // clockAt is at 12:00 UTC
  })

  it('lamp colours from their mean RGB', () => {
    expect(lampColour({ r: 240, g: 40, b: 30, lit: 0.2 })).toBe('red')
    expect(lampColour({ r: 250, g: 170, b: 20, lit: 0.2 })).toBe('amber')
    expect(lampColour({ r: 40, g: 230, b: 120, lit: 0.2 })).toBe('green')
    expect(lampColour({ r: 200, g: 200, b: 200, lit: 0.2 })).toBe('unknown')
    expect(lampColour({ r: 240, g: 40, b: 30, lit: 0.001 })).toBe('unknown')
  })

  it('bad rules: clear errors naming the option and the fix', () => {
    const bad = (rule: unknown) => {
      try {
        checkRules('rules', [rule])
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidOptionError)
        return (error as Error).message
      }
      throw new Error('accepted')
    }
    expect(bad({ name: 'z', type: 'zone', polygon: [[0, 0], [1, 0]] })).toMatch(/rules\[0\]\.polygon: expected a polygon of at least 3 points/)
    expect(bad({ name: 'z', type: 'zone', polygon: [[0, 0], [1, 1], [1, 0], [0, 1]] })).toMatch(/crosses itself/)
    expect(bad({ name: 'l', type: 'line', line: [[0.5, 0.5], [0.5, 0.5]] })).toMatch(/rules\[0\]\.line: the line has zero length/)
    expect(bad({ name: 's', type: 'speed', limitKmh: 50 })).toMatch(/needs a calibration/)
    expect(bad({ name: 's', type: 'speed', lines: [[[0, 0], [0, 1]], [[1, 0], [1, 1]]] })).toMatch(/distanceMetres: speed from two lines needs the distance/)
    expect(bad({ name: 'l', type: 'line', line: [[0, 0], [1, 1]], schedule: { from: '22:00', to: '06:00', timeZone: 'Europe/Kiev-Nowhere' } })).toMatch(/schedule\.timeZone: unknown time zone/)
    expect(bad({ name: 'l', type: 'lines', line: [[0, 0], [1, 1]] })).toMatch(/rules\[0\]\.type: expected one of/)
  })

  it('hostile rule lists: only InvalidOptionError, never a crash (property)', () => {
    const point = fc.oneof(fc.tuple(fc.double(), fc.double()), fc.anything())
    const rule = fc.record({
      name: fc.oneof(fc.string(), fc.anything()), type: fc.constantFrom('line', 'zone', 'speed', 'stop-line', 'x'),
      line: fc.array(point, { maxLength: 3 }), polygon: fc.array(point, { maxLength: 6 }), lines: fc.anything(), light: fc.anything(),
      calibration: fc.anything(), schedule: fc.anything(), minSize: fc.anything(), masks: fc.anything(), direction: fc.anything(),
    }, { requiredKeys: [] })
    fc.assert(fc.property(fc.array(fc.oneof(rule, fc.anything()), { maxLength: 4 }), (rules) => {
      try {
        const checked = checkRules('rules', rules)
        const engine = new RuleEngine({ rules: checked })
        engine.update([trackAt('t', 500, 500, 0)], clockAt(0))
        engine.flush(clockAt(1))
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidOptionError)
      }
    }), { numRuns: 500 })
  })
})
