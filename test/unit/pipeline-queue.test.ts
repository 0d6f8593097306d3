import { BoundedQueue, InvalidOptionError, OkoError, checkEdgeOptions, pixelsAt } from '@oko/core'
import type { Frame, OkoEvent } from '@oko/core'
import { EventEncoder } from '@oko/sinks'
import { EventBus, FairQueue, FramePool, Histogram, LatencyRing, frameFromMessage } from '@oko/pipeline'
import { describe, expect, it } from 'vitest'
import { collect } from './pipeline-helpers.js'

describe('BoundedQueue', () => {
  it('drop-oldest keeps the newest items and counts every drop', () => {
    const dropped: number[] = []
    const q = new BoundedQueue<number>({ capacity: 3, overflow: 'drop-oldest', onDrop: (n) => dropped.push(n) })
    for (let i = 0; i < 10; i++) expect(q.push(i)).toBeUndefined()
    expect(dropped).toEqual([0, 1, 2, 3, 4, 5, 6])
    expect(q.dropped).toBe(7)
    expect([q.tryShift(), q.tryShift(), q.tryShift(), q.tryShift()]).toEqual([7, 8, 9, undefined])
  })

  it('drop-newest refuses the item being pushed', () => {
    const dropped: number[] = []
    const q = new BoundedQueue<number>({ capacity: 2, overflow: 'drop-newest', onDrop: (n) => dropped.push(n) })
    for (let i = 0; i < 5; i++) q.push(i)
    expect(dropped).toEqual([2, 3, 4])
    expect([q.tryShift(), q.tryShift()]).toEqual([0, 1])
  })

  it('block makes the producer wait and loses nothing', async () => {
    const q = new BoundedQueue<number>({ capacity: 2, overflow: 'block' })
    expect(q.push(0)).toBeUndefined()
    expect(q.push(1)).toBeUndefined()
    let resumed = false
    const wait = q.push(2)!.then(() => (resumed = true))
    await Promise.resolve()
    expect(resumed).toBe(false)
    expect(q.size).toBe(2)
    expect(q.tryShift()).toBe(0)
    await wait
    expect(resumed).toBe(true)
    expect([q.tryShift(), q.tryShift(), q.tryShift()]).toEqual([1, 2, undefined])
    expect(q.dropped).toBe(0)
  })

  it('shift waits for an item and ends with undefined after close', async () => {
    const q = new BoundedQueue<string>({ capacity: 1, overflow: 'block' })
    const first = q.shift()
    q.push('a')
    expect(await first).toBe('a')
    const second = q.shift()
    q.close()
    expect(await second).toBeUndefined()
    expect(() => q.push('b')).toThrow(InvalidOptionError)
  })

  it('clear returns queued and blocked items and releases blocked producers', async () => {
    const q = new BoundedQueue<number>({ capacity: 1, overflow: 'block' })
    q.push(1)
    const blocked = q.push(2)!
    expect(q.clear()).toEqual([1, 2])
    await blocked
    expect(q.size).toBe(0)
  })

  it('validates options with the path and the fix', () => {
    expect(() => new BoundedQueue({ capacity: 0, overflow: 'block' })).toThrow('options.capacity: expected an integer in [1, Infinity], received 0 (number)')
    expect(() => checkEdgeOptions('edge', { overflow: 'drop' })).toThrow('edge.overflow: expected one of "block", "drop-oldest", "drop-newest", received "drop" (string)')
    expect(() => checkEdgeOptions('edge', { capasity: 3 })).toThrow('edge.capasity: unknown option; did you mean "capacity"?')
    expect(checkEdgeOptions('edge', { capacity: 2, maxAgeMs: 500 })).toEqual({ capacity: 2, maxAgeMs: 500 })
  })
})

