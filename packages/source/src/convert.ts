import type { PixelFormat } from '@oko/core'
import { Frame as AvFrame, SoftwareScaleContext, avImageGetBufferSize } from 'node-av/lib'
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

/** Planes of a decoded (or scaled) frame, as views of memory the converter owns. */
export interface PlaneView {
  readonly width: number
  readonly height: number
  readonly format: PixelFormat
  readonly planes: readonly Uint8Array[]
  readonly strides: readonly number[]
}

/** The first `n` planes of `frame`, cut to their rows; reads `frame.data` (fresh native Buffers): call once per frame memory. */
function viewOf(frame: AvFrame, format: PixelFormat, n = PLANES[format]): PlaneView {
  const data = frame.data ?? []
  const lines = frame.linesize
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
  return freeze({ width: frame.width, height: frame.height, format, planes, strides })
}

function freeze(view: { width: number; height: number; format: PixelFormat; planes: Uint8Array[]; strides: number[] }): PlaneView {
  Object.freeze(view.planes)
  Object.freeze(view.strides)
  return Object.freeze(view)
}

/**
 * A frame whose planes live in one JS Buffer, allocated once per size and format and refilled
 * from each decoded frame with `av_frame_copy` (a memcpy per plane). Why not the decoder's own
 * planes: node-av makes new external Buffers on every `frame.data` read and V8 counts their bytes
 * (3 MB a 1080p frame) towards its external-memory limit, so reading them cost a full GC every
 * ~20 frames: 0.4–0.6 ms a 1080p frame against 0.16 ms for the copy. The views are made once,
 * and stay valid memory for as long as anyone holds them (the Buffer is garbage-collected).
 */
class OwnedFrame {
  readonly frame = new AvFrame()
  readonly key: string
  /** The full decoded layout; `luma` is its first plane alone (gray8 out of yuv). */
  readonly view: PlaneView
  readonly luma: PlaneView
  constructor(src: AvFrame, format: PixelFormat, key: string) {
    this.key = key
    const { width, height } = src
    const avFormat = src.format as AVPixelFormat
    const size = avImageGetBufferSize(avFormat, width, height, 1)
    if (size <= 0) throw new Error(`cannot size a ${width}x${height} frame of format ${avFormat} (${size})`)
    const buffer = Buffer.alloc(size)
    const f = this.frame
    f.alloc()
    f.width = width
    f.height = height
    f.format = avFormat
    const ret = f.fromBuffer(buffer) // points the frame's planes into `buffer` (packed, align 1)
    if (ret < 0) { f.free(); throw new Error(`cannot lay out a ${width}x${height} frame (${ret})`) }
    const lines = f.linesize
    const planes: Uint8Array[] = []
    const strides: number[] = []
    let offset = 0
    for (let i = 0; i < PLANES[format]; i++) {
      const stride = lines[i] ?? 0
      const bytes = stride * planeRows(format, i, height)
      if (stride <= 0 || offset + bytes > size) break
      planes.push(buffer.subarray(offset, offset + bytes))
      strides.push(stride)
      offset += bytes
    }
    this.view = freeze({ width, height, format, planes, strides })
    this.luma = freeze({ width, height, format: 'gray8', planes: planes.slice(0, 1), strides: strides.slice(0, 1) })
  }

  /** Copies `src` (same size and format) in; false when FFmpeg refused. */
  fill(src: AvFrame): boolean {
    return this.frame.copy(src) >= 0
  }

  free(): void {
    this.frame.free()
  }
}

/**
 * Turns decoded frames into oko planes: copies the decoder's planes into memory of its own when
 * they already fit (the common case: yuv420p, no scaling; see OwnedFrame), else scales/converts
 * once with swscale into a frame allocated once per size. Owns native memory: `close()` frees it.
 */
export class FrameConverter {
  readonly #scale: { readonly height: number; readonly width: number | undefined } | undefined
  readonly #format: OutputFormat
  #own: OwnedFrame | undefined
  #sws: SoftwareScaleContext | undefined
  #dst: AvFrame | undefined
  #dstView: PlaneView | undefined
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

  /** Planes of `frame` in the configured size and format. Overwritten by the next call. */
  convert(frame: AvFrame): PlaneView {
    const native = PASS_THROUGH.get(frame.format)
    const target: PixelFormat = this.#format === 'auto' ? native ?? 'yuv420p' : this.#format
    const { width, height } = this.outputSize(frame.width, frame.height)
    if (width === frame.width && height === frame.height && native !== undefined) {
      // gray8 at the decoded size is the luma plane itself: no conversion (FFmpeg's full-size gray costs ms).
      const luma = target === 'gray8' && (native === 'yuv420p' || native === 'nv12')
      if (native === target || luma) {
        const key = `${frame.width}x${frame.height}:${frame.format}`
        if (this.#own?.key !== key) {
          this.#own?.free()
          this.#own = undefined
          this.#own = new OwnedFrame(frame, native, key)
        }
        if (this.#own.fill(frame)) return luma ? this.#own.luma : this.#own.view
        return viewOf(frame, target) // not expected: FFmpeg copies any frame it decoded
      }
    }
    const key = `${frame.width}x${frame.height}:${frame.format}>${width}x${height}:${target}`
    if (key !== this.#key) this.#rebuild(frame, width, height, target, key)
    const ret = this.#sws!.scaleFrameSync(this.#dst!, frame)
    if (ret < 0) throw new Error(`swscale failed (${ret})`)
    // the scaler writes into the frame's buffers allocated at rebuild: views made once stay right
    return this.#dstView!
  }

  #rebuild(frame: AvFrame, width: number, height: number, target: PixelFormat, key: string): void {
    this.#closeScaler()
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
    this.#dstView = viewOf(dst, target)
    this.#key = key
  }

  #closeScaler(): void {
    this.#sws?.freeContext()
    this.#dst?.free()
    this.#sws = undefined
    this.#dst = undefined
    this.#dstView = undefined
    this.#key = ''
  }

  /** Frees the scaler and the frames. Idempotent. Views already handed out of an own frame stay readable. */
  close(): void {
    this.#closeScaler()
    this.#own?.free()
    this.#own = undefined
  }
}
