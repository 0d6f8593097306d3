import type { Envelope, Frame, MotionEvent, OkoEvent, Rect, StageContext } from '@oko/core'
import { defineStage, pixelsAt } from '@oko/core'
import { FramePool, InferencePool, Pipeline, PASS, workerStage, type PipelineRun } from '@oko/pipeline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type EchoWorker from '../fixtures/workers/echo.mjs'
import { TestSource, brightGate, collect, tick } from '../unit/pipeline-helpers.js'
import { EventEncoder as Encoder } from '@oko/sinks'
import { parseDeployment, runDeployment, type StageRegistry } from '@oko/deploy'
import { bytesSink } from '../helpers/events.js'

// Workers load @oko/pipeline/worker from dist/: `pnpm --filter @oko/pipeline build` first.
const echoUrl = new URL('../fixtures/workers/echo.mjs', import.meta.url)
type Echo = typeof EchoWorker

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 1))
}

function latch(): { buffer: SharedArrayBuffer; open(): void } {
  const buffer = new SharedArrayBuffer(4)
  return { buffer, open: () => { Atomics.store(new Int32Array(buffer), 0, 1); Atomics.notify(new Int32Array(buffer), 0) } }
}

describe('InferencePool', () => {
  let pool: InferencePool<Echo>
  beforeAll(async () => {
    pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 2, init: { add: 100 }, name: 'echo' })
  })
  afterAll(() => pool.close())

  it('runs jobs with the per-thread init, loaded once per thread', async () => {
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => pool.run({ value: i })))
    expect(replies.map((r) => r.value)).toEqual([100, 101, 102, 103, 104, 105, 106, 107])
    expect(new Set(replies.map((r) => r.loads))).toEqual(new Set([1]))
    expect(pool.stats()).toMatchObject({ threads: 2, active: 0, completed: 8, failed: 0, crashed: 0 })
  })

  it('shares an owned frame\'s memory with the worker (no copy); released, the memory is reused', async () => {
    const frames = new FramePool()
    const y = new Uint8Array(1280 * 720).fill(42)
    const frame: Frame = { cameraId: 'cam', seq: 3, ptsUs: 0, wallMs: 0, width: 1280, height: 720, format: 'gray8', planes: [y], strides: [1280] }
    const owned = frames.own(frame)
    const reply = await pool.run({ frame: owned.message() })
    expect(reply).toMatchObject({ first: 42, bytes: 2 ** 20, seq: 3, cameraId: 'cam' }) // its size class
    owned.release()
    expect(frames.stats()).toMatchObject({ allocated: 1, copies: 1, transfers: 1, returned: 1, free: 1, live: 0 })
    expect(() => owned.planes).toThrow(/ERR_CLOSED|back in the pool/)
    frames.own(frame)
    expect(frames.stats()).toMatchObject({ allocated: 1, reused: 1, live: 1 })
  })

  it('a job that throws rejects with ERR_WORKER_TASK and the thread keeps serving', async () => {
    await expect(pool.run({ value: 1, fail: true })).rejects.toMatchObject({ code: 'ERR_WORKER_TASK', cause: { message: 'job 1 failed on purpose', code: 'ERR_DATA' } })
    expect((await pool.run({ value: 2 })).value).toBe(102)
  })

  it('a thread that dies rejects its job with ERR_WORKER_CRASHED and is replaced', async () => {
    const before = await Promise.all([pool.run({ spin: 20 }), pool.run({ spin: 20 })])
    await expect(pool.run({ exit: 7 })).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED', message: expect.stringContaining('exited with code: 7') })
    const after = await Promise.all(Array.from({ length: 4 }, () => pool.run({ spin: 5 })))
    expect(after.every((r) => r.value === 100)).toBe(true)
    const threads = new Set(after.map((r) => r.threadId))
    expect([...threads].some((t) => !before.some((b) => b.threadId === t))).toBe(true)
    expect(pool.stats().crashed).toBe(1)
  })

  it('an init that throws makes create() reject with ERR_MODEL', async () => {
    await expect(InferencePool.create({ worker: new URL('../fixtures/workers/bad-init.mjs', import.meta.url), init: { model: 'x.onnx' } }))
      .rejects.toMatchObject({ code: 'ERR_MODEL', message: expect.stringContaining('cannot load model x.onnx') })
  })

  it('close({ timeoutMs }) ends a thread that does not stop (its job fails), instead of waiting for ever', async () => {
    const stuck = await InferencePool.create<Echo>({ worker: echoUrl, threads: 1, init: {} })
    const never = latch() // never opened: the job blocks its thread
    const job = stuck.run({ latch: never.buffer })
    job.catch(() => undefined)
    await until(() => stuck.stats().active === 1)
    const t0 = Date.now()
    await stuck.close({ timeoutMs: 200 })
    expect(Date.now() - t0).toBeLessThan(5000)
    await expect(job).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED' })
    await expect(stuck.run({ value: 1 })).rejects.toMatchObject({ code: 'ERR_CLOSED' })
  })

  it('validates options', async () => {
    await expect(InferencePool.create({ worker: echoUrl, threads: 0, init: {} } as never)).rejects.toThrow('options.threads: expected an integer in [1, 256], received 0 (number)')
    await expect(InferencePool.create({ worker: new URL('https://x/w.js'), init: {} } as never)).rejects.toThrow('options.worker: expected a file: URL')
  })
})

