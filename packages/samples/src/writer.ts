import { encodeYuvClip } from './encode.js'
import type { FrameTruth } from './render.js'
import { SceneRenderer } from './render.js'
import type { SceneSpec } from './scene.js'

export interface SampleClip {
  readonly path: string
  readonly scene: SceneSpec
  /** Ground truth for every frame, by index. */
  readonly truth: readonly FrameTruth[]
}

export interface WriteClipOptions {
  /** H.264 bit rate, e.g. '1M'. Default scales with the frame size (about 0.1 bit per pixel). */
  bitrate?: string
  /** Keyframe interval in frames. Default: 2 s. */
  gopFrames?: number
}

/**
 * Renders `scene` and encodes it to an H.264 file (mp4, mkv or ts by extension) with node-av's
 * libx264: no B-frames, like a camera. Offline and deterministic for a given scene.
 * FFmpeg's process-wide log level is lowered to errors while it encodes (libx264 prints statistics)
 * and restored after. No codec options dictionary is passed (x264's default preset): with one,
 * node-av 6.1.1 crashes the process at exit (a finalizer frees it twice).
 */
export function writeSampleClip(path: string, scene: SceneSpec, options: WriteClipOptions = {}): SampleClip {
  const renderer = new SceneRenderer(scene)
  const { width, height, fps, frames } = renderer.scene
  const bitrate = options.bitrate ?? `${Math.max(200, Math.round((width * height * fps * 0.1) / 1000))}k`
  const truth: FrameTruth[] = []
  encodeYuvClip(path, { width, height, fps, frames, bitrate, gopFrames: options.gopFrames }, (i, yuv) => {
    renderer.renderYuv420(i, yuv)
    truth.push(renderer.truth(i))
  })
  return { path, scene: renderer.scene, truth }
}
