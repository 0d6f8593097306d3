import { Encoder, Muxer } from 'node-av/api'
import { AV_PIX_FMT_YUV420P, FF_ENCODER_LIBX264 } from 'node-av/constants'
import { Frame, Rational } from 'node-av/lib'
import { SceneRenderer, type SceneSpec } from '@oko/samples'

/**
 * Encodes `scene` to H.264 (mp4/mkv/ts by extension): no B-frames, a keyframe every `gopFrames`.
 * Like @oko/samples' writeSampleClip, but passes no codec `options` dictionary: with one,
 * node-av 6.1.1 crashes the process at exit (SIGSEGV), which kills the test worker.
 */
export function writeClip(path: string, scene: SceneSpec, gopFrames: number): void {
  const renderer = new SceneRenderer(scene)
  const { width, height, fps, frames } = renderer.scene
  const timeBase = new Rational(1, fps)
  const encoder = Encoder.createSync(FF_ENCODER_LIBX264, {
    bitrate: `${Math.max(200, Math.round((width * height * fps * 0.1) / 1000))}k`, gopSize: gopFrames, maxBFrames: 0,
    context: { timeBase, framerate: new Rational(fps, 1) },
  })
  const muxer = Muxer.openSync(path)
  try {
    const stream = muxer.addStream(encoder)
    const pixels = Buffer.alloc((width * height * 3) / 2)
    const drain = (): void => {
      for (let packet = encoder.receiveSync(); packet; packet = encoder.receiveSync()) {
        muxer.writePacketSync(packet, stream)
        packet.free()
      }
    }
    for (let i = 0; i < frames; i++) {
      renderer.renderYuv420(i, pixels)
      const frame = Frame.fromVideoBuffer(pixels, { width, height, format: AV_PIX_FMT_YUV420P, pts: BigInt(i), timeBase })
      encoder.encodeSync(frame)
      frame.free()
      drain()
    }
    encoder.flushSync()
    drain()
    muxer.closeSync()
  } finally {
    encoder.close()
  }
}
