import type { Envelope, StageContext } from '@oko/core'
import { defineStage } from '@oko/core'
import { FramePool, InferencePool, Pipeline, PASS, workerStage } from '@oko/pipeline'
import { describe, expect, it } from 'vitest'
import type EchoWorker from '../fixtures/workers/echo.mjs'
import { TestSource, collect } from '../unit/pipeline-helpers.js'

// Workers load @oko/pipeline/worker from dist/: `pnpm --filter @oko/pipeline build` first.
const echoUrl = new URL('../fixtures/workers/echo.mjs', import.meta.url)
type Echo = typeof EchoWorker

/** Jobs on odd frames, each spinning a different time (0–6 ms); even frames PASS. */
function everyOtherFrame(pool: InferencePool<Echo>) {
  return workerStage<Echo>({
    name: 'odd',
    pool,
    prepare: (envelope, tools) => (envelope.frame.seq % 2 === 0 ? PASS : { job: { frame: tools.own(envelope, [{ x: 0, y: 0, width: 4, height: 2 }]), spin: (envelope.frame.seq * 5) % 7 } }),
  })
}

/** Reads a 4×2 region of each frame (of the odd ones only with `odd`) and records its first luma byte. */
function regionReader(pool: InferencePool<Echo>, read: [number, number][], options: { odd?: boolean; readsPixels?: (envelope: Envelope) => boolean } = {}) {
  return workerStage<Echo>({
    name: 'reader',
    pool,
    ...(options.readsPixels ? { readsPixels: options.readsPixels } : {}),
    prepare: (envelope, tools) => (options.odd && envelope.frame.seq % 2 === 0 ? PASS : { job: { frame: tools.own(envelope, [{ x: 0, y: 0, width: 4, height: 2 }]) } }),
    finish: (reply, envelope) => {
      read.push([envelope.frame.seq, reply.first])
      return envelope
    },
  })
}

/** Records the seq of every envelope it sees, per camera, and the first luma byte a worker read of it. */
function recorder(seen: Map<string, number[]>) {
  return defineStage({
    name: 'recorder',
    process: (envelope: Envelope, ctx: StageContext) => {
      let list = seen.get(ctx.cameraId)
      if (!list) seen.set(ctx.cameraId, (list = []))
      list.push(envelope.frame.seq)
      return envelope
    },
  })
}

/**
 * 40 frames of one camera (luma 100 + seq) through the odd stage, then `after`, then a recorder,
 * in `frames`: the run loses nothing and every frame reaches the recorder in order.
 */
async function oddThen(pool: InferencePool<Echo>, after: ReturnType<typeof regionReader>, frames: FramePool): Promise<void> {
  const seen = new Map<string, number[]>()
  const run = Pipeline.from(new TestSource('cam', { frames: 40, value: (s) => 100 + s })).pipe(everyOtherFrame(pool)).pipe(after).pipe(recorder(seen)).run({ frames })
  await collect(run.events)
  const summary = await run.completion
  expect(summary).toMatchObject({ framesIn: 40, outputs: 40, droppedTotal: 0, errors: 0 })
  expect(seen.get('cam')).toEqual(Array.from({ length: 40 }, (_, i) => i))
}

