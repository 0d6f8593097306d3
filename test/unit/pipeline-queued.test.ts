import { setTimeout as sleep } from 'node:timers/promises'
import type { FrameRef, MotionEvent, OkoEvent, StageContext } from '@oko/core'
import { EventEncoder, Pipeline, queuedStage, type QueuedInput } from '@oko/pipeline'
import { describe, expect, it } from 'vitest'
import { parseDeployment, runDeployment, type StageProvider, type StageRegistry } from '@oko/deploy'
import { TestSource, brightGate, collect } from './pipeline-helpers.js'

/** A slow model stage: records what it saw (camera, seq, first luma byte of its own copy). */
function slowStage(delayMs: number, seen: { camera: string; seq: number; luma: number }[]) {
  return {
    name: 'slow',
    async process(input: QueuedInput, ctx: StageContext) {
      const luma = input.frame.planes[0]![0]!
      await sleep(delayMs)
      seen.push({ camera: ctx.cameraId, seq: input.frame.seq, luma })
      return input
    },
  }
}

describe('queuedStage: model stages behind bounded per-camera edges', () => {
  it('live cameras never wait for the model: the oldest frames are dropped, and every drop is counted', async () => {
    const seen: { camera: string; seq: number; luma: number }[] = []
    const inner = slowStage(5, seen)
    const stage = queuedStage({ name: 'slow', stage: inner, edge: { capacity: 2 } })
    const cameras = ['a', 'b'].map((id) => new TestSource(id, { frames: 200, live: true, before: () => new Promise<void>((r) => setImmediate(r)) }))
    const run = Pipeline.from(cameras).pipe(stage).run()
    const events = await collect(run.events)
    const summary = await run.completion
    const reported = events.filter((e): e is Extract<OkoEvent, { type: 'dropped' }> => e.type === 'dropped' && e.stage === 'slow').reduce((n, e) => n + e.count, 0)
    expect(summary.dropped.slow?.overflow).toBeGreaterThan(0)
    expect(reported).toBe(summary.dropped.slow!.overflow)
    expect(seen.length + summary.dropped.slow!.overflow!).toBe(400)
    expect(summary.outputs).toBe(seen.length)
    for (const id of ['a', 'b']) {
      const seqs = seen.filter((s) => s.camera === id).map((s) => s.seq)
      expect(seqs.length).toBeGreaterThan(0) // both cameras get model time
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y)) // one at a time per camera: in order
    }
    // Each item is the frame's own copy, not the source's reused buffer.
    for (const s of seen) expect(s.luma).toBe(s.seq % 256)
  })

  it('files block instead: every frame reaches the model, in order, nothing dropped', async () => {
    const seen: { camera: string; seq: number; luma: number }[] = []
    const inner = slowStage(1, seen)
    const stage = queuedStage({ name: 'slow', concurrency: 2, stage: inner })
    const run = Pipeline.from([new TestSource('a', { frames: 30 }), new TestSource('b', { frames: 30 })]).pipe(stage).run()
    await collect(run.events)
    const summary = await run.completion
    expect(summary.droppedTotal).toBe(0)
    expect(seen.filter((s) => s.camera === 'a').map((s) => s.seq)).toEqual([...Array(30).keys()])
    expect(seen.filter((s) => s.camera === 'b').map((s) => s.seq)).toEqual([...Array(30).keys()])
    expect(seen.every((s) => s.luma === s.seq % 256)).toBe(true)
  })

  it('a failing item is an error event; the run goes on', async () => {
    let n = 0
    const stage = queuedStage({
      name: 'flaky',
      stage: { name: 'flaky', process: async () => { if (++n === 3) throw new Error('model broke'); return true } },
    })
    const run = Pipeline.from(new TestSource('a', { frames: 6 })).pipe(stage).run()
    const events = await collect(run.events)
    const summary = await run.completion
    expect(events.filter((e) => e.type === 'error')).toMatchObject([{ type: 'error', stage: 'flaky', cameraId: 'a', error: { message: expect.stringContaining('model broke') } }])
    expect(summary).toMatchObject({ framesIn: 6, errors: 1, outputs: 5 })
  })

  it("ticks the camera's inner stage on gated frames only while nothing of that camera is queued or running, and flushes it at the end", async () => {
    const log: string[] = []
    const stage = queuedStage({
      name: 'tracks',
      stage: (id) => ({
        name: `tracks-${id}`,
        process: async (input: QueuedInput) => { await sleep(20); log.push(`process ${id}:${input.frame.seq}`); return true },
        tick: (ref: FrameRef) => void log.push(`tick ${id}:${ref.seq}`),
        flush: (ctx: StageContext) => void log.push(`flush ${ctx.cameraId}`),
      }),
    })
    // Frame 0 passes the gate; 1-3 are gated at once while 0 is still being read; 4-5 after (the source waits).
    const source = new TestSource('a', { frames: 6, value: (s) => (s === 0 ? 200 : 10), before: (seq) => (seq === 4 ? sleep(60) : undefined) })
    const run = Pipeline.from(source).pipe(brightGate(100)).pipe(stage).run()
    await collect(run.events)
    await run.completion
    expect(log).toEqual(['process a:0', 'tick a:4', 'tick a:5', 'flush a'])
  })

  it('validates its options with the path', () => {
    expect(() => queuedStage({ name: 'x', stage: {} as never })).toThrow(/options.stage: expected a Stage/)
    expect(() => queuedStage({ name: 'x', concurrency: 0, stage: { name: 'y', process: () => true } })).toThrow(/options.concurrency/)
  })
})

