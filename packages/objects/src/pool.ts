import { OkoError } from '@oko/core'
import { InferencePool, builtWorkerFile, type InferencePoolStats } from '@oko/pipeline'
import { resolveDetectorOptions, type DetectorOptions, type ResolvedDetectorOptions } from './options.js'
import type { ObjectWorker } from './worker.js'

/**
 * The object detector on worker threads (@oko/pipeline InferencePool; one onnxruntime session per
 * thread), shared by every camera's object stage. Made with `create`, which waits until the model
 * is loaded: a missing model, a wrong input or a labels file that does not fit fails here.
 */
export class ObjectDetectorPool implements AsyncDisposable {
  #closing: Promise<void> | undefined

  private constructor(
    /** The worker threads (the object stage sends its frame jobs to them). */
    readonly pool: InferencePool<ObjectWorker>,
    readonly options: ResolvedDetectorOptions,
    readonly modelId: string,
    /** The model's input size, pixels: a region smaller than this is searched at this size. */
    readonly inputSize: { readonly width: number; readonly height: number },
    /** The square inputs it runs at, smallest first (see planSearch); undefined: its input is not square, regions are letterboxed into it. */
    readonly sizes?: readonly number[],
  ) {}

  static async create(options: DetectorOptions = {}): Promise<ObjectDetectorPool> {
    const resolved = resolveDetectorOptions(options)
    let pool: InferencePool<ObjectWorker>
    try {
      pool = await InferencePool.create<ObjectWorker>({ worker: builtWorkerFile(import.meta.url, 'object detector', '@oko/objects'), threads: resolved.threads, init: resolved.settings, name: 'objects' })
    } catch (error) {
      // the worker's own error (its code and the file or option it names), not the pool's wrapper
      throw error instanceof OkoError && error.cause instanceof OkoError ? error.cause : error
    }
    try {
      const info = await pool.run({ kind: 'info' })
      if (info.kind !== 'info') throw new OkoError('ERR_MODEL', 'objects worker answered an info request with detections')
      return new ObjectDetectorPool(pool, resolved, info.modelId, { width: info.inputWidth, height: info.inputHeight }, info.sizes)
    } catch (error) {
      await pool.close()
      throw error
    }
  }

  /** The label of a model class id. */
  label(classId: number): string {
    return this.options.labels[classId] ?? `class-${classId}`
  }

  stats(): InferencePoolStats {
    return this.pool.stats()
  }

  /** Waits for running jobs, then stops the threads. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.pool.close()
    return this.#closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
