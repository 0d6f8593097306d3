import { describe, expect, it } from 'vitest'
import type { Detection, Envelope, EventInit, Frame, OkoEvent, Rect, StageContext } from '@oko/core'
import { assign, Tracker, trackingStage, type ObjectEvent } from '@oko/tracking'

const ids = (): (() => string) => {
  let n = 0
  return () => `T${++n}`
}
const det = (box: Rect, seq: number, ptsUs: number, label = 'car', score = 0.9): Detection => ({ box, label, score, seq, ptsUs })
const boxAt = (x: number, y: number, w = 40, h = 30): Rect => ({ x, y, width: w, height: h })

/** Runs detections of objects moving at constant velocity (px/s) through a tracker at the given frame times. */
function run(tracker: Tracker, timesMs: readonly number[], objects: (tMs: number) => Detection[]): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>()
  timesMs.forEach((tMs, seq) => {
    const dets = objects(tMs).map((d) => ({ ...d, seq, ptsUs: tMs * 1000 }))
    tracker.update(dets, { seq, ptsUs: tMs * 1000, width: 2000, height: 1000 })
    for (const d of dets) {
      const key = `${d.label}@${(d as Detection & { truth?: string }).truth ?? ''}`
      if (!seen.has(key)) seen.set(key, new Set())
      if (d.trackId) seen.get(key)!.add(d.trackId)
    }
  })
  return seen
}