describe('FairQueue', () => {
  it('serves cameras round-robin so a busy camera cannot starve a quiet one', () => {
    const fair = new FairQueue<string>()
    const a = new BoundedQueue<string>({ capacity: 10, overflow: 'block' })
    const b = new BoundedQueue<string>({ capacity: 10, overflow: 'block' })
    const c = new BoundedQueue<string>({ capacity: 10, overflow: 'block' })
    fair.add('a', a)
    fair.add('b', b)
    fair.add('c', c)
    for (const x of ['a1', 'a2', 'a3', 'a4']) a.push(x)
    for (const x of ['b1', 'b2']) b.push(x)
    c.push('c1')
    const order: string[] = []
    for (let next = fair.next(); next; next = fair.next()) order.push(next.item)
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4'])
    expect(fair.size).toBe(0)
  })

  it('resumes after the camera served last', () => {
    const fair = new FairQueue<number>()
    const a = new BoundedQueue<number>({ capacity: 10, overflow: 'block' })
    const b = new BoundedQueue<number>({ capacity: 10, overflow: 'block' })
    fair.add('a', a)
    fair.add('b', b)
    a.push(1)
    expect(fair.next()).toEqual({ cameraId: 'a', item: 1 })
    a.push(2)
    b.push(3)
    expect(fair.next()).toEqual({ cameraId: 'b', item: 3 })
    expect(fair.next()).toEqual({ cameraId: 'a', item: 2 })
  })
})

function motion(cameraId: string, seq: number): OkoEvent {
  return { id: `id-${cameraId}-${seq}`, v: 1, type: 'motion', cameraId, seq, ptsUs: seq * 40_000, timeMs: 1, score: 0.5, regions: [{ x: 1, y: 2, width: 3, height: 4, pixels: 5 }], zones: [] }
}

describe('EventBus and its subscribers', () => {
  it('stamps ids in order and hands every event to every subscriber', async () => {
    const bus = new EventBus()
    const a = bus.subscribe({ name: 'a' })
    const b = bus.subscribe({ name: 'b', filter: (e) => e.type === 'tamper' })
    const sent = [bus.emit({ type: 'motion', cameraId: 'x', seq: 0, ptsUs: 0, score: 0, regions: [], zones: [] }), bus.emit({ type: 'tamper', cameraId: 'x', seq: 1, ptsUs: 0, reason: 'covered', active: true })]
    expect(sent[0]!.id < sent[1]!.id).toBe(true)
    expect(sent.every((e) => e.v === 1 && typeof e.timeMs === 'number')).toBe(true)
    bus.end()
    expect((await collect(a)).map((e) => e.id)).toEqual(sent.map((e) => e.id))
    expect((await collect(b)).map((e) => e.type)).toEqual(['tamper']) // filtered out is not a drop
    expect(b.dropped).toBe(0)
  })

  it('drop-oldest reports overflow as dropped events per camera, ahead of the rest', async () => {
    const bus = new EventBus()
    const s = bus.subscribe({ name: 'sink', capacity: 3, overflow: 'drop-oldest' })
    for (let i = 0; i < 5; i++) s.push(motion('a', i))
    s.push(motion('b', 0))
    s.end()
    const events = await collect(s)
    expect(events.map((e) => (e.type === 'dropped' ? `drop:${e.cameraId}:${e.count}:${e.stage}` : e.type === 'motion' ? `${e.cameraId}${e.seq}` : e.type))).toEqual(['drop:a:3:events:sink', 'a3', 'a4', 'b0'])
    expect(s.dropped).toBe(3)
  })

  it('block lets producers wait for room while the subscriber reads, and loses nothing', async () => {
    const bus = new EventBus()
    const s = bus.subscribe({ capacity: 2, overflow: 'block' })
    const it = s[Symbol.asyncIterator]()
    s.push(motion('a', 0))
    expect(bus.whenWritable()).toBeUndefined()
    s.push(motion('a', 1))
    const wait = bus.whenWritable()
    expect(wait).toBeInstanceOf(Promise)
    expect((await it.next()).value).toMatchObject({ seq: 0 })
    await wait
    s.end()
    expect((await it.next()).value).toMatchObject({ seq: 1 })
    expect((await it.next()).done).toBe(true)
    expect(s.dropped).toBe(0)
  })

  it('a closed subscriber counts what it had queued as dropped and holds no producer back', async () => {
    const bus = new EventBus()
    const s = bus.subscribe({ capacity: 1, overflow: 'block' })
    s[Symbol.asyncIterator]()
    s.push(motion('a', 0))
    s.push(motion('a', 1))
    expect(bus.whenWritable()).toBeInstanceOf(Promise)
    await s.close()
    expect(bus.whenWritable()).toBeUndefined()
    expect(s.dropped).toBe(2)
  })

  it('has one consumer per subscriber, and checks its options', () => {
    const bus = new EventBus()
    const s = bus.subscribe()
    s[Symbol.asyncIterator]()
    expect(() => s[Symbol.asyncIterator]()).toThrow(OkoError)
    expect(() => bus.subscribe({ overflow: 'lossy' as 'block' })).toThrow('options.overflow: expected one of "block", "drop-oldest", "drop-newest"')
    expect(() => bus.subscribe({ capacity: 0 })).toThrow('options.capacity')
  })
})

