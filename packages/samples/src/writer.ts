import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { Encoder, Muxer } from 'node-av/api'
import { AV_LOG_ERROR, AV_PIX_FMT_YUV420P, FF_ENCODER_LIBX264 } from 'node-av/constants'
import { Frame, Log, Rational } from 'node-av/lib'
import { OkoError } from '@oko/core'
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
  const previousLogLevel = Log.getLevel()
  Log.setLevel(AV_LOG_ERROR)
  mkdirSync(dirname(path), { recursive: true })
  const timeBase = new Rational(1, Math.round(fps))
  let encoder: Encoder | undefined
  let muxer: Muxer | undefined
  try {
    encoder = Encoder.createSync(FF_ENCODER_LIBX264, {
      bitrate, gopSize: options.gopFrames ?? Math.round(fps * 2), maxBFrames: 0,
      context: { timeBase, framerate: new Rational(Math.round(fps), 1) },
    })
    muxer = Muxer.openSync(path)
    const stream = muxer.addStream(encoder)
    const pixels = Buffer.alloc((width * height * 3) / 2)
    const drain = () => {
      for (let packet = encoder!.receiveSync(); packet; packet = encoder!.receiveSync()) {
        muxer!.writePacketSync(packet, stream)
        packet.free()
      }
    }
    const truth: FrameTruth[] = []
    for (let i = 0; i < frames; i++) {
      renderer.renderYuv420(i, pixels)
      truth.push(renderer.truth(i))
      const frame = Frame.fromVideoBuffer(pixels, { width, height, format: AV_PIX_FMT_YUV420P, pts: BigInt(i), timeBase })
      encoder.encodeSync(frame)
      frame.free()
      drain()
    }
    encoder.flushSync()
    drain()
    muxer.closeSync()
    return { path, scene: renderer.scene, truth }
  } catch (cause) {
    throw new OkoError('ERR_DATA', `could not write sample clip ${path}: ${(cause as Error).message}`, { cause })
  } finally {
    encoder?.close()
    Log.setLevel(previousLogLevel)
  }
}
