import { describe, expect, it } from 'vitest'
import { heldPart, type Frame } from '@oko/core'
import { parseDeployment } from '@oko/deploy'
import { PlateVoter, SETTLED_READS, TrackReadBudget, UNTRACKED_FRAMES, plateStage, viewOf, type PlateReading } from '@oko/plates'

const frame = { width: 1920, height: 1080 }
const box = (x: number, size: number) => ({ x, y: 300, width: size, height: size * 0.75 })
const track = (id: string, x: number, size: number) => ({ id, box: box(x, size) })


function reading(text: string, x: number): PlateReading {
  return {
    text, format: 'ru', country: 'RU', confidence: 0.9, charConfidences: [...text].map(() => 0.9),
    box: { x, y: 400, width: 100, height: 25 },
    corners: [{ x, y: 400 }, { x: x + 100, y: 400 }, { x: x + 100, y: 425 }, { x, y: 425 }], lines: 1, corrected: [],
  }
}

describe('plates read a few good views per vehicle track', () => {
  it('reads a track on its first view, then only on clearly larger views, at most perTrack times', () => {
    const budget = new TrackReadBudget(3)
    const read = (seq: number, size: number): boolean => {
      const due = budget.select(seq, ['car'], [track('car', 500, size)], frame)
      for (const t of due) budget.read(t.id, seq, t.box, frame)
      return due.length > 0
    }
    // a car coming closer: 200, 210 (not 1.25× larger), 240 (1.44× the area), 250, 300, 400 (budget spent)
    expect([read(1, 200), read(2, 210), read(3, 240), read(4, 250), read(5, 300), read(6, 400)]).toEqual([true, false, true, false, true, false])
  })

  it('a car cut off by the frame edge counts half; tracks no longer alive are forgotten; larger views first', () => {
    expect(viewOf(box(0, 200), frame)).toBe(viewOf(box(500, 200), frame) / 2)
    expect(viewOf(box(-400, 200), frame)).toBe(0)
    expect(viewOf(box(500, 60), frame)).toBe(0) // under 64 px wide: its plate is too small to read
    const budget = new TrackReadBudget(1)
    expect(budget.select(1, ['a', 'b'], [track('a', 100, 100), track('b', 600, 300)], frame).map((t) => t.id)).toEqual(['b', 'a'])
    budget.read('a', 1, box(100, 100), frame)
    expect(budget.mayRead('a', 2, 10)).toBe(false) // its one read is spent
    expect(budget.mayRead('b', 11, 10)).toBe(true)
    expect(budget.mayRead('b', 12, 10)).toBe(false) // not seen alive within the gap
    budget.select(13, ['b'], [], frame)
    expect(budget.mayRead('a', 13, 10)).toBe(false)
    // a vehicle alive but not read for KEEP_OPEN_GAPS gaps (stopped at a barrier): its plate track may end
    const stopped = new TrackReadBudget(3)
    stopped.select(1, ['c'], [track('c', 100, 200)], frame)
    stopped.read('c', 1, box(100, 200), frame)
    for (const seq of [10, 20, 30]) stopped.select(seq, ['c'], [], frame)
    expect(stopped.mayRead('c', 31, 10)).toBe(true)
    stopped.select(32, ['c'], [], frame)
    expect(stopped.mayRead('c', 32, 10)).toBe(false)
    // 'a' ended: a new track of the same id would start over (ids are unique, so this is only bookkeeping)
    expect(budget.select(14, ['a'], [track('a', 100, 100)], frame)).toHaveLength(1)
  })

  it("a vehicle's plate track stays open between its reads while the vehicle may be read again: one event per car", () => {
    let n = 0
    const voter = new PlateVoter({ maxGapFrames: 2, minReadings: 1, maxReadings: 30 }, () => `p${++n}`)
    let open = true
    const keep = () => open
    expect(voter.observe(1, 0, [{ ...reading('A123BC77', 100), trackId: 'car' }], undefined, keep)).toEqual([])
    for (let seq = 2; seq < 20; seq++) expect(voter.observe(seq, seq, [], undefined, keep)).toEqual([])
    // read again 19 frames later, far from where it was: the same plate track (the vehicle's)
    expect(voter.observe(20, 20, [{ ...reading('A123BC77', 900), trackId: 'car' }], undefined, keep)).toEqual([])
    open = false
    expect(voter.observe(21, 21, [], undefined, keep)).toEqual([])
    const done = voter.observe(23, 23, [], undefined, keep)
    expect(done.map((p) => [p.text, p.objectId, p.readings])).toEqual([['A123BC77', 'car', 2]])
  })

  it('a car that keeps its size (crossing the frame) is read again on as good a view every REREAD_FRAMES frames', () => {
    const budget = new TrackReadBudget(3)
    const read = (seq: number): boolean => {
      const due = budget.select(seq, ['car'], [track('car', 500 + seq * 10, 200)], frame)
      for (const t of due) budget.read(t.id, seq, t.box, frame)
      return due.length > 0
    }
    expect([1, 5, 10, 11, 15, 21, 31].map(read)).toEqual([true, false, false, true, false, true, false])
  })

  it('a parked car (as good a view, not moved a quarter of its width) is not read again; one that moved is', () => {
    const budget = new TrackReadBudget(3)
    const read = (seq: number, id: string, x: number): boolean => {
      const due = budget.select(seq, ['parked', 'crossing'], [track(id, x, 200)], frame)
      for (const t of due) budget.read(t.id, seq, t.box, frame)
      return due.length > 0
    }
    // the parked car jitters by a few pixels (detector boxes); the crossing one moves 60 px between its reads
    expect([read(1, 'parked', 500), read(11, 'parked', 504), read(21, 'parked', 497), read(31, 'parked', 555)]).toEqual([true, false, false, true])
    expect([read(1, 'crossing', 1000), read(11, 'crossing', 1050), read(12, 'crossing', 1052)]).toEqual([true, true, false])
  })

  it(`a vehicle whose plate was read alike ${SETTLED_READS} times is settled: not read again, and its plate track may end`, () => {
    let n = 0
    const voter = new PlateVoter({ maxGapFrames: 10, minReadings: 1, maxReadings: 30 }, () => `p${++n}`)
    voter.observe(1, 1, [{ ...reading('A123BC77', 100), trackId: 'car' }])
    expect(voter.agreeingFor('car')).toBe(1)
    voter.observe(5, 5, [{ ...reading('A123BC71', 110), trackId: 'car' }])
    expect(voter.agreeingFor('car')).toBe(1) // two readings, no two alike
    voter.observe(9, 9, [{ ...reading('A123BC77', 120), trackId: 'car' }])
    expect(voter.agreeingFor('car')).toBe(2)
    expect(voter.agreeingFor('other')).toBe(0)
    const budget = new TrackReadBudget(5)
    budget.select(9, ['car'], [track('car', 500, 200)], frame)
    budget.read('car', 9, box(500, 200), frame)
    expect(budget.mayRead('car', 10, 10)).toBe(true)
    budget.settle('car')
    expect(budget.mayRead('car', 10, 10)).toBe(false)
    // a much closer view of it is not read either
    expect(budget.select(20, ['car'], [track('car', 500, 400)], frame)).toEqual([])
  })

  it("a plate the tracker hands to a new vehicle id (an ID switch at the edge) joins the plate track its vehicle kept open", () => {
    let n = 0
    const voter = new PlateVoter({ maxGapFrames: 10, minReadings: 1, maxReadings: 30 }, () => `p${++n}`)
    const keep = (id: string | undefined) => id === 'car'
    expect(voter.observe(1, 0, [{ ...reading('A123BC77', 100), trackId: 'car' }], undefined, keep)).toEqual([])
    expect(voter.observe(11, 11, [{ ...reading('A123BC77', 200), trackId: 'car' }], undefined, keep)).toEqual([])
    // 16 frames later (past the voter's gap, within the kept-open window), where the plate should be by now
    expect(voter.observe(27, 27, [{ ...reading('A123BC77', 360), trackId: 'car2' }], undefined, keep)).toEqual([])
    const done = voter.flush()
    expect(done.map((p) => [p.text, p.objectId, p.readings])).toEqual([['A123BC77', 'car', 3]])
  })

  it('vehicle detections no track holds yet are read as a track would be: a few good views each, matched across frames by overlap', () => {
    const budget = new TrackReadBudget(3)
    const read = (seq: number, boxes: { box: ReturnType<typeof box> }[]): number => {
      const due = budget.selectUntracked(seq, boxes, frame)
      for (const d of due) budget.readUntracked(seq, d.box, frame)
      return due.length
    }
    // one car detected at 5 fps (every 3rd frame), moving 30 px a run: read on its first view, then on clearly larger ones
    const car = (seq: number, size: number) => ({ box: box(500 + seq * 10, size) })
    expect([3, 6, 9, 12, 15, 18].map((seq, i) => read(seq, [car(seq, [200, 205, 240, 245, 300, 400][i]!)]))).toEqual([1, 0, 1, 0, 1, 0])
    // two cars far apart are two vehicles, each with its own reads; larger views first
    const two = new TrackReadBudget(1)
    const due = two.selectUntracked(1, [{ box: box(100, 100) }, { box: box(900, 300) }], frame)
    expect(due.map((d) => d.box.x)).toEqual([900, 100])
    for (const d of due) two.readUntracked(1, d.box, frame)
    expect(two.selectUntracked(4, [{ box: box(110, 100) }, { box: box(905, 300) }], frame)).toEqual([])
    // a vehicle not detected for UNTRACKED_FRAMES frames is forgotten: detected there again, it is read anew
    expect(two.selectUntracked(4 + UNTRACKED_FRAMES + 1, [{ box: box(110, 100) }], frame)).toHaveLength(1)
    // under MIN_VEHICLE_WIDTH: never read
    expect(new TrackReadBudget(3).selectUntracked(1, [{ box: box(500, 60) }], frame)).toEqual([])
  })

  it('the track the tracker confirms on a vehicle read before gets reads of its own (those were of its first views)', () => {
    const readTentative = (budget: TrackReadBudget, views: readonly (readonly [number, number])[]) => {
      for (const [seq, size] of views) {
        const due = budget.selectUntracked(seq, [{ box: box(500 + seq * 10, size) }], frame)
        expect(due).toHaveLength(1)
        budget.readUntracked(seq, due[0]!.box, frame)
      }
    }
    // read three times while tentative (the tracker confirms after 3 detections): no more reads as a detection
    const budget = new TrackReadBudget(3)
    readTentative(budget, [[3, 200], [6, 250], [9, 320]])
    expect(budget.selectUntracked(10, [{ box: box(600, 400) }], frame)).toEqual([])
    // confirmed at frame 12: its first view is read, then clearly larger ones, three in all
    for (const [seq, size] of [[12, 320], [15, 420], [18, 540]] as const) {
      const due = budget.select(seq, ['car'], [track('car', 620, size)], frame)
      expect(due, `frame ${seq}`).toHaveLength(1)
      budget.read('car', seq, due[0]!.box, frame)
    }
    expect(budget.select(21, ['car'], [track('car', 620, 700)], frame)).toEqual([])
    expect(budget.mayRead('car', 22, 10)).toBe(false)
    // a track elsewhere starts with its full budget too
    const other = budget.select(21, ['car', 'other'], [track('other', 1500, 200)], frame)
    expect(other).toHaveLength(1)
    budget.read('other', 21, other[0]!.box, frame)
    expect(budget.mayRead('other', 22, 10)).toBe(true)
  })

  it('a plate read in a vehicle no track holds yet stays open until the track confirmed there reads it: one event, with the track id', () => {
    const budget = new TrackReadBudget(3)
    let n = 0
    const voter = new PlateVoter({ maxGapFrames: 10, minReadings: 1, maxReadings: 30 }, () => `p${++n}`)
    const keep = (seq: number) => (id: string | undefined, at: { x: number; y: number; width: number; height: number }) => (id === undefined ? budget.mayReadAt(at, seq, 10) : budget.mayRead(id, seq, 10))
    // read at frame 5 as a detection; detected again (not read: no better view) every 3 frames; confirmed at 17
    const car = (seq: number) => ({ box: { x: 60 + seq, y: 300, width: 300, height: 225 } })
    const plate = (seq: number) => ({ ...reading('A123BC77', 150 + seq), box: { x: 150 + seq, y: 450, width: 100, height: 25 } })
    for (let seq = 5; seq < 17; seq++) {
      const due = seq % 3 === 2 ? budget.selectUntracked(seq, [car(seq)], frame) : []
      for (const d of due) budget.readUntracked(seq, d.box, frame)
      expect(voter.observe(seq, seq, due.length > 0 ? [plate(seq)] : [], undefined, keep(seq))).toEqual([])
    }
    const due = budget.select(17, ['car'], [{ id: 'car', box: car(17).box }], frame)
    expect(due).toHaveLength(1)
    budget.read('car', 17, due[0]!.box, frame)
    expect(voter.observe(17, 17, [{ ...plate(17), trackId: 'car' }], undefined, keep(17))).toEqual([])
    expect(voter.flush().map((p) => [p.text, p.objectId, p.readings])).toEqual([['A123BC77', 'car', 2]])
    // without a vehicle to read it again, a plate read without a track ends by its gap as before
    const lone = new PlateVoter({ maxGapFrames: 2, minReadings: 1, maxReadings: 30 }, () => 'q')
    lone.observe(1, 1, [plate(1)], undefined, keep(1))
    expect(lone.observe(4, 4, [], undefined, (id, at) => new TrackReadBudget(3).mayReadAt(at, 4, 2)).map((p) => p.readings)).toEqual([1])
  })

  it('a vehicle box reaching outside the area an earlier stage copied is clipped to the pixels held', () => {
    // an owned copy of the detector's search area only (what the objects stage materialises)
    const crop = { rect: { x: 400, y: 200, width: 800, height: 600 }, planes: [], strides: [] }
    const owned = { cameraId: 'c', seq: 0, ptsUs: 0, wallMs: 0, width: 1920, height: 1080, format: 'yuv420p', crops: [crop] } as unknown as Frame
    // the tracker's box of a car at the area's right edge reaches 40 px beyond it
    expect(heldPart(owned, { x: 1000, y: 500, width: 240, height: 180 })).toEqual({ x: 1000, y: 500, width: 200, height: 180 })
  })

  it('readsPerTrack must be a whole number ≥ 1, in the library and the deployment file', async () => {
    await expect(plateStage({ readsPerTrack: 0 })).rejects.toThrow(/options\.readsPerTrack/)
    const yaml = (v: string) => ['cameras:', '  - { id: c, url: x.mp4 }', 'stages:', '  - motion', `  - plates: { within: vehicles, readsPerTrack: ${v} }`].join('\n')
    expect(() => parseDeployment(yaml('1.5'))).toThrow(/stages\[1\]\.plates\.readsPerTrack/)
    expect(parseDeployment(yaml('2')).stages.map((s) => s.name)).toEqual(['motion', 'plates'])
  })
})
