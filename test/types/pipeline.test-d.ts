import type { Envelope, OkoEvent, Stage } from '@oko/core'
import { defineStage } from '@oko/core'
import { InferencePool, PASS, Pipeline, workerStage } from '@oko/pipeline'
import type { PipelineRun, RunSummary, Subscription, WorkerStage } from '@oko/pipeline'
import { defineWorker } from '@oko/pipeline/worker'
import type { FrameMessage } from '@oko/pipeline/worker'
import { describe, expectTypeOf, it } from 'vitest'

declare const source: Parameters<typeof Pipeline.from>[0]

const worker = defineWorker<{ model: string }, { frame: FrameMessage }, { boxes: number[] }>(async () => () => ({ boxes: [] }))

describe('@oko/pipeline types', () => {
  it('every stage takes and gives the envelope; factories and worker stages count as stages', () => {
    const gate = defineStage({ name: 'gate', process: (e) => e })
    expectTypeOf(gate).toEqualTypeOf<Stage>()
    expectTypeOf<Stage['process']>().parameter(0).toEqualTypeOf<Envelope>()
    expectTypeOf(Pipeline.from(source).pipe(gate).pipe(() => gate).fanOut([gate, async () => gate])).toEqualTypeOf<Pipeline>()
    // @ts-expect-error a stage gives an envelope (or undefined), not any value
    defineStage({ name: 'bad', process: () => 3 })
  })

  it('the worker module type gives init, job and reply types to the pool and the stage', async () => {
    const pool = await InferencePool.create<typeof worker>({ worker: new URL('file:///w.js'), init: { model: 'x' } })
    // @ts-expect-error init must match the worker's Init
    await InferencePool.create<typeof worker>({ worker: new URL('file:///w.js'), init: { modle: 'x' } })
    expectTypeOf(pool.run).parameter(0).toEqualTypeOf<{ frame: FrameMessage }>()
    expectTypeOf(pool.run).returns.resolves.toEqualTypeOf<{ boxes: number[] }>()
    const stage = workerStage<typeof worker>({
      name: 'boxes',
      pool,
      prepare: (envelope, tools) => (envelope.motion ? { job: { frame: tools.own(envelope, envelope.motion.regions) } } : PASS),
      finish: (reply, envelope) => {
        expectTypeOf(reply).toEqualTypeOf<{ boxes: number[] }>()
        return envelope
      },
    })
    expectTypeOf(stage).toEqualTypeOf<WorkerStage>()
    // @ts-expect-error the job must be the worker's Job
    workerStage<typeof worker>({ name: 'bad', pool, prepare: () => ({ job: { frames: 1 } }) })
  })

  it('a run has events for every subscriber, completion, stats, and cameras that come and go', () => {
    const run = Pipeline.from(source).run()
    expectTypeOf(run).toEqualTypeOf<PipelineRun>()
    expectTypeOf(run.events).toEqualTypeOf<Subscription>()
    expectTypeOf(run.events).toMatchTypeOf<AsyncIterable<OkoEvent>>()
    expectTypeOf(run.subscribe).returns.toEqualTypeOf<Subscription>()
    expectTypeOf(run.completion).toEqualTypeOf<Promise<RunSummary>>()
    expectTypeOf(run.addCamera).returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf(run.removeCamera).returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf(run.stats().cameras).toMatchTypeOf<Readonly<Record<string, { framesIn: number; inferred: number }>>>()
    expectTypeOf(run.stats().stages).toMatchTypeOf<Readonly<Record<string, { items: number; latency: { p99Ms: number } }>>>()
    expectTypeOf(run).toMatchTypeOf<AsyncDisposable>()
  })
})
