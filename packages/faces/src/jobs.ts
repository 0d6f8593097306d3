import type { Rect, RgbImage } from '@oko/core'
import { frameToRgb } from '@oko/imaging'
import { frameFromMessage, type FrameMessage } from '@oko/pipeline/worker'
import type { AnalyzedFace, FaceAnalysis } from './analyzer.js'
import { shiftFace } from './detector.js'

export type FaceJob =
  | { readonly kind: 'info' }
  | { readonly kind: 'analyze'; readonly crops: readonly { image: RgbImage; x: number; y: number }[]; readonly tightCrop: boolean | 'auto'; readonly snapshots: boolean }
  /** The face stage: a frame materialised by the pipeline (shared memory, read in place) and the areas to search, frame pixels. */
  | { readonly kind: 'frame'; readonly frame: FrameMessage; readonly areas: readonly Rect[]; readonly snapshots: boolean }

export type FaceReply =
  | { readonly kind: 'info'; readonly modelId: string; readonly backend: string }
  | { readonly kind: 'faces'; readonly faces: AnalyzedFace[][] }

/**
 * What a faces worker thread does with a job (the face stage runs the same in-process when given
 * a FaceAnalyzer). `analyze` replies are relative to each crop; `frame` replies are in frame
 * pixels (the areas are converted to RGB here, off the cameras' thread).
 */
export async function runFaceJob(analyzer: FaceAnalysis & { readonly backendDescription?: string }, job: FaceJob): Promise<FaceReply> {
  if (job.kind === 'info') return { kind: 'info', modelId: analyzer.modelId, backend: analyzer.backendDescription ?? 'unknown' }
  const faces: AnalyzedFace[][] = []
  if (job.kind === 'frame') {
    const frame = frameFromMessage(job.frame)
    for (const area of job.areas) {
      const found = await analyzer.analyze(frameToRgb(frame, area), { snapshots: job.snapshots })
      faces.push(found.map((f) => shiftFace(f, area.x, area.y)))
    }
    return { kind: 'faces', faces }
  }
  for (const crop of job.crops) faces.push(await analyzer.analyze(crop.image, { tightCrop: job.tightCrop, snapshots: job.snapshots }))
  return { kind: 'faces', faces }
}
