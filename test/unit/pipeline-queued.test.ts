import { setTimeout as sleep } from 'node:timers/promises'
import type { DroppedEvent, Envelope, MotionEvent, StageContext } from '@oko/core'
import { defineStage, pixelsAt } from '@oko/core'
import { FramePool, Pipeline, queuedStage } from '@oko/pipeline'
import { EventEncoder } from '@oko/sinks'
import { describe, expect, it } from 'vitest'
import { Deployment, parseDeployment, runDeployment, type StageProvider, type StageRegistry } from '@oko/deploy'
import { TestSource, brightGate, collect } from './pipeline-helpers.js'
import { bytesSink } from '../helpers/events.js'

/** A slow model stage: records what it saw (camera, seq, first luma byte of the frame it got). */
function slowStage(delayMs: number, seen: { camera: string; seq: number; luma: number }[]) {
  return defineStage({
    name: 'slow',
    async process(envelope: Envelope, ctx: StageContext) {
      const luma = envelope.frame.planes[0]![0]!
      await sleep(delayMs)
      seen.push({ camera: ctx.cameraId, seq: envelope.frame.seq, luma: envelope.frame.planes[0]![0]! === luma ? luma : -1 })
      return envelope
    },
  })
}

describe('queuedStage: async stages on the one offload path, behind bounded per-camera edges', () => {
  it('live cameras never wait for the stage: the oldest frames are dropped, and every drop is counted', async () => {
    const seen: { camera: string; seq: number; luma: number }[] = []
    const stage = queuedStage({ name: 'slow', stage: slowStage(5, seen), edge: { capacity: 2 } })
    const cameras = ['a', 'b'].map((id) => new TestSource(id, { frames: 200, live: true, before: () => new Promise<void>((r) => setImmediate(r)) }))
    const run = Pipeline.from(cameras).pipe(stage).run()
    const events = await collect(run.events)
    const summary = await run.completion
    const reported = events.filter((e): e is DroppedEvent => e.type === 'dropped' && e.stage === 'slow').reduce((n, e) => n + e.count, 0)
    expect(summary.dropped.slow?.overflow).toBeGreaterThan(0)
    expect(reported).toBe(summary.dropped.slow!.overflow)
    expect(seen.length + summary.dropped.slow!.overflow!).toBe(400)
    expect(summary.outputs).toBe(seen.length)
    for (const id of ['a', 'b']) {
      const seqs = seen.filter((s) => s.camera === id).map((s) => s.seq)
      expect(seqs.length).toBeGreaterThan(0) // both cameras get time
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y)) // one at a time per camera: in order
    }
    // Each envelope holds the frame's own copy, not the source's reused buffer, all through the stage's await.
    for (const s of seen) expect(s.luma).toBe(s.seq % 256)
  })

  it('files block instead: every frame reaches the stage, in order, nothing dropped', async () => {
    const seen: { camera: string; seq: number; luma: number }[] = []
    const stage = queuedStage({ name: 'slow', concurrency: 2, stage: slowStage(1, seen) })
    const run = Pipeline.from([new TestSource('a', { frames: 30 }), new TestSource('b', { frames: 30 })]).pipe(stage).run()
    await collect(run.events)
    const summary = await run.completion
    expect(summary.droppedTotal).toBe(0)
    expect(seen.filter((s) => s.camera === 'a').map((s) => s.seq)).toEqual([...Array(30).keys()])
    expect(seen.filter((s) => s.camera === 'b').map((s) => s.seq)).toEqual([...Array(30).keys()])
    expect(seen.every((s) => s.luma === s.seq % 256)).toBe(true)
  })

  it('calls a stateful factory once per camera, and passes its output on to the next stage', async () => {
    const made: string[] = []
    let closed = 0
    const stage = queuedStage({
      name: 'count',
      stage: (cameraId) => {
        made.push(cameraId)
        let n = 0
        return defineStage({
          name: 'count',
          process: async (e) => {
            await sleep(1)
            e.detections.push({ box: { x: 0, y: 0, width: 2, height: 2 }, label: `n${++n}`, score: 1, seq: e.frame.seq, ptsUs: 0 })
            return e
          },
          close: () => void closed++,
        })
      },
    })
    const after: string[] = []
    const next = defineStage({ name: 'next', process: (e) => { after.push(`${e.frame.cameraId}:${e.detections.map((d) => d.label).join()}`); return e } })
    const run = Pipeline.from([new TestSource('a', { frames: 5 }), new TestSource('b', { frames: 5 })]).pipe(stage).pipe(next).run()
    await collect(run.events)
    const summary = await run.completion
    expect(made.sort()).toEqual(['a', 'b'])
    expect(after.filter((s) => s.startsWith('a'))).toEqual(['a:n1', 'a:n2', 'a:n3', 'a:n4', 'a:n5'])
    expect(summary).toMatchObject({ framesIn: 10, inferred: 10, outputs: 10 })
    expect(closed).toBe(2) // each camera's stage closes when the camera is done
  })

  it('the owned frame lives until the envelope leaves the pipeline, and then returns to the pool', async () => {
    const frames = new FramePool()
    const luma: number[] = []
    const stage = queuedStage({ name: 'keep', stage: defineStage({ name: 'keep', process: async (e) => { await sleep(2); return e } }) })
    const later = defineStage({ name: 'later', process: (e) => { luma.push(pixelsAt(e.frame, { x: 0, y: 0, width: 2, height: 2 }).planes[0]![0]!); return e } })
    const run = Pipeline.from(new TestSource('a', { frames: 6, value: (s) => 16 + s * 20 })).pipe(stage).pipe(later).run({ frames })
    await collect(run.events)
    await run.completion
    // the pixels the later stage read were still the frame's own, not the source's reused buffer
    expect(luma).toEqual([16, 36, 56, 76, 96, 116])
    expect(frames.stats()).toMatchObject({ copies: 6, live: 0, returned: 6 })
  })

  it('a failing item is an error event; the run goes on', async () => {
    let n = 0
    const stage = queuedStage({
      name: 'flaky',
      stage: defineStage({ name: 'flaky', process: async (e) => { if (++n === 3) throw new Error('model broke'); return e } }),
    })
    const run = Pipeline.from(new TestSource('a', { frames: 6 })).pipe(stage).run()
    const events = await collect(run.events)
    const summary = await run.completion
    expect(events.filter((e) => e.type === 'error')).toMatchObject([{ type: 'error', stage: 'flaky', cameraId: 'a', error: { message: expect.stringContaining('model broke') } }])
    expect(summary).toMatchObject({ framesIn: 6, errors: 1, outputs: 5 })
  })

  it("ticks the camera's inner stage on gated frames only once nothing of that camera is queued or running, and flushes it at the end", async () => {
    const log: string[] = []
    const stage = queuedStage({
      name: 'tracks',
      stage: (id) => defineStage({
        name: `tracks-${id}`,
        process: async (e) => { await sleep(20); log.push(`process ${id}:${e.frame.seq}`); return e },
        tick: (ref) => void log.push(`tick ${id}:${ref.seq}`),
        flush: (ctx) => void log.push(`flush ${ctx.cameraId}`),
      }),
    })
    // Frame 0 passes the gate; 1-3 are gated at once while 0 is still being read (only the newest
    // tick is held for after it); 4-5 after (the source waits).
    const source = new TestSource('a', { frames: 6, value: (s) => (s === 0 ? 200 : 10), before: (seq) => (seq === 4 ? sleep(60) : undefined) })
    const run = Pipeline.from(source).pipe(brightGate(100)).pipe(stage).run()
    await collect(run.events)
    await run.completion
    expect(log).toEqual(['process a:0', 'tick a:3', 'tick a:4', 'tick a:5', 'flush a'])
  })

  it('validates its options with the path', () => {
    expect(() => queuedStage({ name: 'x', stage: {} as never })).toThrow(/options.stage: expected a Stage/)
    expect(() => queuedStage({ name: 'x', concurrency: 0, stage: defineStage({ name: 'y', process: (e) => e }) })).toThrow(/options.concurrency/)
  })
})

