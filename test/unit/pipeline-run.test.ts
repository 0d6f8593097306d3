import type { Frame, OkoEvent, Stage } from '@oko/core'
import { Pipeline, workerStage } from '@oko/pipeline'
import { describe, expect, it } from 'vitest'
import { TestSource, brightGate, collect, tick, toMotion } from './pipeline-helpers.js'

const kinds = (events: OkoEvent[]) => events.map((e) => (e.type === 'motion' ? `${e.cameraId}:${e.seq}` : `${e.type}:${e.cameraId}`))

describe('Pipeline run (inline stages)', () => {
  it('gates, emits terminal events in order, and counts frames in/gated/outputs', async () => {
    const source = new TestSource('cam', { frames: 10, value: (s) => (s % 3 === 0 ? 200 : 10) })
    const run = Pipeline.from(source).pipe(brightGate(100)).pipe(toMotion()).run()
    const events = await collect(run.events)
    const summary = await run.completion
    expect(kinds(events)).toEqual(['source:cam', 'cam:0', 'cam:3', 'cam:6', 'cam:9', 'source:cam'])
    expect(summary).toMatchObject({ framesIn: 10, gated: 6, outputs: 4, errors: 0, droppedTotal: 0, aborted: false, events: 6 })
    expect(summary.cameras.cam).toMatchObject({ framesIn: 10, gated: 6, outputs: 4 })
    expect(summary.latencyMs.samples).toBe(4)
    expect(source.closed).toBe(0) // whoever opens a source closes it
  })

  it('a stage that throws makes one non-fatal error event and the run continues', async () => {
    const flaky: Stage<Frame, Frame> = {
      name: 'flaky',
      process: (f) => {
        if (f.seq === 2) throw Object.assign(new Error('bad frame'), { code: 'ERR_DECODE' })
        return f
      },
    }
    const run = Pipeline.from(new TestSource('cam', { frames: 4 })).pipe(flaky).pipe(toMotion()).run()
    const events = await collect(run.events)
    const error = events.find((e) => e.type === 'error')
    expect(error).toMatchObject({ type: 'error', cameraId: 'cam', seq: 2, stage: 'flaky', fatal: false, error: { message: 'bad frame', code: 'ERR_DECODE' } })
    expect(events.filter((e) => e.type === 'motion').map((e) => e.seq)).toEqual([0, 1, 3])
    expect(await run.completion).toMatchObject({ framesIn: 4, outputs: 3, errors: 1 })
  })

  it('stages emit through ctx.emit; async stages keep the frame borrowed until they return', async () => {
    const seen: number[] = []
    const slow: Stage<Frame, undefined> = {
      name: 'slow',
      async process(f, ctx) {
        await tick()
        seen.push(f.planes[0]![0]!) // still this frame's pixels: the source has not advanced
        ctx.emit({ type: 'tamper', cameraId: ctx.cameraId, seq: f.seq, ptsUs: f.ptsUs, timeMs: 0, reason: 'frozen', active: true })
        return undefined
      },
    }
    const run = Pipeline.from(new TestSource('cam', { frames: 5, value: (s) => s * 10 })).pipe(slow).run()
    const events = await collect(run.events)
    expect(seen).toEqual([0, 10, 20, 30, 40])
    expect(events.filter((e) => e.type === 'tamper').map((e) => e.seq)).toEqual([0, 1, 2, 3, 4])
    expect(await run.completion).toMatchObject({ gated: 5, outputs: 0 })
  })

  it('fanOut sends each item to every branch and what follows gets every output', async () => {
    const tag = (name: string): Stage<Frame, string> => ({ name, process: (f) => `${name}${f.seq}` })
    const outputs: string[] = []
    const sink: Stage<string, undefined> = { name: 'sink', process: (s) => void outputs.push(s) }
    const run = Pipeline.from(new TestSource('cam', { frames: 3 })).fanOut([tag('a'), tag('b')]).pipe(sink).run()
    await collect(run.events)
    expect(outputs).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2'])
    expect(await run.completion).toMatchObject({ framesIn: 3, gated: 6 })
  })

  it('many cameras: a factory gives each camera its own stage state, closed at the end', async () => {
    let closed = 0
    const counter = (cameraId: string): Stage<Frame, OkoEvent> => {
      let count = 0
      return {
        name: `count-${cameraId}`,
        process: (f) => ({ type: 'motion', cameraId, seq: f.seq, ptsUs: 0, timeMs: 0, score: ++count, regions: [], zones: [] }),
        close: async () => void closed++,
      }
    }
    const sources = [new TestSource('a', { frames: 3 }), new TestSource('b', { frames: 5 })]
    const run = Pipeline.from(sources).pipe(counter).run()
    const events = await collect(run.events)
    const scores = (id: string) => events.filter((e) => e.type === 'motion' && e.cameraId === id).map((e) => (e.type === 'motion' ? e.score : 0))
    expect(scores('a')).toEqual([1, 2, 3])
    expect(scores('b')).toEqual([1, 2, 3, 4, 5])
    const summary = await run.completion
    expect(summary.cameras.a!.framesIn).toBe(3)
    expect(summary.cameras.b!.framesIn).toBe(5)
    expect(closed).toBe(2)
  })

  it('stages after a gate are ticked for every frame it stops, and flushed per camera before close, with events open', async () => {
    const log: string[] = []
    const tracker = (): Stage<Frame, undefined> => ({
      name: 'tracker',
      process: (f) => { log.push(`process ${f.cameraId}:${f.seq}`); return undefined },
      tick: (ref, ctx) => { log.push(`tick ${ctx.cameraId}:${ref.seq}`) },
      flush: (ctx) => {
        log.push(`flush ${ctx.cameraId}`)
        ctx.emit({ type: 'motion', cameraId: ctx.cameraId, seq: 99, ptsUs: 0, timeMs: 0, score: 1, regions: [], zones: [] })
      },
      close: async () => { log.push('close') },
    })
    const sources = [new TestSource('a', { frames: 4, value: (s) => (s === 1 ? 200 : 10) }), new TestSource('b', { frames: 2, value: () => 10 })]
    const run = Pipeline.from(sources).pipe(brightGate(100)).fanOut([tracker, toMotion()]).run()
    const events = await collect(run.events)
    expect(log.filter((l) => l.includes('a:') || l === 'flush a')).toEqual(['tick a:0', 'process a:1', 'tick a:2', 'tick a:3', 'flush a'])
    expect(log.filter((l) => l.includes('b'))).toEqual(['tick b:0', 'tick b:1', 'flush b'])
    expect(log.slice(-2)).toEqual(['close', 'close']) // after every flush
    expect(events.filter((e) => e.type === 'motion' && e.seq === 99).map((e) => e.cameraId).sort()).toEqual(['a', 'b'])
    await run.completion
  })

  it('a camera whose stream breaks reports an error event; the other cameras keep running', async () => {
    const sources = [new TestSource('bad', { frames: 10, failAfter: 2 }), new TestSource('good', { frames: 6 })]
    const run = Pipeline.from(sources).pipe(toMotion()).run()
    const events = await collect(run.events)
    expect(events.find((e) => e.type === 'error')).toMatchObject({ cameraId: 'bad', stage: 'source', fatal: false, error: { message: 'stream of bad broke at frame 2' } })
    expect(events.filter((e) => e.type === 'motion' && e.cameraId === 'good')).toHaveLength(6)
    expect(await run.completion).toMatchObject({ framesIn: 8, errors: 1, outputs: 8 })
  })

  it('abort stops reading; completion resolves with aborted: true; close() is idempotent', async () => {
    const controller = new AbortController()
    const source = new TestSource('cam', { frames: 1_000_000, live: true, before: (seq) => (seq === 5 ? controller.abort() : tick()) })
    const run = Pipeline.from(source).pipe(toMotion()).run({ signal: controller.signal })
    const events = await collect(run.events)
    const summary = await run.completion
    expect(summary.aborted).toBe(true)
    expect(summary.framesIn).toBe(5)
    expect(events.filter((e) => e.type === 'motion')).toHaveLength(5)
    expect(await run.close()).toBe(summary)
    await run[Symbol.asyncDispose]()
  })

  it('an events consumer that is slow under block policy slows the files, and nothing is lost', async () => {
    const run = Pipeline.from(new TestSource('cam', { frames: 50 })).pipe(toMotion()).run({ events: { capacity: 2 } })
    const seqs: number[] = []
    for await (const e of run.events) {
      if (e.type === 'motion') seqs.push(e.seq)
      await tick()
    }
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect((await run.completion).droppedTotal).toBe(0)
  })

  it('a live run whose event consumer never reads drops the oldest events and counts them', async () => {
    const run = Pipeline.from(new TestSource('cam', { frames: 20, live: true })).pipe(toMotion()).run({ events: { capacity: 4 } })
    const summary = await run.completion
    expect(summary.outputs).toBe(20)
    expect(summary).toMatchObject({ droppedTotal: 18, dropped: { events: { overflow: 18 } } })
    expect(summary.cameras.cam!.dropped).toEqual({ events: { overflow: 18 } })
    const events = await collect(run.events)
    // 20 motion + 2 source events; 4 kept, the rest reported in one dropped event first.
    expect(events[0]).toMatchObject({ type: 'dropped', stage: 'events', cameraId: 'cam', count: 18, reason: 'overflow' })
    expect(events.slice(1).map((e) => e.type)).toEqual(['motion', 'motion', 'motion', 'source'])
  })

  it('a file run whose events nobody reads still completes; the overflow is counted', async () => {
    const run = Pipeline.from(new TestSource('cam', { frames: 30 })).pipe(toMotion()).run({ events: { capacity: 8 } })
    const summary = await run.completion
    expect(summary).toMatchObject({ framesIn: 30, outputs: 30 })
    const events = await collect(run.events)
    expect(events[0]).toMatchObject({ type: 'dropped', stage: 'events', count: 24 })
    expect(events).toHaveLength(9)
  })

  it('a worker runner that fails outside a job stops the run with a fatal error event (no hang, no unhandled rejection)', async () => {
    const broken = { name: 'broken', needsDrain: false, whenFree: () => Promise.reject(new Error('runner broke')), tryRun: () => undefined }
    const stage = workerStage({ name: 'model', pool: broken, prepare: (f: Frame) => ({ job: f.seq }) })
    const run = Pipeline.from(new TestSource('cam', { frames: 5 })).pipe(stage).run()
    const events = await collect(run.events)
    const summary = await run.completion
    expect(events.filter((e) => e.type === 'error')).toMatchObject([{ cameraId: '*', stage: 'model', fatal: true, error: { message: 'runner broke' } }])
    expect(summary.aborted).toBe(true)
    expect(summary.inferred).toBe(0)
  })

  it('validates the builder input with the path and the fix', () => {
    const source = new TestSource('cam', { frames: 1 })
    expect(() => Pipeline.from([])).toThrow('sources: expected at least one FrameSource')
    expect(() => Pipeline.from([source, new TestSource('cam', { frames: 1 })])).toThrow('sources[1].cameraId: duplicate camera id "cam"')
    expect(() => Pipeline.from(source).pipe({ name: 'x' } as unknown as Stage<Frame, Frame>)).toThrow(/^stage: expected a Stage/)
    expect(() => Pipeline.from(source).run({ events: { overflow: 'drop' as 'block' } })).toThrow('options.events.overflow: expected one of "block", "drop-oldest"')
  })
})
