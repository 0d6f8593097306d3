import { type RawImage, type Rect } from '@oko/core'
import { frameToImage } from '@oko/imaging'
import { defineWorker, frameFromMessage, type FrameMessage } from '@oko/pipeline/worker'
import { PlateEngine, type PlateReading, type ReadOptions } from './engine.js'
import type { ResolvedReaderOptions } from './options.js'

/** PlateReader.read: an image (transferred) and what to do with it. */
export interface PlateImageJob {
  readonly kind: 'image'
  readonly image: RawImage
  readonly options: ReadOptions
}

/**
 * The plate stage: a frame materialised by the pipeline (shared memory, read in place) and the
 * regions to read in it (frame pixels; absent: the whole frame).
 */
export interface PlateFrameJob {
  readonly kind: 'frame'
  readonly frame: FrameMessage
  readonly regions?: readonly Rect[]
}

export type PlateJob = PlateImageJob | PlateFrameJob

/** A reading in frame pixels, with the index of the region it was found in (frame jobs). */
export type RegionReading = PlateReading & { readonly region?: number }

/**
 * Worker-thread entry of PlateReader and the plate stage (built to dist/worker.js), on
 * @oko/pipeline's InferencePool: one PlateEngine (two single-threaded ONNX sessions) per thread,
 * loaded once when it starts. Frames are converted to RGB here, region by region, off the
 * cameras' thread. Plates come back as plain records.
 */
const worker = defineWorker<ResolvedReaderOptions, PlateJob, RegionReading[]>(async (init) => {
  const engine = await PlateEngine.create(init)
  return async (job) => {
    if (job.kind === 'image') return engine.read(job.image, job.options)
    const frame = frameFromMessage(job.frame)
    if (!job.regions) return engine.read(frameToImage(frame))
    const out: RegionReading[] = []
    for (const [index, region] of job.regions.entries()) {
      const image = frameToImage(frame, region)
      const dx = Math.max(0, Math.floor(region.x))
      const dy = Math.max(0, Math.floor(region.y))
      // a region (a vehicle or what moved) is read at 320-640 px: its plate is large enough
      for (const p of await engine.read(image, { upscale: false })) {
        out.push({
          ...p,
          box: { ...p.box, x: p.box.x + dx, y: p.box.y + dy },
          corners: p.corners.map((c) => ({ x: c.x + dx, y: c.y + dy })) as PlateReading['corners'],
          region: index,
        })
      }
    }
    return out
  }
})

export default worker
export type PlateWorker = typeof worker