describe('deployments: stages side by side, and cameras at run time', () => {
  /** A provider whose stage counts frames per camera and reports the count when the camera is done. */
  const counting = (name: string, marker: number): StageProvider => ({
    check: () => {},
    async create(_options, _camera, shared) {
      const counts = await shared.once(`${name}:counts`, async () => new Map<string, number>())
      return shared.once(`${name}:stage`, async () => queuedStage({
        name,
        stage: (id) => defineStage({
          name,
          process: async (e) => { counts.set(id, (counts.get(id) ?? 0) + 1); return e },
          flush: (ctx) => {
            // A marker event: seq says which stage, score how many frames it saw.
            ctx.emit({ type: 'motion', cameraId: ctx.cameraId, seq: marker, ptsUs: 0, score: counts.get(ctx.cameraId) ?? 0, regions: [], zones: [] })
          },
        }),
      }), (s) => s.close())
    },
  })
  const registry: StageRegistry = {
    gate: { check: () => {}, create: () => defineStage({ name: 'gate', process: (e) => e }) },
    left: counting('left', -1),
    right: counting('right', -2),
  }

  it('runs a list of stages side by side on every frame that passed, and flushes them before the events end', async () => {
    const config = parseDeployment('cameras:\n  - { id: a, url: a.mp4 }\n  - { id: b, url: b.mp4 }\nstages: [gate, [left, right]]\n', { baseDir: '/x', registry })
    expect(config.order).toEqual(['gate', ['left', 'right']])
    const chunks: Uint8Array[] = []
    const result = await runDeployment(config, { registry, openSource: async (c) => new TestSource(c.id, { frames: 12 }), stdout: bytesSink(chunks) })
    const ends = EventEncoder.decode(Buffer.concat(chunks), 'jsonl').filter((e): e is MotionEvent => e.type === 'motion' && e.seq < 0)
    expect(ends.map((e) => [e.cameraId, e.seq, e.score]).sort()).toEqual([['a', -1, 12], ['a', -2, 12], ['b', -1, 12], ['b', -2, 12]])
    expect(result.summary).toMatchObject({ framesIn: 24, droppedTotal: 0, errors: 0, outputs: 48 })
  })

  it('adds, updates and removes cameras at run time; shared stages close with the last camera that used them', async () => {
    const config = parseDeployment('cameras:\n  - { id: a, url: a.mp4 }\nstages: [gate, left]\n', { baseDir: '/x', registry })
    const sources: TestSource[] = []
    const openSource = async (c: { id: string; fps?: number }) => {
      const s = new TestSource(c.id, { frames: 1_000_000, live: true, before: () => sleep(1) })
      sources.push(s)
      return s
    }
    await using deployment = await Deployment.start(config, { registry, openSource, keepOpen: true })
    const events: MotionEvent[] = []
    const reading = (async () => { for await (const e of deployment.events) if (e.type === 'motion') events.push(e) })()
    await sleep(20)
    await deployment.addCamera({ id: 'b', url: 'b.mp4' })
    expect(deployment.cameras().map((c) => c.id)).toEqual(['a', 'b'])
    expect(deployment.sharedResources()).toEqual({ 'left:counts': 2, 'left:stage': 2 })
    await expect(deployment.addCamera({ id: 'b', url: 'c.mp4' })).rejects.toThrow('camera.id: camera "b" is already running')
    await expect(deployment.addCamera({ id: 'c', url: 'c.mp4', fps: -1 })).rejects.toThrow('camera.fps')
    await sleep(20)
    const updated = await deployment.updateCamera('b', { fps: 5 })
    expect(updated.fps).toBe(5)
    await expect(deployment.updateCamera('b', { fps: 'fast' })).rejects.toThrow('patch.fps')
    expect(deployment.cameras().map((c) => c.id)).toEqual(['a', 'b']) // a bad patch leaves the camera as it was
    await deployment.removeCamera('a')
    expect(sources[0]!.closed).toBe(1) // its source is closed
    expect(deployment.sharedResources()).toEqual({ 'left:counts': 1, 'left:stage': 1 })
    const aFrames = sources[0]!.delivered
    await sleep(20)
    expect(sources[0]!.delivered).toBe(aFrames)
    await deployment.removeCamera('b')
    expect(deployment.sharedResources()).toEqual({}) // the last camera closed what they shared
    await deployment.close()
    await reading
    // camera a's count was reported when it left; b twice (it was restarted by the update)
    expect(events.filter((e) => e.seq === -1).map((e) => e.cameraId)).toEqual(['b', 'a', 'b'])
    expect(events.find((e) => e.seq === -1 && e.cameraId === 'a')!.score).toBe(aFrames)
  })
})
