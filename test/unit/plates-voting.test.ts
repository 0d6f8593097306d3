import { describe, expect, it } from 'vitest'
import { PlateVoter, vote, type PlateReading } from '@oko/plates'

function reading(text: string, x: number, confidence = 0.9, perChar?: number[]): PlateReading {
  return {
    text, format: 'ua', country: 'UA', confidence, charConfidences: perChar ?? [...text].map(() => confidence),
    box: { x, y: 100, width: 100, height: 25 },
    corners: [{ x, y: 100 }, { x: x + 100, y: 100 }, { x: x + 100, y: 125 }, { x, y: 125 }], lines: 1, corrected: [],
  }
}

describe('plate voting', () => {
  it('votes each character by confidence over the most common length', () => {
    const v = vote([reading('AA1234BB', 0, 0.9), reading('AA1Z34BB', 0, 0.6), reading('AA1234B8', 0, 0.7), reading('AA123BB', 0, 0.99)])
    expect(v.text).toBe('AA1234BB')
    expect(v.charConfidences).toHaveLength(8)
    expect(v.confidence).toBeGreaterThan(0)
    expect(v.confidence).toBeLessThanOrEqual(1)
  })

  it('follows a plate across frames and emits one event when it leaves', () => {
    let n = 0
    const voter = new PlateVoter({ maxGapFrames: 2, minReadings: 2, maxReadings: 30 }, () => `p${++n}`)
    const snaps: number[] = []
    const snap = (r: PlateReading) => {
      snaps.push(r.box.x)
      return { data: new Uint8Array(3), width: 1, height: 1, format: 'rgb24' as const, region: r.box, seq: 0, ptsUs: 0 }
    }
    expect(voter.observe(1, 40_000, [reading('AA1234B8', 10, 0.7)], snap)).toEqual([])
    expect(voter.observe(2, 80_000, [reading('AA1234BB', 30, 0.95)], snap)).toEqual([])
    expect(voter.observe(3, 120_000, [reading('AA1234BB', 50, 0.8)], snap)).toEqual([])
    expect(voter.openTracks).toBe(1)
    expect(voter.observe(4, 160_000, [], snap)).toEqual([])
    expect(voter.observe(5, 200_000, [], snap)).toEqual([]) // two frames without it: still open
    const done = voter.observe(6, 240_000, [], snap)
    expect(done).toHaveLength(1)
    expect(done[0]).toMatchObject({ text: 'AA1234BB', readings: 3, firstSeq: 1, lastSeq: 3, trackId: 'p1' })
    expect(done[0]!.best.seq).toBe(2)
    expect(snaps).toEqual([10, 30])
    expect(done[0]!.snapshot!.region.x).toBe(30)
  })

  it('keeps two plates in one frame apart and drops tracks below minReadings', () => {
    const voter = new PlateVoter({ maxGapFrames: 0, minReadings: 2, maxReadings: 30 })
    voter.observe(1, 0, [reading('AA1234BB', 0), reading('KA5555KK', 600)])
    voter.observe(2, 0, [reading('AA1234BB', 5)])
    const done = voter.flush()
    expect(done.map((d) => d.text)).toEqual(['AA1234BB'])
  })

  it('follows the vehicle track a reading carries, and names it as the plate\'s object', () => {
    const voter = new PlateVoter()
    voter.observe(1, 0, [{ ...reading('AA1234BB', 0), trackId: 'car-7' }])
    voter.observe(2, 0, [{ ...reading('AA1234BB', 900), trackId: 'car-7' }])
    const done = voter.flush()
    expect(done).toHaveLength(1)
    expect(done[0]).toMatchObject({ objectId: 'car-7', readings: 2 })
    expect(done[0]!.trackId).toMatch(/^[0-9A-Z]{26}$/) // its own id, unique across processes
  })

  it('gives one event for a car seen in more frames than maxReadings (emitted at maxReadings, never again)', () => {
    const voter = new PlateVoter({ maxGapFrames: 3, minReadings: 1, maxReadings: 30 })
    const events = []
    for (let seq = 1; seq <= 100; seq++) events.push(...voter.observe(seq, seq * 100_000, [reading(seq % 7 === 0 ? 'AA1Z34BB' : 'AA1234BB', 5 * seq)]))
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ text: 'AA1234BB', readings: 30 })
    for (let seq = 101; seq <= 105; seq++) events.push(...voter.observe(seq, seq * 100_000, []))
    expect(events).toHaveLength(1)
    expect(voter.flush()).toEqual([])
  })

  it('follows a fast plate seen every few frames by its speed, and one cut by the frame edge by its text', () => {
    const voter = new PlateVoter({ maxGapFrames: 10, minReadings: 1, maxReadings: 30 })
    // entering on the left: only the end of the plate is read, then the whole; 150 px per sighting
    const seen = [reading('1234BB', -50), reading('AA1234BB', 100), reading('AA1234BB', 250), reading('AA1Z34B8', 400), reading('AA1234BB', 550)]
    const events = seen.flatMap((r, i) => voter.observe(1 + 3 * i, 0, [r]))
    events.push(...voter.flush())
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ text: 'AA1234BB', readings: 5 })
  })
})