describe('Tracker', () => {
  it('confirms a track after confirmHits detections and gives it one id', () => {
    const t = new Tracker({}, ids())
    const steps = [0, 1, 2, 3].map((i) => t.update([det(boxAt(100 + i * 5, 100), i, i * 100_000)], { seq: i, ptsUs: i * 100_000 }))
    expect(steps.map((s) => s.started.length)).toEqual([0, 0, 1, 0])
    expect(steps[2]!.started[0]!.id).toBe('T1')
    expect(steps[3]!.tracks.map((x) => x.id)).toEqual(['T1'])
    expect(steps[1]!.tracks).toEqual([])
  })

  it('predicts by time: a car detected at a varying 2–10 fps keeps its id and its speed is measured in px/s', () => {
    const t = new Tracker({}, ids())
    const times: number[] = []
    for (let ms = 0, i = 0; ms < 4000; i++) { times.push(ms); ms += [100, 500, 250, 100, 300][i % 5]! }
    const vx = 150, vy = 40 // px/s
    const seen = run(t, times, (ms) => [{ ...det(boxAt(100 + (vx * ms) / 1000, 200 + (vy * ms) / 1000, 60, 40), 0, 0), truth: 'a' } as Detection])
    expect([...seen.values()].map((s) => s.size)).toEqual([1])
    const track = t.tracks[0]!
    expect(track.velocity.x).toBeCloseTo(vx, -1)
    expect(track.velocity.y).toBeCloseTo(vy, -1)
    expect(track.lastSeenPtsUs).toBe(times.at(-1)! * 1000)
  })

  it('anchors the box at its bottom centre', () => {
    const t = new Tracker({ confirmHits: 1 }, ids())
    const step = t.update([det({ x: 10, y: 20, width: 40, height: 60 }, 0, 0)], { seq: 0, ptsUs: 0 })
    const b = step.tracks[0]!.box
    expect(b.x + b.width / 2).toBeCloseTo(30)
    expect(b.y + b.height).toBeCloseTo(80)
  })

  it('two objects crossing each other keep their ids (Kalman prediction through the overlap)', () => {
    const t = new Tracker({}, ids())
    const times = Array.from({ length: 40 }, (_, i) => i * 200) // 5 fps
    const seen = run(t, times, (ms) => {
      const s = ms / 1000
      return [
        { ...det(boxAt(100 + 120 * s, 300, 60, 40), 0, 0), truth: 'east' } as Detection,
        { ...det(boxAt(1060 - 120 * s, 310, 60, 40), 0, 0), truth: 'west' } as Detection,
      ]
    })
    expect(seen.get('car@east')!.size).toBe(1)
    expect(seen.get('car@west')!.size).toBe(1)
    expect(seen.get('car@east')).not.toEqual(seen.get('car@west'))
  })

  it('an object hidden for a second keeps its id; one hidden longer than lostTimeoutMs ends', () => {
    const hidden = (from: number, to: number) => (ms: number) => (ms >= from && ms < to ? [] : [{ ...det(boxAt(100 + 0.1 * ms, 300), 0, 0, 'person'), truth: 'p' } as Detection])
    const times = Array.from({ length: 50 }, (_, i) => i * 100)
    const t1 = new Tracker({}, ids())
    const seenShort = new Map<string, Set<string>>()
    // frames with no detection at all only predict (the stage calls predict for them)
    times.forEach((ms, seq) => {
      const dets = hidden(1500, 2500)(ms).map((d) => ({ ...d, seq, ptsUs: ms * 1000 }))
      const clock = { seq, ptsUs: ms * 1000 }
      if (dets.length > 0) t1.update(dets, clock)
      else t1.predict(clock)
      for (const d of dets) if (d.trackId) (seenShort.get('p') ?? seenShort.set('p', new Set()).get('p')!).add(d.trackId)
    })
    expect(seenShort.get('p')!.size).toBe(1)

    const t2 = new Tracker({ lostTimeoutMs: 1000 }, ids())
    const ended: string[] = []
    times.forEach((ms, seq) => {
      const dets = hidden(1000, 2500)(ms).map((d) => ({ ...d, seq, ptsUs: ms * 1000 }))
      const step = dets.length > 0 ? t2.update(dets, { seq, ptsUs: ms * 1000 }) : t2.predict({ seq, ptsUs: ms * 1000 })
      ended.push(...step.ended.map((x) => x.id))
    })
    expect(ended).toEqual(['T1'])
    expect(t2.tracks.map((x) => x.id)).toEqual(['T2'])
  })

  it('a walker that goes behind a wall (its boxes shrinking as it goes) and comes out the other side keeps its id', () => {
    // 80 px/s, 44×120 px; the wall covers x 300…420: its visible part is what the detector boxes
    const wall = { x0: 300, x1: 420 }
    const visible = (ms: number): Rect | undefined => {
      const x = 40 + 0.08 * ms
      const parts = [[x, Math.min(x + 44, wall.x0)], [Math.max(x, wall.x1), x + 44]].filter(([a, b]) => b! - a! >= 22)
      return parts.length === 0 ? undefined : boxAt(parts[0]![0]!, 140, parts[0]![1]! - parts[0]![0]!, 120)
    }
    const t = new Tracker({}, ids())
    const tracks = new Set<string>()
    for (let seq = 0; seq < 80; seq++) {
      const ms = seq * 100, box = visible(ms), clock = { seq, ptsUs: ms * 1000 }
      const dets = box ? [det(box, seq, ms * 1000, 'person')] : []
      if (dets.length > 0) t.update(dets, clock)
      else t.predict(clock)
      if (dets[0]?.trackId) tracks.add(dets[0].trackId)
    }
    expect([...tracks]).toEqual(['T1'])
  })

  it('an object hidden behind another one (detections of the other go on) becomes lost and is found again', () => {
    const t = new Tracker({}, ids())
    const states: string[] = []
    for (let seq = 0; seq < 30; seq++) {
      const ms = seq * 100
      const dets = [det(boxAt(1500, 100), seq, ms * 1000, 'car')]
      if (seq < 10 || seq >= 18) dets.push(det(boxAt(100 + 0.2 * ms, 500), seq, ms * 1000, 'car'))
      const step = t.update(dets, { seq, ptsUs: ms * 1000 })
      states.push(step.tracks.find((x) => x.id === 'T2')?.state ?? '-')
      if (seq >= 18) expect(dets[1]!.trackId).toBe('T2')
    }
    expect(states.slice(10, 18).every((s) => s === 'lost')).toBe(true)
    expect(states.at(-1)).toBe('confirmed')
  })

  it('low-score detections continue a track (second pass) but never start one', () => {
    const t = new Tracker({}, ids())
    for (let seq = 0; seq < 5; seq++) t.update([det(boxAt(100 + seq * 4, 100), seq, seq * 1e5)], { seq, ptsUs: seq * 1e5 })
    const low = det(boxAt(120, 100), 5, 5e5, 'car', 0.3)
    const lonely = det(boxAt(800, 600), 5, 5e5, 'car', 0.3)
    const step = t.update([low, lonely], { seq: 5, ptsUs: 5e5 })
    expect(low.trackId).toBe('T1')
    expect(step.tracks[0]!.state).toBe('confirmed')
    expect(lonely.trackId).toBeUndefined()
    expect(t.size).toBe(1)
    // below lowScore: ignored, the track is lost
    const step2 = t.update([det(boxAt(124, 100), 6, 6e5, 'car', 0.05)], { seq: 6, ptsUs: 6e5 })
    expect(step2.tracks[0]!.state).toBe('lost')
  })

  it('classes of one group share a track and the majority names it; another class never joins', () => {
    const t = new Tracker({}, ids())
    const labels = ['car', 'truck', 'truck', 'truck', 'car']
    labels.forEach((label, seq) => t.update([det(boxAt(100, 100), seq, seq * 1e5, label)], { seq, ptsUs: seq * 1e5 }))
    expect(t.tracks.map((x) => x.label)).toEqual(['truck'])
    const person = det(boxAt(100, 100), 5, 5e5, 'person')
    t.update([person], { seq: 5, ptsUs: 5e5 })
    expect(person.trackId).toBeUndefined()
    expect(t.tracks[0]!.state).toBe('lost')
  })

  it('a tentative track that is not seen again is dropped without an id', () => {
    const t = new Tracker({}, ids())
    t.update([det(boxAt(100, 100), 0, 0)], { seq: 0, ptsUs: 0 })
    expect(t.size).toBe(1)
    const step = t.predict({ seq: 10, ptsUs: 1e6 })
    expect(step.ended).toEqual([])
    expect(t.size).toBe(0)
  })

  it('a lost track whose anchor leaves the frame ends at once', () => {
    const t = new Tracker({}, ids())
    let ended: string[] = []
    for (let seq = 0; seq < 20; seq++) {
      const x = 400 + seq * 15
      const dets = x < 560 ? [det(boxAt(x, 100), seq, seq * 1e5)] : []
      const clock = { seq, ptsUs: seq * 1e5, width: 600, height: 400 }
      ended = ended.concat((dets.length ? t.update(dets, clock) : t.predict(clock)).ended.map((e) => e.id))
      if (seq === 11) expect(ended).toEqual([])
    }
    expect(ended).toEqual(['T1'])
    expect(t.tracks).toEqual([])
  })

  it('coverGroups: a merged blob over two tracks updates neither, both stay confirmed', () => {
    const t = new Tracker({ coverGroups: true }, ids())
    for (let seq = 0; seq < 4; seq++) t.update([det(boxAt(100, 100), seq, seq * 1e5, 'object'), det(boxAt(200, 100), seq, seq * 1e5, 'object')], { seq, ptsUs: seq * 1e5 })
    const blob = det({ x: 90, y: 90, width: 170, height: 50 }, 4, 4e5, 'object')
    const step = t.update([blob], { seq: 4, ptsUs: 4e5 })
    expect(step.tracks.map((x) => [x.id, x.state])).toEqual([['T1', 'confirmed'], ['T2', 'confirmed']])
    expect(blob.trackId).toBeUndefined()
    expect(step.tracks[0]!.box.width).toBeCloseTo(40, 0)
  })

  it('rejects bad options naming them', () => {
    expect(() => new Tracker({ confirmHits: 0 }, ids())).toThrow(/options\.confirmHits/)
    expect(() => new Tracker({ highScore: 0.05 }, ids())).toThrow(/options\.highScore/)
    expect(() => new Tracker({ bogus: 1 } as never, ids())).toThrow(/bogus/)
    expect(() => trackingStage({ updateIntervalMs: -1 })).toThrow(/options\.updateIntervalMs/)
  })
})

