import type { Frame, PixelFormat } from '@oko/core'
import { Frame as AvFrame, SoftwareScaleContext, avGetPixFmtName, avImageGetBufferSize } from 'node-av/lib'
import {
  AV_PIX_FMT_BGR24, AV_PIX_FMT_GRAY8, AV_PIX_FMT_NV12, AV_PIX_FMT_RGB24, AV_PIX_FMT_RGBA, AV_PIX_FMT_YUV420P,
  AV_PIX_FMT_YUVJ420P, SWS_BILINEAR, type AVPixelFormat,
} from 'node-av/constants'
import { LUMA_FIRST } from './luma.js'
import type { OutputFormat } from './options.js'

/** Decoder formats `auto` passes through: every stage reads their planes (luma first). */
const PASS_THROUGH = new Map<number, PixelFormat>([
  [AV_PIX_FMT_YUV420P, 'yuv420p'],
  [AV_PIX_FMT_YUVJ420P, 'yuv420p'],
  [AV_PIX_FMT_NV12, 'nv12'],
  [AV_PIX_FMT_GRAY8, 'gray8'],
])

/** Decoder formats copied without conversion when that format is asked for, and what oko calls them. */
const NATIVE = new Map<number, PixelFormat>([
  ...PASS_THROUGH,
  [AV_PIX_FMT_RGB24, 'rgb24'],
  [AV_PIX_FMT_BGR24, 'bgr24'],
  [AV_PIX_FMT_RGBA, 'rgba'],
])

/**
 * What `format: 'auto'` gives for frames the decoder returns in `avFormat`: its own planes when
 * every stage reads them, otherwise one conversion by FFmpeg (swscale) to yuv420p (rgb, bgr,
 * palette, 4:2:2, 4:4:4, 10-bit, …), or to gray8 for grey sources (gray10, gray16, ya8, …).
 * Motion needs a luma plane; the model stages convert yuv420p to RGB for their crops.
 */
export function autoFormatOf(avFormat: number): PixelFormat {
  const native = PASS_THROUGH.get(avFormat)
  if (native) return native
  return /^(gray|ya\d|mono)/.test(avGetPixFmtName(avFormat as AVPixelFormat) ?? '') ? 'gray8' : 'yuv420p'
}

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

