import { Encoder, Muxer } from 'node-av/api'
import { AV_LOG_ERROR, AV_PIX_FMT_YUV420P, SWS_BILINEAR, type AVPixelFormat, type FFEncoderCodec } from 'node-av/constants'
import { Frame, Log, Rational, SoftwareScaleContext, avGetPixFmtFromName } from 'node-av/lib'

export interface FormatClip {
  /** FFmpeg encoder name: `cinepak`, `mjpeg`, `ffv1`, `libx264`, `libx265`, `rawvideo`, … */
  readonly encoder: string
  /** FFmpeg pixel format the clip is stored in, which its decoder returns: `rgb24`, `pal8`, `yuv422p`, … */
  readonly pixelFormat: string
  readonly width?: number
  readonly height?: number
  readonly fps?: number
  readonly frames?: number
}

/**
 * Writes a clip of a bright square sliding over a dark textured background, stored in the given
 * pixel format by the given encoder (container by extension: .avi, .mkv, .nut, .mp4). For the
 * "any pixel format a camera sends" tests: each frame is drawn in yuv420p and converted to the
 * clip's format with swscale before encoding.
 */
export function writeFormatClip(path: string, clip: FormatClip): void {
  const width = clip.width ?? 160
  const height = clip.height ?? 120
  const fps = clip.fps ?? 10
  const frames = clip.frames ?? 20
  const format = avGetPixFmtFromName(clip.pixelFormat) as AVPixelFormat
  if (format < 0) throw new Error(`unknown pixel format ${clip.pixelFormat}`)
  const previous = Log.getLevel()
  Log.setLevel(AV_LOG_ERROR)
  const timeBase = new Rational(1, fps)
  // swscale cannot write a palette: pal8 frames are the luma as indices into a grey palette
  const palette = clip.pixelFormat === 'pal8'
  const sws = new SoftwareScaleContext()
  if (!palette) sws.getContext(width, height, AV_PIX_FMT_YUV420P, width, height, format, SWS_BILINEAR)
  const encoder = Encoder.createSync(clip.encoder as FFEncoderCodec, { gopSize: fps, maxBFrames: 0, context: { timeBase, framerate: new Rational(fps, 1) } })
  const muxer = Muxer.openSync(path)
  const stream = muxer.addStream(encoder)
  const yuv = Buffer.alloc((width * height * 3) / 2)
  const drain = (): void => {
    for (let packet = encoder.receiveSync(); packet; packet = encoder.receiveSync()) {
      muxer.writePacketSync(packet, stream)
      packet.free()
    }
  }
  try {
    for (let i = 0; i < frames; i++) {
      draw(yuv, width, height, i)
      const src = Frame.fromVideoBuffer(yuv, { width, height, format: AV_PIX_FMT_YUV420P, pts: BigInt(i), timeBase })
      let dst: Frame
      if (palette) dst = Frame.fromVideoBuffer(toPalette(yuv, width, height), { width, height, format, pts: BigInt(i), timeBase })
      else {
        dst = new Frame()
        dst.alloc()
        dst.width = width
        dst.height = height
        dst.format = format
        dst.getBuffer(32)
        sws.scaleFrameSync(dst, src)
      }
      dst.pts = BigInt(i)
      dst.timeBase = timeBase
      encoder.encodeSync(dst)
      src.free()
      dst.free()
      drain()
    }
    encoder.flushSync()
    drain()
    muxer.closeSync()
  } finally {
    encoder.close()
    if (!palette) sws.freeContext()
    Log.setLevel(previous)
  }
}

/** A 24×24 bright square moving 6 px a frame over a dark, textured (so encoders keep detail) picture. */
function draw(yuv: Buffer, width: number, height: number, i: number): void {
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) yuv[y * width + x] = 40 + ((x * 7 + y * 13) % 23)
  const x0 = (10 + i * 6) % (width - 24)
  const y0 = Math.floor(height / 2) - 12
  for (let y = y0; y < y0 + 24; y++) for (let x = x0; x < x0 + 24; x++) yuv[y * width + x] = 230
  yuv.fill(128, width * height)
  // a coloured square too, so chroma moves where the formats keep it
  const cw = width >> 1
  for (let y = y0 >> 1; y < (y0 + 24) >> 1; y++) for (let x = x0 >> 1; x < (x0 + 24) >> 1; x++) yuv[width * height + y * cw + x] = 60
}

/** A packed pal8 picture (FFmpeg's layout: the indices, then 256 BGRA entries). */
function toPalette(yuv: Buffer, width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height + 1024)
  yuv.copy(out, 0, 0, width * height)
  for (let i = 0; i < 256; i++) out.writeUInt32LE((0xff << 24 | i << 16 | i << 8 | i) >>> 0, width * height + i * 4)
  return out
}
