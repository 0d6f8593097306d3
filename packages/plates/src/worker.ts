import { type RawImage } from '@oko/core'
import { defineWorker } from '@oko/pipeline/worker'
import { PlateEngine, type PlateReading, type ReadOptions } from './engine.js'
import type { ResolvedReaderOptions } from './options.js'

/** Main thread → worker: the pixels (transferred) and what to do with them. */
export interface PlateJob {
  image: RawImage
  options: ReadOptions
}

/**
 * Worker-thread entry of PlateReader (built to dist/worker.js), on @oko/pipeline's InferencePool:
 * one PlateEngine (two single-threaded ONNX sessions) per thread, loaded once when it starts.
 * Plates come back as plain records; the job's pixel buffer goes back to the caller's side.
 */
const worker = defineWorker<ResolvedReaderOptions, PlateJob, PlateReading[]>(async (init) => {
  const engine = await PlateEngine.create(init)
  return (job) => engine.read(job.image, job.options)
})

export default worker
export type PlateWorker = typeof worker
