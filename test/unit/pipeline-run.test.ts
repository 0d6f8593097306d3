import { setTimeout as sleep } from 'node:timers/promises'
import type { Envelope, MotionEvent, OkoEvent, Stage } from '@oko/core'
import { defineStage, idTimeMs } from '@oko/core'
import { Pipeline, workerStage } from '@oko/pipeline'
import { describe, expect, it } from 'vitest'
import { TestSource, brightGate, collect, tick, toMotion } from './pipeline-helpers.js'

const kinds = (events: OkoEvent[]) => events.map((e) => (e.type === 'motion' ? `${e.cameraId}:${e.seq}` : `${e.type}:${'cameraId' in e ? e.cameraId : '-'}`))
const motions = (events: OkoEvent[], cameraId?: string) => events.filter((e): e is MotionEvent => e.type === 'motion' && (cameraId === undefined || e.cameraId === cameraId))

describe('Pipeline run (inline stages)', () => {
  it('gates, emits events in order, and counts frames in/gated/outputs', async () => {
    const source = new TestSource('cam', { frames: 10, value: (s) => (s % 3 === 0 ? 200 : 10) })
    const run = Pipeline.from(source).pipe(brightGate(100)).pipe(toMotion()).run()
    const events = await collect(run.events)
    const summary = await run.completion
    expect(kinds(events)).toEqual(['source:cam', 'cam:0', 'cam:3', 'cam:6', 'cam:9', 'source:cam'])
    expect(summary).toMatchObject({ framesIn: 10, gated: 6, outputs: 4, errors: 0, droppedTotal: 0, aborted: false, events: 6 })
    expect(summary.cameras.cam).toMatchObject({ framesIn: 10, gated: 6, outputs: 4 })
    expect(summary.cameras.cam!.source).toMatchObject({ framesDelivered: 10 }) // the source's own counters, through the run
    expect(summary.stages.bright).toMatchObject({ items: 10, errors: 0 })
    expect(summary.stages['to-motion']!.latency.count).toBe(4)
    expect(summary.latencyMs.samples).toBe(4)
    expect(source.closed).toBe(0) // whoever opens a source closes it
  })

  it('every event has a string id, unique and in time order, and the shape version', async () => {
    const sources = [new TestSource('a', { frames: 40 }), new TestSource('b', { frames: 40 })]
    const first = await collect(Pipeline.from(sources).pipe(toMotion()).run().events)
    const second = await collect(Pipeline.from([new TestSource('a', { frames: 40 })]).pipe(toMotion()).run().events)
    const ids = [...first, ...second].map((e) => e.id)
    expect(ids.every((id) => typeof id === 'string' && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true)
    expect(new Set(ids).size).toBe(ids.length) // over two runs
    expect(first.map((e) => e.id)).toEqual(first.map((e) => e.id).sort()) // a run's ids sort as they were made
    expect(first.every((e) => e.v === 1 && Math.abs(idTimeMs(e.id) - e.timeMs) < 2)).toBe(true)
  })

  it('a stage that throws makes one non-fatal error event and the run continues', async () => {
    const flaky = defineStage({
      name: 'flaky',
      process: (e) => {
        if (e.frame.seq === 2) throw Object.assign(new Error('bad frame'), { code: 'ERR_DECODE' })
        return e
      },
    })
    const run = Pipeline.from(new TestSource('cam', { frames: 4 })).pipe(flaky).pipe(toMotion()).run()
    const events = await collect(run.events)
    expect(events.find((e) => e.type === 'error')).toMatchObject({ type: 'error', cameraId: 'cam', seq: 2, stage: 'flaky', fatal: false, error: { message: 'bad frame', code: 'ERR_DECODE' } })
    expect(motions(events).map((e) => e.seq)).toEqual([0, 1, 3])
    expect(await run.completion).toMatchObject({ framesIn: 4, outputs: 3, errors: 1, stages: { flaky: { errors: 1 } } })
  })

  it('stages emit through ctx.emit (the run stamps the id); async stages keep the frame borrowed until they return', async () => {
    const seen: number[] = []
    const slow = defineStage({
      name: 'slow',
      async process(e, ctx) {
        await tick()
        seen.push(e.frame.planes[0]![0]!) // still this frame's pixels: the source has not advanced
        const sent = ctx.emit({ type: 'tamper', cameraId: ctx.cameraId, seq: e.frame.seq, ptsUs: e.frame.ptsUs, reason: 'frozen', active: true })
        expect(sent.id).toHaveLength(26)
        return undefined
      },
    })
    const run = Pipeline.from(new TestSource('cam', { frames: 5, value: (s) => s * 10 })).pipe(slow).run()
    const events = await collect(run.events)
    expect(seen).toEqual([0, 10, 20, 30, 40])
    expect(events.filter((e) => e.type === 'tamper').map((e) => 'seq' in e && e.seq)).toEqual([0, 1, 2, 3, 4])
    expect(await run.completion).toMatchObject({ gated: 5, outputs: 0 })
  })

  it('one envelope travels along the stages, each enriching it', async () => {
    const seen: Envelope[] = []
    const detect = defineStage({ name: 'detect', process: (e) => { e.detections.push({ box: { x: 1, y: 1, width: 2, height: 2 }, label: 'car', score: 0.9, seq: e.frame.seq, ptsUs: e.frame.ptsUs }); return e } })
    const count = defineStage({ name: 'count', process: (e) => { seen.push({ ...e, detections: [...e.detections] }); return e } })
    const run = Pipeline.from(new TestSource('cam', { frames: 2 })).pipe(detect).pipe(count).run()
    await collect(run.events)
    expect(seen.map((e) => [e.frame.seq, e.detections.map((d) => d.label), e.tracks.length])).toEqual([[0, ['car'], 0], [1, ['car'], 0]])
  })

  it('fanOut gives each branch its own copy of the envelope, and what follows runs on every branch', async () => {
    const tag = (name: string): Stage => defineStage({ name, process: (e) => { e.detections.push({ box: { x: 0, y: 0, width: 1, height: 1 }, label: name, score: 1, seq: e.frame.seq, ptsUs: 0 }); return e } })
    const outputs: string[] = []
    const sink = defineStage({ name: 'sink', process: (e) => void outputs.push(`${e.detections.map((d) => d.label).join('+')}${e.frame.seq}`) })
    const run = Pipeline.from(new TestSource('cam', { frames: 3 })).fanOut([tag('a'), tag('b')]).pipe(sink).run()
    await collect(run.events)
    expect(outputs).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2'])
    expect(await run.completion).toMatchObject({ framesIn: 3, gated: 6 })
  })

  it('many cameras: a factory is called once per camera for its own stage, closed when the camera is done', async () => {
    let closed = 0
    let made = 0
    const counter = (cameraId: string): Stage => {
      made++
      let count = 0
      return defineStage({
        name: 'count',
        process: (e, ctx) => { ctx.emit({ type: 'motion', cameraId, seq: e.frame.seq, ptsUs: 0, score: ++count, regions: [], zones: [] }); return e },
        close: () => void closed++,
      })
    }
    const sources = [new TestSource('a', { frames: 3 }), new TestSource('b', { frames: 5 })]
    const run = Pipeline.from(sources).pipe(counter).run()
    const events = await collect(run.events)
    expect(motions(events, 'a').map((e) => e.score)).toEqual([1, 2, 3])
    expect(motions(events, 'b').map((e) => e.score)).toEqual([1, 2, 3, 4, 5])
    const summary = await run.completion
    expect(summary.cameras.a!.framesIn).toBe(3)
    expect(summary.cameras.b!.framesIn).toBe(5)
    expect([made, closed]).toEqual([2, 2])
  })

  it('stages after a gate are ticked for every frame it stops, and flushed per camera before close, with events open', async () => {
    const log: string[] = []
    const tracker = (): Stage => defineStage({
      name: 'tracker',
      process: (e) => { log.push(`process ${e.frame.cameraId}:${e.frame.seq}`); return undefined },
      tick: (ref, ctx) => { log.push(`tick ${ctx.cameraId}:${ref.seq}`) },
      flush: (ctx) => {
        log.push(`flush ${ctx.cameraId}`)
        ctx.emit({ type: 'motion', cameraId: ctx.cameraId, seq: 99, ptsUs: 0, score: 1, regions: [], zones: [] })
      },
      close: () => { log.push('close') },
    })
    const sources = [new TestSource('a', { frames: 4, value: (s) => (s === 1 ? 200 : 10) }), new TestSource('b', { frames: 2, value: () => 10 })]
    const run = Pipeline.from(sources).pipe(brightGate(100)).fanOut([tracker, toMotion()]).run()
    const events = await collect(run.events)
    expect(log.filter((l) => l.includes('a:') || l === 'flush a')).toEqual(['tick a:0', 'process a:1', 'tick a:2', 'tick a:3', 'flush a'])
    expect(log.filter((l) => l.includes('b'))).toEqual(['tick b:0', 'tick b:1', 'flush b'])
    // each camera's own stage is closed right after its flush
    expect(log.filter((l) => l.startsWith('flush') || l === 'close')).toEqual(['flush b', 'close', 'flush a', 'close'])
    expect(motions(events).filter((e) => e.seq === 99).map((e) => e.cameraId).sort()).toEqual(['a', 'b'])
    await run.completion
  })

  it('a camera whose stream breaks reports an error event; the other cameras keep running', async () => {
    const sources = [new TestSource('bad', { frames: 10, failAfter: 2 }), new TestSource('good', { frames: 6 })]
    const run = Pipeline.from(sources).pipe(toMotion()).run()
    const events = await collect(run.events)
    expect(events.find((e) => e.type === 'error')).toMatchObject({ cameraId: 'bad', stage: 'source', fatal: false, error: { message: 'stream of bad broke at frame 2' } })
    expect(motions(events, 'good')).toHaveLength(6)
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
    expect(motions(events)).toHaveLength(5)
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
    expect(summary).toMatchObject({ droppedTotal: 18, dropped: { 'events:events': { overflow: 18 } } })
    const events = await collect(run.events)
    // 20 motion + 2 source events; 4 kept, the rest reported in one dropped event first.
    expect(events[0]).toMatchObject({ type: 'dropped', stage: 'events:events', cameraId: 'cam', count: 18, reason: 'overflow' })
    expect(events.slice(1).map((e) => e.type)).toEqual(['motion', 'motion', 'motion', 'source'])
  })

  it('a file run whose events nobody reads still completes; the overflow is counted', async () => {
    const run = Pipeline.from(new TestSource('cam', { frames: 30 })).pipe(toMotion()).run({ events: { capacity: 8 } })
    const summary = await run.completion
    expect(summary).toMatchObject({ framesIn: 30, outputs: 30 })
    const events = await collect(run.events)
    expect(events[0]).toMatchObject({ type: 'dropped', stage: 'events:events', count: 24 })
    expect(events).toHaveLength(9)
  })

  it('two subscribers with different overflow policies each get every event or their own counted drops', async () => {
    const run = Pipeline.from(new TestSource('cam', { frames: 40, live: true, before: () => tick() })).pipe(toMotion()).run({ events: { capacity: 1000 } })
    const fast = run.subscribe({ name: 'fast', capacity: 1000 })
    const lossy = run.subscribe({ name: 'lossy', capacity: 3, overflow: 'drop-newest' })
    const oldest = run.subscribe({ name: 'oldest', capacity: 5, overflow: 'drop-oldest', filter: (e) => e.type === 'motion' })
    const summary = await run.completion
    const [all, few, latest] = await Promise.all([collect(fast), collect(lossy), collect(oldest)])
    expect(motions(all)).toHaveLength(40)
    // drop-newest kept the first three (a source event and motion 0, 1) and reported the rest
    expect(few[0]).toMatchObject({ type: 'dropped', stage: 'events:lossy', count: 39, reason: 'overflow' })
    expect(few.slice(1).map((e) => e.type === 'motion' ? e.seq : e.type)).toEqual(['source', 0, 1])
    // drop-oldest over motion events only: the last five, 35 dropped
    expect(latest[0]).toMatchObject({ type: 'dropped', stage: 'events:oldest', count: 35 })
    expect(motions(latest).map((e) => e.seq)).toEqual([35, 36, 37, 38, 39])
    expect(summary.subscribers.map((s) => [s.name, s.dropped])).toEqual([['events', 0], ['fast', 0], ['lossy', 39], ['oldest', 35]])
    expect(summary.dropped).toMatchObject({ 'events:lossy': { overflow: 39 }, 'events:oldest': { overflow: 35 } })
  })

  it('a worker runner that fails outside a job rejects completion, after a fatal error event (no hang)', async () => {
    const broken = { name: 'broken', needsDrain: false, whenFree: () => Promise.reject(new Error('runner broke')), tryRun: () => undefined }
    const stage = workerStage({ name: 'model', pool: broken, prepare: (e) => ({ job: e.frame.seq }) })
    const run = Pipeline.from(new TestSource('cam', { frames: 5 })).pipe(stage).run()
    const events = await collect(run.events)
    await expect(run.completion).rejects.toThrow('runner broke')
    const fatal = events.filter((e) => e.type === 'error')
    expect(fatal).toMatchObject([{ stage: 'model', fatal: true, error: { message: 'runner broke' } }])
    expect('cameraId' in fatal[0]!).toBe(false) // concerns the run, not a camera
    await expect(run.close()).rejects.toThrow('runner broke')
  })

  it('a stage factory that fails at creation rejects completion with its error', async () => {
    const run = Pipeline.from(new TestSource('cam', { frames: 5 })).pipe(async () => { throw new Error('model file missing') }).run()
    await expect(run.completion).rejects.toThrow('model file missing')
    expect((await collect(run.events)).find((e) => e.type === 'error')).toMatchObject({ fatal: true, stage: 'camera cam' })
  })

  it('cameras added and removed during a run start and stop without touching the others', async () => {
    let closedStages = 0
    const perCamera = (): Stage => defineStage({ name: 'motion', process: (e, ctx) => { ctx.emit({ type: 'motion', cameraId: ctx.cameraId, seq: e.frame.seq, ptsUs: 0, score: 0, regions: [], zones: [] }); return e }, close: () => void closedStages++ })
    const paced = (id: string, frames: number) => new TestSource(id, { frames, live: true, before: () => sleep(1) })
    const steady = paced('steady', 300)
    const run = Pipeline.from([steady]).pipe(perCamera).run({ keepOpen: true })
    const events: OkoEvent[] = []
    const reading = (async () => { for await (const e of run.events) events.push(e) })()
    await sleep(30)
    const guest = paced('guest', 1_000_000)
    await run.addCamera(guest)
    expect(run.cameraIds()).toEqual(['steady', 'guest'])
    await expect(run.addCamera(paced('guest', 1))).rejects.toThrow('camera "guest" is already in the run')
    await sleep(60)
    await run.removeCamera('guest')
    expect(run.cameraIds()).toEqual(['steady'])
    expect(closedStages).toBe(1) // the guest's own stage, not the steady camera's
    const guestFrames = guest.delivered
    expect(guestFrames).toBeGreaterThan(0)
    await sleep(20)
    expect(guest.delivered).toBe(guestFrames) // it reads no more
    // a camera that joins later with the same id starts afresh
    await run.addCamera(new TestSource('guest', { frames: 3 }))
    await sleep(50)
    const summary = await run.close()
    await reading
    // every frame of the steady camera went through, in order, whatever the others did
    const steadySeqs = motions(events, 'steady').map((e) => e.seq)
    expect(steadySeqs).toEqual([...Array(steadySeqs.length).keys()])
    expect(motions(events, 'guest').map((e) => e.seq).slice(-3)).toEqual([0, 1, 2])
    expect(summary.framesIn).toBe(steady.delivered + guestFrames + 3)
    expect(closedStages).toBe(3)
  })

  it('a keepOpen run with no camera waits for cameras until it is closed', async () => {
    const run = Pipeline.from([]).pipe(toMotion()).run({ keepOpen: true })
    let done = false
    void run.completion.then(() => (done = true))
    await sleep(20)
    expect(done).toBe(false)
    await run.addCamera(new TestSource('late', { frames: 4 }))
    await sleep(20)
    expect(done).toBe(false) // its camera ended; the run is still open for more
    const summary = await run.close()
    expect(summary.framesIn).toBe(4)
    expect(motions(await collect(run.events))).toHaveLength(4)
  })

  it('validates the builder input with the path and the fix', async () => {
    const source = new TestSource('cam', { frames: 1 })
    expect(() => Pipeline.from([source, new TestSource('cam', { frames: 1 })])).toThrow('sources[1].cameraId: duplicate camera id "cam"')
    expect(() => Pipeline.from(source).pipe({ name: 'x' } as unknown as Stage)).toThrow(/^stage: expected a Stage/)
    expect(() => Pipeline.from(source).run({ events: { overflow: 'drop' as 'block' } })).toThrow('options.events.overflow: expected one of "block", "drop-oldest", "drop-newest"')
    const run = Pipeline.from(source).run()
    await expect(run.removeCamera('nope')).rejects.toThrow('cameraId: no camera "nope" in this run; it has "cam"')
    await run.completion
    await expect(run.addCamera(new TestSource('x', { frames: 1 }))).rejects.toThrow('the run is stopping')
  })
})