function frame(width: number, height: number, stride: number, value: number): Frame {
  const y = new Uint8Array(stride * height).fill(value)
  return { cameraId: 'cam', seq: 7, ptsUs: 280_000, wallMs: 1, width, height, format: 'gray8', planes: [y], strides: [stride] }
}

function yuvFrame(width: number, height: number): Frame {
  const y = Uint8Array.from({ length: width * height }, (_, i) => i % 251)
  const u = Uint8Array.from({ length: (width / 2) * (height / 2) }, (_, i) => (i * 3) % 251)
  const v = Uint8Array.from({ length: (width / 2) * (height / 2) }, (_, i) => (i * 7) % 251)
  return { cameraId: 'cam', seq: 1, ptsUs: 0, wallMs: 0, width, height, format: 'yuv420p', planes: [y, u, v], strides: [width, width / 2, width / 2] }
}

describe('FramePool and OwnedFrame', () => {
  it('copies a borrowed frame once; the copy does not change when the source buffer does', () => {
    const pool = new FramePool()
    const f = frame(4, 2, 4, 9)
    const owned = pool.own(f)
    ;(f.planes[0] as Uint8Array).fill(200)
    expect([...owned.planes[0]!]).toEqual(Array(8).fill(9))
    expect(owned.seq).toBe(7)
    expect(pool.stats()).toMatchObject({ allocated: 1, copies: 1, transfers: 0, live: 1 })
  })

  it('luma copies pack rows to the width', () => {
    const pool = new FramePool()
    const f = frame(3, 2, 5, 0)
    ;(f.planes[0] as Uint8Array).set([1, 2, 3, 99, 99, 4, 5, 6, 99, 99])
    const owned = pool.own({ ...f, format: 'yuv420p' }, { planes: 'luma' })
    expect([...owned.planes[0]!]).toEqual([1, 2, 3, 4, 5, 6])
    expect(owned.strides).toEqual([3])
    expect(owned.format).toBe('gray8')
  })

  it('copies regions only (aligned to chroma, overlapping ones merged), and finds each rect in the crop that holds it', () => {
    const pool = new FramePool()
    const f = yuvFrame(64, 32)
    const owned = pool.own(f, { regions: [{ x: 3, y: 3, width: 10, height: 6 }, { x: 9, y: 5, width: 6, height: 6 }, { x: 40, y: 20, width: 8, height: 8 }] })
    expect(owned.regions).toEqual([{ x: 2, y: 2, width: 14, height: 10 }, { x: 40, y: 20, width: 8, height: 8 }])
    expect(pool.stats()).toMatchObject({ copies: 2 })
    expect(() => owned.planes).toThrow(/holds only some regions/)
    for (const [x, y] of [[5, 4], [15, 11], [44, 27]] as const) {
      const at = pixelsAt(owned, { x, y, width: 1, height: 1 })
      expect(at.planes[0]![(y - at.y0) * at.strides[0]! + (x - at.x0)]).toBe(f.planes[0]![y * 64 + x])
      expect(at.planes[1]![((y - at.y0) >> 1) * at.strides[1]! + ((x - at.x0) >> 1)]).toBe(f.planes[1]![(y >> 1) * 32 + (x >> 1)])
    }
    expect(owned.covers({ x: 3, y: 3, width: 4, height: 4 })).toBe(true)
    expect(owned.covers({ x: 20, y: 3, width: 4, height: 4 })).toBe(false)
    expect(() => pixelsAt(owned, { x: 20, y: 3, width: 4, height: 4 })).toThrow(/is not inside one/)
    // regions over most of the frame: one whole-frame copy is cheaper
    expect(pool.own(f, { regions: [{ x: 0, y: 0, width: 60, height: 30 }] }).regions).toBeUndefined()
  })

  it('the last holder returns the memory; reading afterwards throws ERR_CLOSED; the memory is reused', () => {
    const pool = new FramePool()
    const owned = pool.own(frame(4, 2, 4, 3))
    const message = owned.message()
    owned.message()
    expect(pool.stats().transfers).toBe(1) // handed out once, however many stages read it
    expect(frameFromMessage(message).planes[0]![0]).toBe(3)
    owned.retain()
    owned.release()
    expect(owned.owned).toBe(true)
    owned.release()
    expect(owned.owned).toBe(false)
    expect(() => owned.planes).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }))
    owned.release()
    pool.own(frame(4, 2, 4, 4))
    expect(pool.stats()).toMatchObject({ allocated: 1, reused: 1, copies: 2, transfers: 1, returned: 1, live: 1 })
  })

  it('buffers come in size classes, so changing region sizes reuse them', () => {
    const pool = new FramePool()
    pool.own(frame(100, 10, 100, 1)).release()
    pool.own(frame(120, 10, 120, 1)).release()
    expect(pool.stats()).toMatchObject({ allocated: 1, reused: 1 })
  })
})