describe('assign', () => {
  it('finds the minimum-cost assignment (checked against brute force) and leaves forbidden pairs out', () => {
    let seed = 5
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let trial = 0; trial < 50; trial++) {
      const rows = 1 + Math.floor(rnd() * 5), cols = 1 + Math.floor(rnd() * 5)
      const cost = Float64Array.from({ length: rows * cols }, () => Math.round(rnd() * 100))
      const got = assign(cost, rows, cols)
      const total = (a: ArrayLike<number>) => Array.from(a).reduce((s, c, r) => s + (c >= 0 ? cost[r * cols + c]! : 0), 0)
      expect(total(got)).toBe(bruteForce(cost, rows, cols))
      expect(Array.from(got).filter((c) => c >= 0).length).toBe(Math.min(rows, cols))
    }
    expect(Array.from(assign(Float64Array.from([1e6, 1e6, 0.5, 1e6]), 2, 2))).toEqual([-1, 0])
  })
})

function bruteForce(cost: Float64Array, rows: number, cols: number): number {
  let best = Infinity
  const used = new Array<boolean>(cols).fill(false)
  const k = Math.min(rows, cols)
  const go = (r: number, taken: number, sum: number): void => {
    if (taken === k) { best = Math.min(best, sum); return }
    if (r === rows) return
    if (rows - r > k - taken) go(r + 1, taken, sum)
    for (let c = 0; c < cols; c++) if (!used[c]) { used[c] = true; go(r + 1, taken + 1, sum + cost[r * cols + c]!); used[c] = false }
  }
  go(0, 0, 0)
  return best
}