describe('runDeployment with branch stages', () => {
  /** A branch provider: its model stage counts frames per camera and reports the count when the camera ends. */
  const counting = (name: string, marker: number): StageProvider => ({
    branch: true,
    check: () => {},
    async create(_options, _camera, shared) {
      const counts = await shared.once(`${name}:counts`, async () => new Map<string, number>())
      return shared.once(`${name}:stage`, async () => queuedStage({
        name,
        stage: (id) => ({
          name,
          process: async () => void counts.set(id, (counts.get(id) ?? 0) + 1),
          flush: (ctx: StageContext) => {
            // A marker event: seq says which stage, score how many frames it saw.
            const event: MotionEvent = { type: 'motion', cameraId: ctx.cameraId, seq: marker, ptsUs: 0, timeMs: 0, score: counts.get(ctx.cameraId) ?? 0, regions: [], zones: [] }
            ctx.emit(event)
          },
        }),
      }))
    },
  })
  const registry: StageRegistry = { gate: { check: () => {}, create: () => ({ name: 'gate', process: (f: unknown) => f }) }, left: counting('left', -1), right: counting('right', -2) }

  it('runs model stages side by side on every frame that passed, and flushes them before the events end', async () => {
    const config = parseDeployment('cameras:\n  - { id: a, url: a.mp4 }\n  - { id: b, url: b.mp4 }\nstages: [gate, left, right]\n', { baseDir: '/x', registry })
    const chunks: Uint8Array[] = []
    const result = await runDeployment(config, { registry, openSource: async (c) => new TestSource(c.id, { frames: 12 }), write: (b) => void chunks.push(b) })
    const ends = EventEncoder.decode(Buffer.concat(chunks), 'jsonl').filter((e): e is MotionEvent => e.type === 'motion' && e.seq < 0)
    expect(ends.map((e) => [e.cameraId, e.seq, e.score]).sort()).toEqual([['a', -1, 12], ['a', -2, 12], ['b', -1, 12], ['b', -2, 12]])
    expect(result.summary).toMatchObject({ framesIn: 24, droppedTotal: 0, errors: 0, outputs: 48 })
  })

  it('writes snapshot pixels as base64 in JSON lines, as bytes in msgpack', async () => {
    const snapshotting: StageProvider = {
      check: () => {},
      create: () => ({
        name: 'snap',
        process: (f: { seq: number; cameraId: string }, ctx: StageContext) => {
          if (f.seq === 0) ctx.emit({ type: 'face', cameraId: f.cameraId, seq: 0, ptsUs: 0, timeMs: 0, box: { x: 0, y: 0, width: 2, height: 1 }, confidence: 0.9, snapshot: { data: Uint8Array.of(1, 2, 3, 4, 5, 6), width: 2, height: 1, format: 'rgb24' } })
          return undefined
        },
      }),
    }
    const reg: StageRegistry = { snap: snapshotting }
    for (const format of ['jsonl', 'msgpack'] as const) {
      const config = parseDeployment(`cameras: [{ id: a, url: a.mp4 }]\nstages: [snap]\noutput: { format: ${format} }\n`, { baseDir: '/x', registry: reg })
      const chunks: Uint8Array[] = []
      await runDeployment(config, { registry: reg, openSource: async (c) => new TestSource(c.id, { frames: 2 }), write: (b) => void chunks.push(b) })
      const face = EventEncoder.decode(Buffer.concat(chunks), format).find((e) => e.type === 'face') as { snapshot: { data: unknown } }
      const data = face.snapshot.data
      expect(format === 'jsonl' ? data : [...(data as Uint8Array)]).toEqual(format === 'jsonl' ? Buffer.from([1, 2, 3, 4, 5, 6]).toString('base64') : [1, 2, 3, 4, 5, 6])
    }
  })
})
