import { defineWorker } from '@oko/pipeline/worker'
import type { FaceAnalyzerOptions } from './analyzer.js'
import { FaceAnalyzer } from './analyzer.js'
import { runFaceJob, type FaceJob, type FaceReply } from './jobs.js'

export type { FaceJob, FaceReply } from './jobs.js'

/** The faces worker thread: one FaceAnalyzer (TF.js engine, face-api state, models) per thread, created when the thread starts. */
const worker = defineWorker<FaceAnalyzerOptions, FaceJob, FaceReply>(async (init) => {
  const analyzer = await FaceAnalyzer.create(init)
  return (job) => runFaceJob(analyzer, job)
})

export default worker
export type FaceWorker = typeof worker