describe('EventEncoder', () => {
  it('round-trips events as JSON lines and as msgpack records', () => {
    const events: OkoEvent[] = [motion('a', 0), motion('a', 1), { id: 'd', v: 1, type: 'dropped', cameraId: 'a', seq: 2, ptsUs: 0, timeMs: 3, stage: 'plates', count: 4, reason: 'overflow' }, motion('b', 9)]
    for (const format of ['jsonl', 'msgpack'] as const) {
      const encoder = new EventEncoder(format)
      const bytes = Buffer.concat(events.map((e) => encoder.encode(e)))
      expect(EventEncoder.decode(bytes, format)).toEqual(events)
    }
  })

  it('msgpack records are smaller than JSON once the structure is known', () => {
    const json = new EventEncoder('jsonl')
    const pack = new EventEncoder('msgpack')
    pack.encode(motion('a', 0))
    expect(pack.encode(motion('a', 1)).byteLength).toBeLessThan(json.encode(motion('a', 1)).byteLength / 2)
  })
})

describe('LatencyRing', () => {
  it('computes percentiles over the most recent samples only', () => {
    const ring = new LatencyRing(100)
    for (let i = 0; i < 100; i++) ring.add(1000)
    for (let i = 1; i <= 100; i++) ring.add(i)
    expect(ring.percentiles()).toEqual({ p50: 51, p95: 96, p99: 100, samples: 100 })
  })
})

describe('Histogram', () => {
  it('counts observations into fixed buckets (cumulative) and estimates quantiles from them', () => {
    const h = new Histogram([1, 10, 100])
    for (const ms of [0.5, 0.5, 5, 5, 5, 50, 500]) h.observe(ms)
    const snap = h.snapshot()
    expect(snap).toMatchObject({ bucketsMs: [1, 10, 100], counts: [2, 5, 6], count: 7, sumMs: 566 })
    expect(snap.p50Ms).toBeGreaterThan(1)
    expect(snap.p50Ms).toBeLessThanOrEqual(10)
    expect(snap.p99Ms).toBe(100) // beyond the last bound: the last bound
  })
})