/** Emits what the worker saw as a motion event (score: the first luma byte it read). */
const emitReply = (r: { seq: number; cameraId: string; first: number }, envelope: Envelope, ctx: StageContext): Envelope => {
  ctx.emit({ type: 'motion', cameraId: r.cameraId, seq: r.seq, ptsUs: 0, score: r.first, regions: [], zones: [] })
  return envelope
}

function echoStage(pool: InferencePool<Echo>, extra: (frame: Frame) => object = () => ({}), edge = {}, maxInFlightPerCamera?: number) {
  return workerStage<Echo>({
    name: 'echo',
    pool,
    edge,
    ...(maxInFlightPerCamera ? { maxInFlightPerCamera } : {}),
    prepare: (envelope, tools) => ({ job: { frame: tools.own(envelope), ...extra(envelope.frame) } }),
    finish: emitReply,
  })
}

describe('Pipeline with a worker pool', () => {
  it('gates on the decode thread, materializes once, transfers, and gets every reply (file: block, no drops)', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 2, init: {} })
    try {
      const frames = new FramePool()
      const source = new TestSource('cam', { frames: 40, value: (s) => (s % 2 === 0 ? 200 + (s % 50) : 0) })
      const run = Pipeline.from(source).pipe(brightGate(100)).pipe(echoStage(pool, () => ({}), { capacity: 2 })).run({ frames })
      const events = await collect(run.events)
      const summary = await run.completion
      const motion = events.filter((e): e is MotionEvent => e.type === 'motion')
      // Each reply saw its own frame's pixels although the source reuses one buffer.
      expect(motion.map((e) => [e.seq, e.score]).sort((a, b) => a[0]! - b[0]!)).toEqual(
        Array.from({ length: 20 }, (_, i) => [i * 2, 200 + ((i * 2) % 50)]))
      expect(summary).toMatchObject({ framesIn: 40, gated: 20, inferred: 20, outputs: 20, droppedTotal: 0, errors: 0, queued: 0, inFlight: 0 })
      expect(frames.stats()).toMatchObject({ copies: 20, transfers: 20, returned: 20, live: 0 })
      // Memory stays bounded: owned frames never exceed edge capacity + the camera's in-flight window (4) + the one being prepared.
      expect(frames.stats().allocated).toBeLessThanOrEqual(2 + 4 + 1)
    } finally {
      await pool.close()
    }
  })

  it('a job that throws and a thread that dies become error events; the run continues', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 1, init: {} })
    try {
      const stage = echoStage(pool, (f) => (f.seq === 3 ? { fail: true } : f.seq === 6 ? { exit: 1 } : {}))
      const run = Pipeline.from(new TestSource('cam', { frames: 10 })).pipe(stage).run()
      const events = await collect(run.events)
      const errors = events.filter((e) => e.type === 'error')
      expect(errors.map((e) => [e.seq, e.error.code, e.fatal])).toEqual([
        [3, 'ERR_WORKER_TASK', false],
        [6, 'ERR_WORKER_CRASHED', false],
      ])
      expect(events.filter((e): e is MotionEvent => e.type === 'motion').map((e) => e.seq)).toEqual([0, 1, 2, 4, 5, 7, 8, 9])
      expect(await run.completion).toMatchObject({ framesIn: 10, inferred: 8, errors: 2, outputs: 8 })
      expect(pool.stats()).toMatchObject({ crashed: 1, failed: 1, completed: 8 })
    } finally {
      await pool.close()
    }
  })

  it('live camera, stages slower than the camera: drop-oldest keeps the newest, counts and reports every drop', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 1, init: {} })
    try {
      const gate = latch()
      let run!: PipelineRun
      // Frame 1 comes once frame 0 is running on the (blocked) thread.
      const source = new TestSource('cam', { frames: 10, live: true, before: (seq) => (seq === 1 ? until(() => run.stats().inFlight === 1) : undefined) })
      run = Pipeline.from(source).pipe(echoStage(pool, () => ({ latch: gate.buffer }), { capacity: 2 })).run({ events: { capacity: 100 } })
      await until(() => run.stats().framesIn === 10)
      gate.open()
      const events = await collect(run.events)
      const summary = await run.completion
      expect(events.filter((e): e is MotionEvent => e.type === 'motion').map((e) => e.seq)).toEqual([0, 8, 9])
      expect(events.filter((e) => e.type === 'dropped')).toEqual([expect.objectContaining({ cameraId: 'cam', stage: 'echo', count: 7, reason: 'overflow', seq: 7 })])
      expect(summary).toMatchObject({ framesIn: 10, inferred: 3, dropped: { echo: { overflow: 7 } }, droppedTotal: 7 })
    } finally {
      await pool.close()
    }
  })

  it('maxAgeMs drops stale items as they leave the edge', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 1, init: {} })
    try {
      const gate = latch()
      let run!: PipelineRun
      const source = new TestSource('cam', { frames: 4, before: (seq) => (seq === 1 ? until(() => run.stats().inFlight === 1) : undefined) })
      run = Pipeline.from(source).pipe(echoStage(pool, () => ({ latch: gate.buffer }), { capacity: 4, maxAgeMs: 5 })).run()
      await until(() => run.stats().framesIn === 4)
      await new Promise((resolve) => setTimeout(resolve, 30))
      gate.open()
      const events = await collect(run.events)
      expect(events.filter((e): e is MotionEvent => e.type === 'motion').map((e) => e.seq)).toEqual([0])
      expect(events.filter((e) => e.type === 'dropped')).toEqual([expect.objectContaining({ stage: 'echo', count: 3, reason: 'stale' })])
      expect(await run.completion).toMatchObject({ inferred: 1, dropped: { echo: { stale: 3 } } })
    } finally {
      await pool.close()
    }
  })

  it('abort drops queued work, lets the running job finish (its result is delivered), and never kills the thread', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 1, init: {} })
    try {
      const gate = latch()
      const controller = new AbortController()
      let run!: PipelineRun
      const source = new TestSource('cam', { frames: 1000, before: (seq) => (seq === 1 ? until(() => run.stats().inFlight === 1) : seq === 3 ? controller.abort() : undefined) })
      run = Pipeline.from(source).pipe(echoStage(pool, () => ({ latch: gate.buffer }), { capacity: 4 })).run({ signal: controller.signal })
      const eventsDone = collect(run.events)
      await until(() => controller.signal.aborted)
      let settled = false
      void run.completion.then(() => (settled = true))
      await tick()
      expect(settled).toBe(false) // the running job is still on the thread
      const threadBefore = pool.stats()
      gate.open()
      const summary = await run.completion
      const events = await eventsDone
      // the running job's result still goes through (its stages run; a plate read is not thrown away)
      expect(summary).toMatchObject({ aborted: true, framesIn: 3, inferred: 1, outputs: 1, dropped: { echo: { aborted: 2 } } })
      expect(events.filter((e) => e.type === 'dropped')).toEqual([expect.objectContaining({ stage: 'echo', count: 2, reason: 'aborted' })])
      expect(threadBefore.crashed).toBe(0)
      expect((await pool.run({ value: 5 })).value).toBe(5)
      expect(pool.stats().crashed).toBe(0)
    } finally {
      await pool.close()
    }
  })

  it('shares one pool fairly: a slow camera is served while a fast camera floods its own edge', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 1, init: {} })
    try {
      let run!: PipelineRun
      let slowDone = false
      const inferred = (id: string) => run.stats().cameras[id]?.inferred ?? 0
      // The slow camera sends frame k only after frame k-1 came back: it would hang if starved.
      const slow = new TestSource('slow', { frames: 5, live: true, before: async (seq) => { if (seq > 0) await until(() => inferred('slow') >= seq) } })
      const fast = new TestSource('fast', { frames: 1_000_000, live: true, before: () => (slowDone ? Promise.reject(new Error('stop')) : tick()) })
      run = Pipeline.from([fast, slow]).pipe(echoStage(pool, () => ({ spin: 1 }), { capacity: 1 })).run({ events: { capacity: 100_000 } })
      await until(() => inferred('slow') === 5)
      slowDone = true
      const summary = await run.completion
      const s = summary.cameras.slow!
      const f = summary.cameras.fast!
      expect(s).toMatchObject({ framesIn: 5, inferred: 5, dropped: {} })
      expect(f.inferred + (f.dropped.echo?.overflow ?? 0)).toBe(f.framesIn)
      expect(f.inferred).toBeGreaterThanOrEqual(5)
    } finally {
      await pool.close()
    }
  })
})