/** The planes of `frame`, cut to their rows; reads `frame.data` (fresh native Buffers): call once per frame memory. */
function viewOf(frame: AvFrame, format: PixelFormat): PlaneView {
  const data = frame.data ?? []
  const lines = frame.linesize
  const planes: Uint8Array[] = []
  const strides: number[] = []
  for (let i = 0; i < PLANES[format]; i++) {
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
 * An AVFrame whose planes point into memory oko owns (`fromBuffer`: packed, align 1), refilled
 * from decoded frames with `av_frame_copy` (a memcpy per row). `gray` copies the luma plane
 * alone: the decoded frame is presented as gray8 for the copy (its first plane is one).
 *
 * Why copy rather than hand out the decoder's planes: node-av makes new external Buffers on every
 * `frame.data` read and V8 counts their bytes (3 MB a 1080p frame) towards its external-memory
 * limit, so reading them cost a full GC every ~20 frames: 0.4–0.6 ms a 1080p frame, against
 * 0.16 ms for a copy (0.1 ms for the luma alone).
 */
class CopyTarget {
  readonly #frame = new AvFrame()
  readonly #gray: boolean
  readonly #memory: Uint8Array
  constructor(width: number, height: number, avFormat: AVPixelFormat, gray: boolean, memory: Uint8Array) {
    this.#gray = gray
    this.#memory = memory
    const f = this.#frame
    f.alloc()
    f.width = width
    f.height = height
    f.format = gray ? AV_PIX_FMT_GRAY8 : avFormat
    const buffer = Buffer.isBuffer(memory) ? memory : Buffer.from(memory.buffer, memory.byteOffset, memory.byteLength)
    const ret = f.fromBuffer(buffer)
    if (ret < 0) { f.free(); throw new Error(`cannot lay a ${width}x${height} frame over ${memory.byteLength} bytes (${ret})`) }
  }

  static bytes(width: number, height: number, avFormat: AVPixelFormat, gray: boolean): number {
    return avImageGetBufferSize(gray ? AV_PIX_FMT_GRAY8 : avFormat, width, height, 1)
  }

  get linesize(): number[] {
    return this.#frame.linesize
  }

  /** Copies `src` (same size, same format unless `gray`) in; false when FFmpeg refused or the memory went away. */
  fill(src: AvFrame): boolean {
    // a detached or shrunk buffer must never be written through the pointer taken at construction
    if (this.#memory.byteLength === 0) return false
    if (!this.#gray) return this.#frame.copy(src) >= 0
    const format = src.format
    src.format = AV_PIX_FMT_GRAY8
    const ret = this.#frame.copy(src)
    src.format = format
    return ret >= 0
  }

  free(): void {
    this.#frame.free()
  }
}

/** A decoded frame's planes copied into one JS Buffer made once per size and format, with views made once. */
class OwnedFrame {
  readonly view: PlaneView
  readonly #avFormat: number
  readonly #target: CopyTarget
  constructor(src: AvFrame, format: PixelFormat) {
    const { width, height } = src
    const avFormat = src.format as AVPixelFormat
    this.#avFormat = avFormat
    const gray = format === 'gray8'
    const size = CopyTarget.bytes(width, height, avFormat, gray)
    if (size <= 0) throw new Error(`cannot size a ${width}x${height} frame of format ${avFormat} (${size})`)
    const buffer = Buffer.alloc(size)
    this.#target = new CopyTarget(width, height, avFormat, gray, buffer)
    const lines = this.#target.linesize
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
  }

  /** Same size and formats (compared by value: no key string per frame). */
  fits(width: number, height: number, avFormat: number, format: PixelFormat): boolean {
    const v = this.view
    return v.width === width && v.height === height && this.#avFormat === avFormat && v.format === format
  }

  fill(src: AvFrame): boolean {
    return this.#target.fill(src)
  }

  free(): void {
    this.#target.free()
  }
}

/** What identifies a frame, set by the source. */
export interface FrameStamp {
  readonly cameraId: string
  readonly seq: number
  readonly ptsUs: number
  readonly wallMs: number
}

/**
 * Frames of @oko/source at their decoded size: `planes` is copied out of the decoder on first
 * read (a frame nobody reads costs no copy), and `copyLumaTo` copies the luma plane straight
 * from the decoder into memory the reader owns (a motion detector's WASM memory: one copy instead
 * of two). Both work while the frame is current (until the iterator advances).
 */
export interface SourceFrame extends Frame {
  /** See Frame.copyLumaTo; false also for a copy of the frame object, and once `planes` were read (a stage may have drawn on them). */
  copyLumaTo(dst: Uint8Array): boolean
}

/**
 * Turns decoded frames into oko frames: at the decoded size, planes are copied into memory of its
 * own when first read (see CopyTarget); other sizes and formats are scaled/converted once with
 * swscale into a frame allocated once per size. Owns native memory: `close()` frees it.
 */
export class FrameConverter {
  readonly #scale: { readonly height: number; readonly width: number | undefined } | undefined
  readonly #format: OutputFormat
  #own: OwnedFrame | undefined
  #luma: { target: CopyTarget; dst: Uint8Array; width: number; height: number } | undefined
  /** The decoded frame behind the current frame, until `release()`. */
  #decoded: AvFrame | undefined
  #issued: object | undefined
  #filled = false
  #sws: SoftwareScaleContext | undefined
  #dst: AvFrame | undefined
  #dstView: PlaneView | undefined
  /** What the scaler was built for (source size and format, output size and format). */
  #scaled: { srcWidth: number; srcHeight: number; srcFormat: number; width: number; height: number; format: PixelFormat } | undefined

  /** `auto`'s target for the last format that is not passed through (looked up once per format). */
  #auto: { avFormat: number; format: PixelFormat } | undefined

  /** The prototype of the frames this converter makes: copyLumaTo, inherited. */
  readonly #proto: Pick<SourceFrame, 'copyLumaTo'>

  constructor(scale: { readonly height: number; readonly width: number | undefined } | undefined, format: OutputFormat) {
    this.#scale = scale
    this.#format = format
    const converter = this
    this.#proto = Object.freeze({
      copyLumaTo(this: object, dst: Uint8Array): boolean {
        return converter.#copyLuma(this, dst)
      },
    })
  }

  /**
   * The oko frame for `decoded`, in the configured size and format. `decoded` must stay as it is
   * until `release()`; the frame's planes are overwritten by the next frame.
   */
  frame(decoded: AvFrame, stamp: FrameStamp): Frame {
    this.release()
    const avFormat = decoded.format
    const srcWidth = decoded.width
    const srcHeight = decoded.height
    const native = NATIVE.get(avFormat)
    const target: PixelFormat = this.#format === 'auto' ? (PASS_THROUGH.get(avFormat) ?? this.#autoFormat(avFormat)) : this.#format
    // output size (no object per frame): the configured height, the width kept to the aspect ratio and even
    const scale = this.#scale
    const width = scale ? scale.width ?? Math.max(2, Math.round((srcWidth * scale.height) / srcHeight / 2) * 2) : srcWidth
    const height = scale ? scale.height : srcHeight
    if (width === srcWidth && height === srcHeight && native !== undefined) {
      // gray8 at the decoded size is the luma plane itself: no conversion (FFmpeg's full-size gray costs ms).
      const luma = target === 'gray8' && (native === 'yuv420p' || native === 'nv12')
      if (native === target || luma) {
        if (!this.#own?.fits(width, height, avFormat, target)) {
          this.#own?.free()
          this.#own = undefined
          this.#own = new OwnedFrame(decoded, target)
        }
        this.#decoded = decoded
        const view = this.#own.view
        const converter = this
        // plain data but for `planes` (an own getter: a spread or a structured clone reads it) and
        // the inherited copyLumaTo (copies of the frame leave it behind)
        const frame = {
          __proto__: this.#proto,
          cameraId: stamp.cameraId, seq: stamp.seq, ptsUs: stamp.ptsUs, wallMs: stamp.wallMs,
          width, height, format: target, strides: view.strides,
          get planes() { return converter.#planes(this, view) },
        } as unknown as SourceFrame
        this.#issued = frame
        return frame
      }
    }
    const sc = this.#scaled
    if (!sc || sc.srcWidth !== srcWidth || sc.srcHeight !== srcHeight || sc.srcFormat !== avFormat || sc.width !== width || sc.height !== height || sc.format !== target) {
      this.#rebuild(decoded, width, height, target)
    }
    const ret = this.#sws!.scaleFrameSync(this.#dst!, decoded)
    if (ret < 0) throw new Error(`swscale failed (${ret})`)
    // the scaler writes into the frame's buffers allocated at rebuild: views made once stay right
    const view = this.#dstView!
    return { cameraId: stamp.cameraId, seq: stamp.seq, ptsUs: stamp.ptsUs, wallMs: stamp.wallMs, width, height, format: target, planes: view.planes, strides: view.strides }
  }

  #autoFormat(avFormat: number): PixelFormat {
    if (this.#auto?.avFormat !== avFormat) this.#auto = { avFormat, format: autoFormatOf(avFormat) }
    return this.#auto.format
  }

  /** The current frame is done with (the iterator advances): its decoded frame may change now. */
  release(): void {
    this.#decoded = undefined
    this.#issued = undefined
    this.#filled = false
  }

  #planes(frame: object, view: PlaneView): readonly Uint8Array[] {
    // a frame read after its turn gets what the memory holds (borrowed frames are valid until the iterator advances)
    if (frame === this.#issued && !this.#filled && this.#decoded) this.#filled = this.#own!.fill(this.#decoded)
    return view.planes
  }

  #copyLuma(frame: object, dst: Uint8Array): boolean {
    const decoded = this.#decoded
    // once the planes were read they are the frame (a stage may have drawn on them): read them then
    if (frame !== this.#issued || decoded === undefined || this.#filled || !LUMA_FIRST.has(decoded.format)) return false
    const { width, height } = decoded
    if (dst.byteLength < width * height) return false
    let l = this.#luma
    if (l?.dst !== dst || l.width !== width || l.height !== height) {
      l?.target.free()
      this.#luma = undefined
      l = this.#luma = { target: new CopyTarget(width, height, AV_PIX_FMT_GRAY8, true, dst.subarray(0, width * height)), dst, width, height }
    }
    return l.target.fill(decoded)
  }

  #rebuild(frame: AvFrame, width: number, height: number, target: PixelFormat): void {
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
    this.#scaled = { srcWidth: frame.width, srcHeight: frame.height, srcFormat: frame.format, width, height, format: target }
  }

  #closeScaler(): void {
    this.#sws?.freeContext()
    this.#dst?.free()
    this.#sws = undefined
    this.#dst = undefined
    this.#dstView = undefined
    this.#scaled = undefined
  }

  /** Frees the scaler and the frames. Idempotent. Planes already handed out stay readable (JS memory). */
  close(): void {
    this.release()
    this.#closeScaler()
    this.#own?.free()
    this.#own = undefined
    this.#luma?.target.free()
    this.#luma = undefined
  }
}
