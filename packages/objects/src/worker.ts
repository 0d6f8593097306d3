import type { Rect } from '@oko/core'
import { frameToImage } from '@oko/imaging'
import { defineWorker, frameFromMessage, type FrameMessage } from '@oko/pipeline/worker'
import { ObjectDetector, type DetectorSettings, type RawDetection } from './detector.js'
import type { SearchPlan } from './search.js'

/**
 * A frame materialised by the pipeline (shared memory, read in place) and the regions to search
 * (frame pixels; absent: the whole frame). Each region costs one run of the model.
 */
export interface ObjectFrameJob {
  readonly kind: 'frame'
  readonly frame: FrameMessage
  readonly regions?: readonly Rect[]
}

/** A frame materialised by the pipeline (at least each plan's `area`) and the squares to search in it (see planSearches). */
export interface ObjectSearchJob {
  readonly kind: 'search'
  readonly frame: FrameMessage
  readonly plans: readonly SearchPlan[]
}

/** Which model each thread runs and its input size: asked once when the pool starts. */
export interface ObjectInfoJob { readonly kind: 'info' }

export type ObjectJob = ObjectFrameJob | ObjectSearchJob | ObjectInfoJob
export type ObjectReply =
  | { readonly kind: 'detections'; readonly detections: RawDetection[] }
  | { readonly kind: 'info'; readonly modelId: string; readonly inputWidth: number; readonly inputHeight: number; readonly sizes?: readonly number[] }

/**
 * Worker-thread entry of the object detector pool (built to dist/worker.js): one ObjectDetector
 * (single-threaded onnxruntime sessions, one per input size) per thread, opened once. A search
 * samples the model input straight from the frame's planes; region jobs convert each region to
 * RGB first. Both run here, off the cameras' thread; boxes come back in frame pixels.
 */
const worker = defineWorker<DetectorSettings, ObjectJob, ObjectReply>(async (settings) => {
  const detector = await ObjectDetector.open(settings)
  return async (job) => {
    if (job.kind === 'info') {
      const sizes = detector.sizes
      return { kind: 'info', modelId: detector.modelId, inputWidth: detector.inputSize.width, inputHeight: detector.inputSize.height, ...(sizes ? { sizes } : {}) }
    }
    const frame = frameFromMessage(job.frame)
    if (job.kind === 'search') return { kind: 'detections', detections: await detector.detectPlans(frame, job.plans) }
    if (!job.regions) return { kind: 'detections', detections: await detector.detect(frameToImage(frame)) }
    const detections: RawDetection[] = []
    for (const region of job.regions) {
      const image = frameToImage(frame, region)
      const dx = Math.max(0, Math.floor(region.x)), dy = Math.max(0, Math.floor(region.y))
      for (const d of await detector.detect(image)) detections.push({ ...d, x: d.x + dx, y: d.y + dy })
    }
    return { kind: 'detections', detections }
  }
})

export default worker
export type ObjectWorker = typeof worker
