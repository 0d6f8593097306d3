import type { SerializedError } from '@oko/core'

/** Main thread → worker. `returns` lists the transferred buffers the worker hands back. */
export type JobEnvelope<Job> =
  | { readonly kind: 'job'; readonly job: Job; readonly returns: readonly ArrayBuffer[] }
  | { readonly kind: 'ready' }

/** Worker → main thread. A handler that throws gives `ok: false`; a thread that dies gives no reply. */
export type ReplyEnvelope<Reply> =
  | { readonly ok: true; readonly reply: Reply; readonly returns: readonly ArrayBuffer[] }
  | { readonly ok: false; readonly error: SerializedError; readonly stage: 'init' | 'job'; readonly returns: readonly ArrayBuffer[] }

/** A job handler made once per thread by the worker's init function. */
export type JobHandler<Job, Reply> = (job: Job) => Reply | Promise<Reply>

/**
 * The default export of a worker module, made by `defineWorker`. Its type parameters carry the
 * init, job and reply types to `InferencePool.create<typeof import('./worker.js').default>()`.
 */
export interface WorkerDefinition<Init, Job, Reply> {
  (envelope: JobEnvelope<Job>): Promise<unknown>
  /** Type-level only: never set at run time. */
  readonly __okoWorker?: { readonly init: Init; readonly job: Job; readonly reply: Reply }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyWorker = WorkerDefinition<any, any, any>
type TypesOf<W> = W extends { readonly __okoWorker?: infer T } ? NonNullable<T> : never
export type InitOf<W> = TypesOf<W> extends { readonly init: infer I } ? I : never
export type JobOf<W> = TypesOf<W> extends { readonly job: infer J } ? J : never
export type ReplyOf<W> = TypesOf<W> extends { readonly reply: infer R } ? R : never

/** What InferencePool passes to piscina as workerData. */
export interface PoolWorkerData<Init> {
  readonly init: Init
}
