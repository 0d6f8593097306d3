import { Encoder } from 'node-av/api'
import { AV_CODEC_FLAG_QSCALE, AV_PIX_FMT_YUVJ420P, FF_ENCODER_MJPEG, FF_QP2LAMBDA } from 'node-av/constants'
import { Frame as AvFrame, Rational } from 'node-av/lib'
import { OkoError, bytesPerPixel, checkRawImage, clampRect, optionalNumber, pixelsAt, type Frame, type RawImage, type Rect, type Snapshot } from '@oko/core'
import { channelOffsets } from './crop.js'

export interface JpegOptions {
  /** JPEG quality in [1, 100] (FFmpeg's mjpeg quantiser scale, mapped). Default 85. */
  readonly quality?: number
}

/**
 * A JPEG snapshot of `rect` (frame pixels; default the whole frame) of a decoded frame, encoded
 * once by FFmpeg's mjpeg encoder. yuv420p frames (what cameras send) go in without an RGB step:
 * their planes are copied once, limited range stretched to JPEG's full range. Borrowed frames are
 * read during the call only. Snapshots of faces and plates are personal data.
 */
export function snapshotOf(frame: Frame, rect?: Rect, options: JpegOptions = {}): Snapshot {
  const r = evenRect(rect ? clampRect(rect, frame.width, frame.height) : { x: 0, y: 0, width: frame.width, height: frame.height }, frame.width, frame.height)
  if (!r) throw new OkoError('ERR_INVALID_INPUT', `snapshot region ${JSON.stringify(rect)} lies outside the ${frame.width}×${frame.height} frame or is under 2×2 pixels`)
  const yuv = new Uint8Array((r.width * r.height * 3) / 2)
  if (frame.format === 'yuv420p' || frame.format === 'nv12') copyYuv420(frame, r, yuv)
  else {
    const { planes, strides, x0, y0 } = pixelsAt(frame, r)
    const format = frame.format
    rgbToYuvj420(planes[0]!, strides[0]!, r.x - x0, r.y - y0, r.width, r.height, format, yuv)
  }
  return { jpeg: encode(yuv, r.width, r.height, options), width: r.width, height: r.height, region: r, seq: frame.seq, ptsUs: frame.ptsUs }
}

/**
 * JPEG bytes of a packed image (rgb24, bgr24, rgba, gray8), encoded once by FFmpeg's mjpeg
 * encoder; an odd width or height loses its last column or row (4:2:0), so the size is returned.
 */
export function encodeJpeg(image: RawImage, options: JpegOptions = {}): { jpeg: Uint8Array; width: number; height: number } {
  const img = checkRawImage('image', image)
  const r = evenRect({ x: 0, y: 0, width: img.width, height: img.height }, img.width, img.height)
  if (!r) throw new OkoError('ERR_INVALID_INPUT', `image: ${img.width}×${img.height} is under 2×2 pixels`)
  const yuv = new Uint8Array((r.width * r.height * 3) / 2)
  rgbToYuvj420(img.data, img.stride ?? img.width * bytesPerPixel(img.format), 0, 0, r.width, r.height, img.format, yuv)
  return { jpeg: encode(yuv, r.width, r.height, options), width: r.width, height: r.height }
}

function encode(yuv: Uint8Array, width: number, height: number, options: JpegOptions): Uint8Array {
  const quality = optionalNumber('options.quality', options.quality, 85, { min: 1, max: 100 })
  // mjpeg's quantiser scale: 2 (best) … 31; quality 100 → 2, 85 → 6, 1 → 31
  const qscale = Math.round(2 + ((100 - quality) * 29) / 99)
  const frame = AvFrame.fromVideoBuffer(Buffer.from(yuv.buffer, yuv.byteOffset, yuv.byteLength), { width, height, format: AV_PIX_FMT_YUVJ420P, pts: 0n, timeBase: new Rational(1, 1) })
  try {
    // Settings go in `context` (codec fields), never as an options dictionary: node-av 6.1.1 crashes at exit after one.
    const jpeg = Encoder.encodeOneSync(FF_ENCODER_MJPEG, frame, { context: { globalQuality: qscale * FF_QP2LAMBDA, flags: AV_CODEC_FLAG_QSCALE } })
    return new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength)
  } catch (cause) {
    throw new OkoError('ERR_DATA', `JPEG encoding of a ${width}×${height} picture failed: ${(cause as Error).message}`, { cause })
  } finally {
    frame.free()
  }
}

