import { fileURLToPath } from 'node:url'
import { InvalidOptionError, OkoError, checkKnownKeys, checkObject, checkString, deserializeError, optionalNumber } from '@oko/core'
import { Piscina } from 'piscina'
import type { AnyWorker, InitOf, JobEnvelope, JobOf, PoolWorkerData, ReplyEnvelope, ReplyOf } from './protocol.js'

export interface InferencePoolOptions<W extends AnyWorker> {
  /** The worker module (built JavaScript; worker threads cannot load .ts on Node 20). */
  readonly worker: URL | string
  /** Threads (one model instance each). Default 1. */
  readonly threads?: number
  /** Given to the worker's init function once per thread (structured-cloned). */
  readonly init: InitOf<W>
  /** Name used in events and stats. Default: the worker file name. */
  readonly name?: string
}

export interface PoolRunOptions {
  /** Buffers to transfer with the job (not copied). They come back through `recycle` when the worker is done. */
  readonly transfer?: readonly ArrayBuffer[]
  /** Receives each transferred buffer the worker hands back. */
  readonly recycle?: (buffer: ArrayBuffer) => void
}

export interface PoolCloseOptions {
  /** Threads still running a job after this long are terminated (their jobs fail with ERR_WORKER_CRASHED). Default 10000. */
  readonly timeoutMs?: number
}

export interface InferencePoolStats {
  readonly threads: number
  /** Jobs running on a thread now. */
  readonly active: number
  readonly completed: number
  /** Jobs whose handler threw (ERR_WORKER_TASK). */
  readonly failed: number
  /** Jobs lost to a thread that died (ERR_WORKER_CRASHED); piscina replaced the thread. */
  readonly crashed: number
}

/**
 * A pool of worker threads running one `defineWorker` module, on piscina. `run()` never lets
 * piscina queue: it waits for a free thread (needsDrain/drain), so backpressure stays with the
 * caller, where the overflow policy lives. A job that throws rejects with `ERR_WORKER_TASK`; a
 * thread that dies rejects its job with `ERR_WORKER_CRASHED` and is replaced.
 */
export class InferencePool<W extends AnyWorker> implements AsyncDisposable {
  readonly name: string
  readonly threads: number
  readonly #piscina: Piscina
  #active = 0
  #completed = 0
  #failed = 0
  #crashed = 0
  #waiters: (() => void)[] = []
  #closing: Promise<void> | undefined