describe('trackingStage', () => {
  it('emits start, update and end object events with speed and a JPEG of the best view; ticks predict and end tracks', async () => {
    const events: ObjectEvent[] = []
    const ctx: StageContext = {
      cameraId: 'cam', signal: new AbortController().signal, newId: ids(),
      emit: <E extends OkoEvent>(e: EventInit<E>) => { events.push(e as unknown as ObjectEvent); return e as unknown as E },
    }
    await using stage = trackingStage({ updateIntervalMs: 500 })
    const frame = (seq: number): Frame => {
      const y = new Uint8Array(320 * 240).map((_, i) => ((i % 320) >> 2) % 2 ? 200 : 40)
      return { cameraId: 'cam', seq, ptsUs: seq * 200_000, wallMs: 0, width: 320, height: 240, format: 'gray8', planes: [y], strides: [320] }
    }
    for (let seq = 0; seq < 10; seq++) {
      const f = frame(seq)
      const env = stage.process({ frame: f, detections: [det(boxAt(20 + seq * 10, 100, 30 + seq, 20 + seq), seq, f.ptsUs)], tracks: [] }, ctx) as Envelope
      if (seq >= 2) expect(env.tracks.map((t) => t.id)).toEqual(['T1'])
    }
    for (let seq = 10; seq < 30; seq++) stage.tick!({ cameraId: 'cam', seq, ptsUs: seq * 200_000, wallMs: 0 }, ctx)
    expect(events.map((e) => e.phase)).toEqual(['start', 'update', 'update', 'end']) // seen from 0.4 s to 1.8 s, updates every 0.5 s at most
    expect(new Set(events.map((e) => e.trackId))).toEqual(new Set(['T1']))
    const endEvent = events.at(-1)!
    expect(endEvent.speedPxPerS).toBeGreaterThan(40)
    expect(endEvent.speedPxPerS).toBeLessThan(60)
    expect(endEvent.class).toBe('car')
    expect(endEvent.lastSeenPtsUs).toBe(9 * 200_000)
    expect(endEvent.snapshot?.seq).toBeGreaterThanOrEqual(7) // the largest view
    expect(Array.from(endEvent.snapshot!.jpeg.subarray(0, 2))).toEqual([0xff, 0xd8])
    expect(events[0]!.snapshot).toBeDefined()
  })

  it('flush ends every open track; attributes set by later stages travel in updates and the end event', async () => {
    const events: ObjectEvent[] = []
    const ctx: StageContext = {
      cameraId: 'cam', signal: new AbortController().signal, newId: ids(),
      emit: <E extends OkoEvent>(e: EventInit<E>) => { events.push(e as unknown as ObjectEvent); return e as unknown as E },
    }
    await using stage = trackingStage({ snapshots: false, updateIntervalMs: 60_000 })
    for (let seq = 0; seq < 6; seq++) {
      const f = { cameraId: 'cam', seq, ptsUs: seq * 100_000, wallMs: 0, width: 320, height: 240, format: 'gray8', planes: [], strides: [] } as unknown as Frame
      const env = stage.process({ frame: f, detections: [det(boxAt(50, 50), seq, f.ptsUs)], tracks: [] }, ctx) as Envelope
      if (seq === 3) env.tracks[0]!.attributes.colour = { value: 'red', confidence: 0.8, source: 'colour' }
    }
    await stage.flush!(ctx)
    expect(events.map((e) => e.phase)).toEqual(['start', 'update', 'end'])
    expect(events[1]!.attributes.colour?.value).toBe('red')
    expect(events[2]!.attributes.colour?.value).toBe('red')
    expect(events.every((e) => e.snapshot === undefined)).toBe(true)
  })
  it('refuses a frame of a second camera (one stage per camera: a factory), naming both cameras', async () => {
    const ctxOf = (cameraId: string): StageContext => ({
      cameraId, signal: new AbortController().signal, newId: ids(),
      emit: <E extends OkoEvent>(e: EventInit<E>) => e as unknown as E,
    })
    await using stage = trackingStage({ snapshots: false })
    const frame = (cameraId: string) => ({ cameraId, seq: 0, ptsUs: 0, wallMs: 0, width: 320, height: 240, format: 'gray8', planes: [], strides: [] }) as unknown as Frame
    stage.process({ frame: frame('a'), detections: [], tracks: [] }, ctxOf('a'))
    expect(() => stage.process({ frame: frame('b'), detections: [], tracks: [] }, ctxOf('b'))).toThrow(/tracks camera "a" and received a frame of "b"/)
  })
})
