import { type RgbImage } from '@oko/core'
import { defineWorker } from '@oko/pipeline/worker'
import type { AnalyzedFace, FaceAnalyzerOptions } from './analyzer.js'
import { FaceAnalyzer } from './analyzer.js'

export type FaceJob =
  | { readonly kind: 'info' }
  | { readonly kind: 'analyze'; readonly crops: readonly { image: RgbImage; x: number; y: number }[]; readonly tightCrop: boolean | 'auto'; readonly snapshots: boolean }

export type FaceReply =
  | { readonly kind: 'info'; readonly modelId: string; readonly backend: string }
  | { readonly kind: 'faces'; readonly faces: AnalyzedFace[][] }

/**
 * The faces worker thread: one FaceAnalyzer (TF.js engine, face-api state, models) per thread,
 * created when the thread starts. Coordinates in replies are relative to each crop.
 */
const worker = defineWorker<FaceAnalyzerOptions, FaceJob, FaceReply>(async (init) => {
  const analyzer = await FaceAnalyzer.create(init)
  return async (job) => {
    if (job.kind === 'info') return { kind: 'info', modelId: analyzer.modelId, backend: analyzer.backendDescription }
    const faces: AnalyzedFace[][] = []
    for (const crop of job.crops) faces.push(await analyzer.analyze(crop.image, { tightCrop: job.tightCrop, snapshots: job.snapshots }))
    return { kind: 'faces', faces }
  }
})

export default worker
export type FaceWorker = typeof worker