describe('per-camera quota', () => {
  it('keeps one camera at its in-flight quota while another camera gets a free thread', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 2, init: {} })
    try {
      const gate = latch()
      let run!: PipelineRun
      const a = new TestSource('a', { frames: 3 })
      // b's only frame comes once a has one job running and two waiting (the quota holds them back).
      const b = new TestSource('b', { frames: 1, before: async () => { await tick(); await until(() => run.stats().queued === 2) } })
      run = Pipeline.from([a, b]).pipe(echoStage(pool, () => ({ latch: gate.buffer }), { capacity: 4 }, 1)).run()
      const eventsDone = collect(run.events)
      await until(() => run.stats().inFlight === 2)
      expect(run.stats()).toMatchObject({ queued: 2, inFlight: 2 })
      gate.open()
      const summary = await run.completion
      await eventsDone
      expect(summary.cameras.a).toMatchObject({ framesIn: 3, inferred: 3 })
      expect(summary.cameras.b).toMatchObject({ framesIn: 1, inferred: 1 })
    } finally {
      await pool.close()
    }
  })

  it('validates the quota', () => {
    const pool = { name: 'p', needsDrain: false, whenFree: async () => {}, tryRun: () => undefined } as never
    expect(() => workerStage({ name: 'x', pool, prepare: () => PASS, maxInFlightPerCamera: 0 })).toThrow('options.maxInFlightPerCamera: expected an integer in [1, 4096], received 0 (number)')
  })
})