  private constructor(piscina: Piscina, name: string, threads: number) {
    this.#piscina = piscina
    this.name = name
    this.threads = threads
    piscina.on('drain', () => this.#wake())
  }

  /** Starts the threads and waits until one has run its init (an init failure rejects with ERR_MODEL). */
  static async create<W extends AnyWorker>(options: InferencePoolOptions<W>): Promise<InferencePool<W>> {
    const o = checkObject('options', options)
    checkKnownKeys('options', o, ['worker', 'threads', 'init', 'name'])
    const filename = workerPath(o.worker)
    const threads = optionalNumber('options.threads', o.threads, 1, { min: 1, max: 256, integer: true })
    const name = o.name === undefined ? (filename.split('/').pop() ?? 'worker').replace(/\.[cm]?js$/, '') : checkString('options.name', o.name)
    const workerData: PoolWorkerData<InitOf<W>> = { init: options.init }
    const piscina = new Piscina({
      filename,
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: Infinity,
      workerData,
      execArgv: workerExecArgv(process.execArgv),
    })
    const pool = new InferencePool<W>(piscina, name, threads)
    let reply: ReplyEnvelope<unknown>
    try {
      reply = (await piscina.run({ kind: 'ready' } satisfies JobEnvelope<never>)) as ReplyEnvelope<unknown>
    } catch (error) {
      await piscina.destroy()
      throw new OkoError('ERR_MODEL', `pool ${name}: worker ${filename} failed to start: ${(error as Error).message}`, { cause: error })
    }
    if (!reply.ok) {
      await piscina.destroy()
      throw new OkoError('ERR_MODEL', `pool ${name}: worker init failed: ${reply.error.message}`, { cause: deserializeError(reply.error) })
    }
    return pool
  }

  /** true while every thread is busy: wait (`whenFree`) before taking more work. false once closing (jobs then fail with ERR_CLOSED). */
  get needsDrain(): boolean {
    if (this.#closing) return false
    return this.#active >= this.threads || this.#piscina.needsDrain
  }

  /** Resolves when a thread is free (or the pool is closing). */
  whenFree(): Promise<void> {
    if (!this.needsDrain || this.#closing) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** Runs one job on a free thread (waits for one first). */
  async run(job: JobOf<W>, options: PoolRunOptions = {}): Promise<ReplyOf<W>> {
    for (;;) {
      if (this.#closing) throw new OkoError('ERR_CLOSED', `pool ${this.name} is closed`)
      const pending = this.tryRun(job, options)
      if (pending) return pending
      await this.whenFree()
    }
  }

  /** Runs the job if a thread is free now; `undefined` (nothing sent) while `needsDrain`. */
  tryRun(job: JobOf<W>, options: PoolRunOptions = {}): Promise<ReplyOf<W>> | undefined {
    if (this.needsDrain || this.#closing) return undefined
    return this.#submit(job, options)
  }

  async #submit(job: JobOf<W>, options: PoolRunOptions): Promise<ReplyOf<W>> {
    const returns = options.transfer ?? []
    const envelope: JobEnvelope<JobOf<W>> = { kind: 'job', job, returns }
    this.#active++
    let reply: ReplyEnvelope<ReplyOf<W>>
    try {
      reply = (await this.#piscina.run(envelope, { transferList: [...returns] })) as ReplyEnvelope<ReplyOf<W>>
    } catch (error) {
      this.#crashed++
      throw new OkoError('ERR_WORKER_CRASHED', `pool ${this.name}: a worker thread died while running a job (${(error as Error).message}); the thread was replaced`, { cause: error })
    } finally {
      this.#active--
      this.#wake()
    }
    if (options.recycle) for (const b of reply.returns) options.recycle(b)
    if (!reply.ok) {
      this.#failed++
      const code = reply.stage === 'init' ? 'ERR_MODEL' : 'ERR_WORKER_TASK'
      throw new OkoError(code, `pool ${this.name}: ${reply.stage === 'init' ? 'worker init' : 'job'} failed: ${reply.error.message}`, { cause: deserializeError(reply.error) })
    }
    this.#completed++
    return reply.reply
  }

  stats(): InferencePoolStats {
    return { threads: this.threads, active: this.#active, completed: this.#completed, failed: this.#failed, crashed: this.#crashed }
  }

  /**
   * Waits for running jobs, then stops the threads; threads that have not stopped after
   * `timeoutMs` are terminated (a model stuck in native code cannot hold a shutdown). Idempotent.
   */
  close(options: PoolCloseOptions = {}): Promise<void> {
    const timeoutMs = optionalNumber('options.timeoutMs', checkObject('options', options, {}).timeoutMs, 10_000, { min: 0 })
    this.#closing ??= (async () => {
      this.#wake()
      let timer: NodeJS.Timeout | undefined
      const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), timeoutMs)))
      try {
        if ((await Promise.race([this.#piscina.close().then(() => 'closed' as const), expired])) === 'expired') await this.#piscina.destroy()
      } finally {
        clearTimeout(timer)
      }
    })()
    return this.#closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  #wake(): void {
    if (this.#waiters.length === 0) return // the usual case: no array copy per finished job
    for (const w of this.#waiters.splice(0)) w()
  }
}

function workerPath(worker: unknown): string {
  if (worker instanceof URL) {
    if (worker.protocol !== 'file:') throw new InvalidOptionError('options.worker', `expected a file: URL, received ${worker.href}`)
    return fileURLToPath(worker)
  }
  const path = checkString('options.worker', worker)
  return path.startsWith('file:') ? fileURLToPath(path) : path
}

/**
 * The parent's execArgv without the `oko-source` export condition: worker threads cannot load
 * .ts on Node 20, so in the repository's tests (which resolve packages to src/) workers still
 * load `dist/`.
 */
function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!
    if ((arg === '--conditions' || arg === '-C') && execArgv[i + 1] === 'oko-source') {
      i++
      continue
    }
    if (arg === '--conditions=oko-source' || arg === '-C=oko-source') continue
    out.push(arg)
  }
  return out
}