describe('a worker stage hands a camera\'s frames on in the order they entered it', () => {
  it('frames it PASSes wait behind the camera\'s running jobs: the next stage sees seq strictly increasing per camera, nothing lost', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 2, init: {} })
    try {
      const seen = new Map<string, number[]>()
      const sources = ['a', 'b'].map((id) => new TestSource(id, { frames: 60 }))
      const run = Pipeline.from(sources).pipe(everyOtherFrame(pool)).pipe(recorder(seen)).run()
      await collect(run.events)
      const summary = await run.completion
      expect(summary).toMatchObject({ framesIn: 120, inferred: 60, outputs: 120, droppedTotal: 0, errors: 0 })
      for (const id of ['a', 'b']) expect(seen.get(id)).toEqual(Array.from({ length: 60 }, (_, i) => i))
    } finally {
      await pool.close()
    }
  })

  it('a tick (a frame gated before the stage) does not overtake the frames before it, PASSed or sent', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 2, init: {} })
    try {
      const order: number[] = []
      const gate = defineStage({ name: 'gate', process: (e) => (e.frame.seq % 5 === 4 ? undefined : e) })
      const after = defineStage({ name: 'after', process: (e) => { order.push(e.frame.seq); return e }, tick: (f) => { order.push(f.seq) } })
      const run = Pipeline.from(new TestSource('cam', { frames: 60 })).pipe(gate).pipe(everyOtherFrame(pool)).pipe(after).run()
      await collect(run.events)
      await run.completion
      // only the newest held tick is kept: some gated frames may be missing, none out of order
      for (let k = 1; k < order.length; k++) expect(order[k]).toBeGreaterThan(order[k - 1]!)
      expect(order.filter((s) => s % 5 !== 4)).toHaveLength(48)
    } finally {
      await pool.close()
    }
  })

  it('a PASSed frame that waited keeps its own pixels for a worker stage after it (the source reuses one buffer), copied once', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 2, init: {} })
    try {
      const frames = new FramePool()
      const read: [number, number][] = []
      await oddThen(pool, regionReader(pool, read), frames)
      expect(read).toEqual(Array.from({ length: 40 }, (_, i) => [i, 100 + i]))
      // one materialise per frame: the odd stage's region, or the whole of a PASSed frame that waited, or the reader's region of one that did not
      expect(frames.stats()).toMatchObject({ copies: 40, live: 0 })
    } finally {
      await pool.close()
    }
  })

  it('a PASSed frame that waited is not copied when every later stage says it will not read it (readsPixels), and those stages still see it', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 2, init: {} })
    try {
      const frames = new FramePool()
      const read: [number, number][] = []
      const asked: number[] = []
      // reads only the frames the odd stage sent (those it owned a region of): a PASSed one has nothing for it
      await oddThen(pool, regionReader(pool, read, { odd: true, readsPixels: (envelope) => { asked.push(envelope.frame.seq); return envelope.frame.seq % 2 === 1 } }), frames)
      expect(read).toEqual(Array.from({ length: 20 }, (_, k) => [2 * k + 1, 101 + 2 * k]))
      // only the odd stage's regions are copied; the reader was asked about PASSed (even) frames only
      expect(frames.stats()).toMatchObject({ copies: 20, live: 0 })
      expect(asked.length).toBeGreaterThan(0)
      expect(asked.every((s) => s % 2 === 0)).toBe(true)
    } finally {
      await pool.close()
    }
  })

  it('an inline stage that says it reads pixels (readsPixels) gets the pixels of frames PASSed behind the queue', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 2, init: {} })
    try {
      const firstBytes: [number, number][] = []
      // a traffic light's lamp, read on every frame: the even frames were PASSed by the odd stage
      const lamp = defineStage({
        name: 'lamp',
        readsPixels: () => true,
        process: (e) => { if (e.frame.seq % 2 === 0) firstBytes.push([e.frame.seq, e.frame.planes[0]![0]!]); return e },
      })
      const run = Pipeline.from(new TestSource('cam', { frames: 40, value: (s) => 100 + s })).pipe(everyOtherFrame(pool)).pipe(lamp).run()
      await collect(run.events)
      const summary = await run.completion
      expect(summary).toMatchObject({ framesIn: 40, outputs: 40, droppedTotal: 0, errors: 0 })
      expect(firstBytes).toEqual(Array.from({ length: 20 }, (_, k) => [2 * k, 100 + 2 * k]))
    } finally {
      await pool.close()
    }
  })

  it('a frame PASSed while none of its camera\'s frames is at the stage goes on at once: still borrowed, never copied or queued', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 1, init: {} })
    try {
      const frames = new FramePool()
      const firstBytes: [number, number][] = []
      const never = workerStage<Echo>({ name: 'never', pool, prepare: () => PASS })
      // reads the pixels without declaring wholeFrame: only a frame still borrowed in the decode loop has them
      const peek = defineStage({ name: 'peek', process: (e) => { firstBytes.push([e.frame.seq, e.frame.planes[0]![0]!]); return e } })
      const run = Pipeline.from(new TestSource('cam', { frames: 20, value: (s) => 50 + s })).pipe(never).pipe(peek).run({ frames })
      await collect(run.events)
      const summary = await run.completion
      expect(summary).toMatchObject({ framesIn: 20, inferred: 0, outputs: 20, droppedTotal: 0, errors: 0 })
      expect(firstBytes).toEqual(Array.from({ length: 20 }, (_, i) => [i, 50 + i]))
      expect(frames.stats()).toMatchObject({ copies: 0, transfers: 0 })
    } finally {
      await pool.close()
    }
  })

  it('a live camera\'s PASSed frames that overflow the edge are dropped and counted; what goes on stays in order', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 1, init: {} })
    try {
      const seen = new Map<string, number[]>()
      const slow = workerStage<Echo>({
        name: 'slow',
        pool,
        edge: { capacity: 2 },
        maxInFlightPerCamera: 1,
        prepare: (envelope, tools) => (envelope.frame.seq % 4 === 0 ? { job: { frame: tools.own(envelope), spin: 20 } } : PASS),
      })
      const run = Pipeline.from(new TestSource('cam', { frames: 80, live: true })).pipe(slow).pipe(recorder(seen)).run()
      await collect(run.events)
      const summary = await run.completion
      const out = seen.get('cam') ?? []
      for (let k = 1; k < out.length; k++) expect(out[k]).toBeGreaterThan(out[k - 1]!)
      expect(summary.framesIn).toBe(80)
      expect(summary.outputs + summary.droppedTotal).toBe(80)
      expect(summary.droppedTotal).toBeGreaterThan(0)
      expect(summary.dropped.slow?.overflow ?? 0).toBe(summary.droppedTotal)
    } finally {
      await pool.close()
    }
  })
})
