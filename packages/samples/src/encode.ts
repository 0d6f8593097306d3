import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { Encoder, Muxer } from 'node-av/api'
import { AV_LOG_ERROR, AV_PIX_FMT_YUV420P, FF_ENCODER_LIBX264 } from 'node-av/constants'
import { Frame, Log, Rational } from 'node-av/lib'
import { OkoError } from '@oko/core'

export interface YuvClipSpec {
  readonly width: number
  readonly height: number
  readonly fps: number
  readonly frames: number
  readonly bitrate?: string
  readonly gopFrames?: number
}

/**
 * Encodes frames that `render(index, yuv420p)` fills to H.264 (libx264, no B-frames, x264's default
 * preset, FFmpeg logs lowered to errors while it runs). writeSampleClip and writeStillClip use it.
 */
export function encodeYuvClip(path: string, spec: YuvClipSpec, render: (index: number, yuv: Uint8Array) => void): void {
  const { width, height, fps, frames } = spec
  const bitrate = spec.bitrate ?? `${Math.max(200, Math.round((width * height * fps * 0.15) / 1000))}k`
  const previousLogLevel = Log.getLevel()
  Log.setLevel(AV_LOG_ERROR)
  mkdirSync(dirname(path), { recursive: true })
  const timeBase = new Rational(1, Math.round(fps))
  let encoder: Encoder | undefined
  try {
    encoder = Encoder.createSync(FF_ENCODER_LIBX264, {
      bitrate, gopSize: spec.gopFrames ?? Math.round(fps * 2), maxBFrames: 0,
      context: { timeBase, framerate: new Rational(Math.round(fps), 1) },
    })
    const muxer = Muxer.openSync(path)
    const stream = muxer.addStream(encoder)
    const pixels = Buffer.alloc((width * height * 3) / 2)
    const drain = () => {
      for (let packet = encoder!.receiveSync(); packet; packet = encoder!.receiveSync()) {
        muxer.writePacketSync(packet, stream)
        packet.free()
      }
    }
    for (let i = 0; i < frames; i++) {
      render(i, pixels)
      const frame = Frame.fromVideoBuffer(pixels, { width, height, format: AV_PIX_FMT_YUV420P, pts: BigInt(i), timeBase })
      encoder.encodeSync(frame)
      frame.free()
      drain()
    }
    encoder.flushSync()
    drain()
    muxer.closeSync()
  } catch (cause) {
    throw new OkoError('ERR_DATA', `could not write clip ${path}: ${(cause as Error).message}`, { cause })
  } finally {
    encoder?.close()
    Log.setLevel(previousLogLevel)
  }
}