describe('a deployment with a worker stage', () => {
  it('shares one pool between cameras (made once), runs it, and closes it at the end', async () => {
    let made = 0
    let pool: InferencePool<Echo> | undefined
    const registry: StageRegistry = {
      motion: { check: () => {}, create: () => brightGate(0) as never },
      echo: {
        check: () => {},
        create: async (_options, _camera, shared) => shared.once('echo', async () => {
          made++
          pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 2, init: { add: 1 } })
          return echoStage(pool) as never
        }, async () => pool!.close()),
      },
    }
    const config = parseDeployment('cameras:\n  - { id: a, url: a.mp4 }\n  - { id: b, url: b.mp4 }\nstages: [motion, echo]\n', { baseDir: '/x', registry })
    const chunks: Uint8Array[] = []
    const result = await runDeployment(config, { registry, openSource: async (c) => new TestSource(c.id, { frames: 6 }), stdout: bytesSink(chunks) })
    const events = Encoder.decode(Buffer.concat(chunks), 'jsonl')
    expect(made).toBe(1)
    expect(events.filter((e) => e.type === 'motion')).toHaveLength(12)
    expect(result.summary).toMatchObject({ framesIn: 12, inferred: 12 })
    await expect(pool!.run({ value: 1 })).rejects.toMatchObject({ code: 'ERR_CLOSED' })
  })
})

