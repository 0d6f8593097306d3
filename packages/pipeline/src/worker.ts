import { serializeError } from '@oko/core'
import { isWorkerThread, move, transferableSymbol, valueSymbol, workerData } from 'piscina'
import type { JobEnvelope, JobHandler, PoolWorkerData, ReplyEnvelope, WorkerDefinition } from './protocol.js'

export type { JobHandler, WorkerDefinition } from './protocol.js'
export { frameFromMessage } from './frame-message.js'
export type { FrameMessage, PlaneLayout } from './frame-message.js'

/**
 * Defines a worker module for `InferencePool`:
 *
 * ```ts
 * export default defineWorker<{ model: string }, { frame: FrameMessage }, { boxes: Box[] }>(
 *   async (init) => { const model = await load(init.model); return (job) => model.run(job) })
 * ```
 *
 * `init` runs once per thread, as soon as the thread starts (models load per thread). The job
 * handler's errors come back as `ERR_WORKER_TASK` replies (the run continues); buffers the job
 * carried in its transfer list go back to the main thread's FramePool (moved, not copied). A reply
 * must not hold views of those buffers: copy what you return.
 */
export function defineWorker<Init, Job, Reply>(
  init: (init: Init) => JobHandler<Job, Reply> | Promise<JobHandler<Job, Reply>>,
): WorkerDefinition<Init, Job, Reply> {
  // Per thread (this closure), not module state: started once when the worker loads the module.
  let ready: Promise<JobHandler<Job, Reply>> | undefined
  const start = () => (ready ??= Promise.resolve().then(() => init((workerData as PoolWorkerData<Init>).init)))
  if (isWorkerThread) start().catch(() => {})

  const definition = async (envelope: JobEnvelope<Job>): Promise<unknown> => {
    const returns = envelope.kind === 'job' ? envelope.returns : []
    let handler: JobHandler<Job, Reply>
    try {
      handler = await start()
    } catch (error) {
      return reply({ ok: false, error: serializeError(error), stage: 'init', returns: live(returns) })
    }
    if (envelope.kind === 'ready') return reply({ ok: true, reply: undefined as Reply, returns: [] })
    try {
      const result = await handler(envelope.job)
      return reply({ ok: true, reply: result, returns: live(returns) })
    } catch (error) {
      return reply({ ok: false, error: serializeError(error), stage: 'job', returns: live(returns) })
    }
  }
  return definition
}

/** Buffers still attached here (a handler may have transferred one elsewhere). */
function live(buffers: readonly ArrayBuffer[]): ArrayBuffer[] {
  return buffers.filter((b) => b.byteLength > 0)
}

/** Wraps the reply so piscina moves the returned buffers instead of copying them. */
function reply<Reply>(envelope: ReplyEnvelope<Reply>): unknown {
  if (envelope.returns.length === 0) return envelope
  return move({
    get [transferableSymbol]() { return envelope.returns },
    get [valueSymbol]() { return envelope },
  } as unknown as ArrayBuffer)
}
