import type { Rect } from '@oko/core'
import { frameToImage } from '@oko/imaging'
import { defineWorker, frameFromMessage, type FrameMessage } from '@oko/pipeline/worker'
import { ObjectDetector, type DetectorSettings, type RawDetection } from './detector.js'

/**
 * A frame materialised by the pipeline (shared memory, read in place) and the regions to search
 * (frame pixels; absent: the whole frame). Each region costs one run of the model.
 */
export interface ObjectFrameJob {
  readonly kind: 'frame'
  readonly frame: FrameMessage
  readonly regions?: readonly Rect[]
}

/** Which model each thread runs and its input size: asked once when the pool starts. */
export interface ObjectInfoJob { readonly kind: 'info' }

export type ObjectJob = ObjectFrameJob | ObjectInfoJob
export type ObjectReply = { readonly kind: 'detections'; readonly detections: RawDetection[] } | { readonly kind: 'info'; readonly modelId: string; readonly inputWidth: number; readonly inputHeight: number }

/**
 * Worker-thread entry of the object detector pool (built to dist/worker.js): one ObjectDetector
 * (one single-threaded onnxruntime session) per thread, opened once. Frames are converted to RGB
 * here, region by region, off the cameras' thread; boxes come back in frame pixels.
 */
const worker = defineWorker<DetectorSettings, ObjectJob, ObjectReply>(async (settings) => {
  const detector = await ObjectDetector.open(settings)
  return async (job) => {
    if (job.kind === 'info') return { kind: 'info', modelId: detector.modelId, inputWidth: detector.inputSize.width, inputHeight: detector.inputSize.height }
    const frame = frameFromMessage(job.frame)
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