describe('a cascade of worker stages', () => {
  it('motion → detector → reader on its boxes → classifier on the same boxes: one materialise and one transfer per region', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 2, init: {} })
    try {
      const frames = new FramePool()
      const regions: Rect[] = [{ x: 0, y: 0, width: 16, height: 8 }, { x: 32, y: 16, width: 16, height: 16 }]
      const gate = defineStage({ name: 'motion', process: (e) => { e.motion = { score: 0.1, regions: regions.map((r) => ({ ...r, pixels: 10 })), zones: [] }; return e } })
      // the detector reads the moving regions and finds a car in each
      const detector = workerStage<Echo>({
        name: 'detector', pool,
        prepare: (e, tools) => ({ job: { frame: tools.own(e, e.motion!.regions) } }),
        finish: (reply, e) => {
          for (const r of regions) e.detections.push({ box: { x: r.x + 2, y: r.y + 2, width: 8, height: 4 }, label: 'car', score: reply.first / 255, seq: e.frame.seq, ptsUs: e.frame.ptsUs })
          return e
        },
      })
      // the reader reads the cars' boxes: inside what the detector's copy holds, so nothing is copied again
      const read: number[] = []
      const reader = workerStage<Echo>({
        name: 'reader', pool, maxInFlightPerCamera: 1,
        prepare: (e, tools) => (e.detections.length === 0 ? PASS : { job: { frame: tools.own(e, e.detections.map((d) => d.box)) } }),
        finish: (reply, e) => { read.push(reply.first); return e },
      })
      // the classifier looks at the same boxes, on the decode thread, in the same owned copy
      const classified: number[] = []
      const classifier = defineStage({ name: 'classifier', process: (e) => { for (const d of e.detections) classified.push(pixelsAt(e.frame, d.box).planes[0]![0]!); return e } })
      const source = new TestSource('cam', { frames: 10, width: 64, height: 32, value: (s) => s * 10 })
      const run = Pipeline.from(source).pipe(gate).pipe(detector).pipe(reader).pipe(classifier).run({ frames })
      await collect(run.events)
      const summary = await run.completion
      expect(summary).toMatchObject({ framesIn: 10, inferred: 20, outputs: 10, errors: 0, droppedTotal: 0 })
      // each stage saw the frame's own pixels, not the source's reused buffer
      expect(read).toEqual([...Array(10).keys()].map((s) => s * 10))
      expect(classified).toEqual([...Array(10).keys()].flatMap((s) => [s * 10, s * 10]))
      // the copy budget: two regions a frame, each materialised once and handed to the workers once
      expect(frames.stats()).toMatchObject({ copies: 20, transfers: 20, live: 0, returned: 10 })
    } finally {
      await pool.close()
    }
  })
})
