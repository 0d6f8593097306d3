import type { Frame, MotionEvent, OkoEvent, Stage } from '@oko/core'
import { InferencePool, Pipeline, workerStage } from '@oko/pipeline'
import type { PipelineRun, RunSummary } from '@oko/pipeline'
import { defineWorker } from '@oko/pipeline/worker'
import type { FrameMessage } from '@oko/pipeline/worker'
import { describe, expectTypeOf, it } from 'vitest'

declare const source: Parameters<typeof Pipeline.from>[0]
declare const toScore: Stage<Frame, number>
declare const toEvent: Stage<number, MotionEvent>

const worker = defineWorker<{ model: string }, { frame: FrameMessage }, { boxes: number[] }>(async () => () => ({ boxes: [] }))

describe('@oko/pipeline types', () => {
  it('pipe chains stage types', () => {
    const p = Pipeline.from(source).pipe(toScore).pipe(toEvent)
    expectTypeOf(p).toEqualTypeOf<Pipeline<MotionEvent>>()
    // @ts-expect-error a Stage<number, …> cannot follow frames
    Pipeline.from(source).pipe(toEvent)
  })

  it('fanOut gives the union of branch outputs; factories count as stages', () => {
    const toText: Stage<Frame, string> = { name: 't', process: () => 'x' }
    const p = Pipeline.from(source).fanOut([toScore, (_id: string) => toText])
    expectTypeOf(p).toEqualTypeOf<Pipeline<number | string>>()
  })

  it('the worker module type gives init, job and reply types to the pool and the stage', async () => {
    const pool = await InferencePool.create<typeof worker>({ worker: new URL('file:///w.js'), init: { model: 'x' } })
    // @ts-expect-error init must match the worker's Init
    await InferencePool.create<typeof worker>({ worker: new URL('file:///w.js'), init: { modle: 'x' } })
    expectTypeOf(pool.run).parameter(0).toEqualTypeOf<{ frame: FrameMessage }>()
    expectTypeOf(pool.run).returns.resolves.toEqualTypeOf<{ boxes: number[] }>()
    const stage = workerStage({
      name: 'boxes',
      pool,
      prepare: (frame: Frame, { frames }) => {
        const message = frames.copy(frame).transfer()
        return { job: { frame: message }, transfer: [message.buffer] }
      },
      finish: (reply) => reply.boxes.length,
    })
    expectTypeOf(Pipeline.from(source).pipe(stage)).toEqualTypeOf<Pipeline<number>>()
    const raw = workerStage({ name: 'raw', pool, prepare: (_f: Frame) => undefined })
    expectTypeOf(Pipeline.from(source).pipe(raw)).toEqualTypeOf<Pipeline<{ boxes: number[] }>>()
  })

  it('a run has typed events, completion and stats', () => {
    const run = Pipeline.from(source).run()
    expectTypeOf(run).toEqualTypeOf<PipelineRun>()
    expectTypeOf(run.events).toEqualTypeOf<AsyncIterable<OkoEvent>>()
    expectTypeOf(run.completion).toEqualTypeOf<Promise<RunSummary>>()
    expectTypeOf(run.stats().cameras).toMatchTypeOf<Readonly<Record<string, { framesIn: number; inferred: number }>>>()
    expectTypeOf(run).toMatchTypeOf<AsyncDisposable>()
  })
})
