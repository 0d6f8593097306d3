import type { PixelFormat } from '@oko/core'
import { Frame as AvFrame, SoftwareScaleContext } from 'node-av/lib'
import {
  AV_PIX_FMT_BGR24, AV_PIX_FMT_GRAY8, AV_PIX_FMT_NV12, AV_PIX_FMT_RGB24, AV_PIX_FMT_RGBA, AV_PIX_FMT_YUV420P,
  AV_PIX_FMT_YUVJ420P, SWS_BILINEAR, type AVPixelFormat,
} from 'node-av/constants'
import type { OutputFormat } from './options.js'

/** Decoder formats passed through without conversion, and what oko calls them. */
const PASS_THROUGH = new Map<number, PixelFormat>([
  [AV_PIX_FMT_YUV420P, 'yuv420p'],
  [AV_PIX_FMT_YUVJ420P, 'yuv420p'],
  [AV_PIX_FMT_NV12, 'nv12'],
  [AV_PIX_FMT_GRAY8, 'gray8'],
  [AV_PIX_FMT_RGB24, 'rgb24'],
  [AV_PIX_FMT_BGR24, 'bgr24'],
  [AV_PIX_FMT_RGBA, 'rgba'],
])

const AV_FORMAT: Record<PixelFormat, AVPixelFormat> = {
  yuv420p: AV_PIX_FMT_YUV420P,
  nv12: AV_PIX_FMT_NV12,
  gray8: AV_PIX_FMT_GRAY8,
  rgb24: AV_PIX_FMT_RGB24,
  bgr24: AV_PIX_FMT_BGR24,
  rgba: AV_PIX_FMT_RGBA,
}

const PLANES: Record<PixelFormat, number> = { yuv420p: 3, nv12: 2, gray8: 1, rgb24: 1, bgr24: 1, rgba: 1 }

/** Rows of plane `i` of a `height`-row image. */
function planeRows(format: PixelFormat, i: number, height: number): number {
  return (format === 'yuv420p' || format === 'nv12') && i > 0 ? (height + 1) >> 1 : height
}

/** Planes of a decoded (or scaled) frame, as views of its native memory: no copy. */
export interface PlaneView {
  readonly width: number
  readonly height: number
  readonly format: PixelFormat
  readonly planes: Uint8Array[]
  readonly strides: number[]
}

function viewOf(frame: AvFrame, format: PixelFormat): PlaneView {
  const data = frame.data ?? []
  const lines = frame.linesize
  const n = PLANES[format]
  const planes: Uint8Array[] = []
  const strides: number[] = []
  for (let i = 0; i < n; i++) {
    const plane = data[i]
    const stride = lines[i] ?? 0
    if (plane === undefined) break
    const size = stride * planeRows(format, i, frame.height)
    planes.push(plane.length > size ? plane.subarray(0, size) : plane)
    strides.push(stride)
  }
  return { width: frame.width, height: frame.height, format, planes, strides }
}

/**
 * Turns decoded frames into oko planes: passes the decoder's planes through when they already
 * fit (the common case: yuv420p, no scaling), else scales/converts once with swscale into a
 * frame allocated once per size. Owns native memory: `close()` frees it.
 */
export class FrameConverter {
  readonly #scale: { readonly height: number; readonly width: number | undefined } | undefined
  readonly #format: OutputFormat
  #sws: SoftwareScaleContext | undefined
  #dst: AvFrame | undefined
  #key = ''

  constructor(scale: { readonly height: number; readonly width: number | undefined } | undefined, format: OutputFormat) {
    this.#scale = scale
    this.#format = format
  }

  /** Output size for a `width`×`height` input. */
  outputSize(width: number, height: number): { width: number; height: number } {
    if (!this.#scale) return { width, height }
    const h = this.#scale.height
    const w = this.#scale.width ?? Math.max(2, Math.round((width * h) / height / 2) * 2)
    return { width: w, height: h }
  }

  /** Planes of `frame` in the configured size and format. Valid until the next call or `close()`. */
  convert(frame: AvFrame): PlaneView {
    const native = PASS_THROUGH.get(frame.format)
    const target: PixelFormat = this.#format === 'auto' ? native ?? 'yuv420p' : this.#format
    const { width, height } = this.outputSize(frame.width, frame.height)
    if (width === frame.width && height === frame.height) {
      if (native === target) return viewOf(frame, target)
      // gray8 at the decoded size is the luma plane itself: no conversion (FFmpeg's full-size gray costs ms).
      if (target === 'gray8' && (native === 'yuv420p' || native === 'nv12')) return viewOf(frame, 'gray8')
    }
    const key = `${frame.width}x${frame.height}:${frame.format}>${width}x${height}:${target}`
    if (key !== this.#key) this.#rebuild(frame, width, height, target, key)
    const ret = this.#sws!.scaleFrameSync(this.#dst!, frame)
    if (ret < 0) throw new Error(`swscale failed (${ret})`)
    return viewOf(this.#dst!, target)
  }

  #rebuild(frame: AvFrame, width: number, height: number, target: PixelFormat, key: string): void {
    this.close()
    const sws = new SoftwareScaleContext()
    sws.getContext(frame.width, frame.height, frame.format as AVPixelFormat, width, height, AV_FORMAT[target], SWS_BILINEAR)
    const dst = new AvFrame()
    dst.alloc()
    dst.width = width
    dst.height = height
    dst.format = AV_FORMAT[target]
    const ret = dst.getBuffer(32)
    if (ret < 0) { dst.free(); sws.freeContext(); throw new Error(`cannot allocate a ${width}x${height} frame (${ret})`) }
    this.#sws = sws
    this.#dst = dst
    this.#key = key
  }

  /** Frees the scaler and its frame. Idempotent. */
  close(): void {
    this.#sws?.freeContext()
    this.#dst?.free()
    this.#sws = undefined
    this.#dst = undefined
    this.#key = ''
  }
}