/** Even origin and size (4:2:0 chroma is per 2×2 pixels); undefined under 2×2. */
function evenRect(r: Rect | undefined, width: number, height: number): Rect | undefined {
  if (!r) return undefined
  const x = r.x & ~1, y = r.y & ~1
  const w = Math.min(r.width + (r.x - x), width - x) & ~1
  const h = Math.min(r.height + (r.y - y), height - y) & ~1
  return w >= 2 && h >= 2 ? { x, y, width: w, height: h } : undefined
}

// BT.601 limited range (16–235 luma, 16–240 chroma), as cameras send it, to JPEG's full range
const LUMA_FULL = Uint8Array.from({ length: 256 }, (_, v) => Math.max(0, Math.min(255, Math.round(((v - 16) * 255) / 219))))
const CHROMA_FULL = Uint8Array.from({ length: 256 }, (_, v) => Math.max(0, Math.min(255, Math.round(128 + ((v - 128) * 255) / 224))))

function copyYuv420(frame: Frame, r: Rect, out: Uint8Array): void {
  const { planes, strides, x0, y0 } = pixelsAt(frame, r)
  const Y = planes[0]!, ys = strides[0]!
  const x = r.x - x0, y = r.y - y0
  let o = 0
  for (let row = 0; row < r.height; row++) {
    const from = (y + row) * ys + x
    for (let i = 0; i < r.width; i++) out[o++] = LUMA_FULL[Y[from + i]!]!
  }
  const cw = r.width / 2, ch = r.height / 2, cx = x / 2, cy = y / 2
  const U = planes[1]!, us = strides[1]!
  if (frame.format === 'nv12') {
    let v = o + cw * ch
    for (let row = 0; row < ch; row++) {
      const from = (cy + row) * us + cx * 2
      for (let i = 0; i < cw; i++) {
        out[o++] = CHROMA_FULL[U[from + 2 * i]!]!
        out[v++] = CHROMA_FULL[U[from + 2 * i + 1]!]!
      }
    }
    return
  }
  const V = planes[2]!, vs = strides[2]!
  for (const [P, s] of [[U, us], [V, vs]] as const) {
    for (let row = 0; row < ch; row++) {
      const from = (cy + row) * s + cx
      for (let i = 0; i < cw; i++) out[o++] = CHROMA_FULL[P[from + i]!]!
    }
  }
}

/** Packed pixels to full-range 4:2:0 (BT.601, JPEG's), chroma averaged over each 2×2 block. */
function rgbToYuvj420(src: Uint8Array, stride: number, x: number, y: number, width: number, height: number, format: RawImage['format'], out: Uint8Array): void {
  const ch = bytesPerPixel(format)
  const [ro, go, bo] = channelOffsets(format)
  const uOff = width * height, vOff = uOff + (width * height) / 4
  for (let row = 0; row < height; row++) {
    let i = (y + row) * stride + x * ch
    for (let col = 0; col < width; col++, i += ch) {
      const R = src[i + ro]!, G = src[i + go]!, B = src[i + bo]!
      out[row * width + col] = Math.round(0.299 * R + 0.587 * G + 0.114 * B)
    }
  }
  for (let row = 0; row < height; row += 2) {
    for (let col = 0; col < width; col += 2) {
      let R = 0, G = 0, B = 0
      for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
        const i = (y + row + dy) * stride + (x + col + dx) * ch
        R += src[i + ro]!; G += src[i + go]!; B += src[i + bo]!
      }
      R /= 4; G /= 4; B /= 4
      const c = (row / 2) * (width / 2) + col / 2
      out[uOff + c] = clamp(128 - 0.168736 * R - 0.331264 * G + 0.5 * B)
      out[vOff + c] = clamp(128 + 0.5 * R - 0.418688 * G - 0.081312 * B)
    }
  }
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v)
}
