import type { Frame, FrameCrop, FrameInfo, PixelFormat, Rect } from '@oko/core'
import { OkoError, checkKnownKeys, checkObject, checkOneOf, clampRect, optionalNumber, overlaps, regionsFrame } from '@oko/core'
import { type CropLayout, type FrameMessage, type PlaneLayout } from './frame-message.js'

export interface FramePoolOptions {
  /** Free buffers kept per size class for reuse. Default 8. */
  readonly maxFreePerSize?: number
}

export interface OwnOptions {
  /**
   * Regions to copy, in frame pixels; absent: the whole picture. Overlapping regions are merged,
   * and regions that cover most of the frame become the whole frame (one copy is cheaper then).
   */
  readonly regions?: readonly Rect[]
  /** `all` copies every plane; `luma` only Y, as gray8. Default `all`. */
  readonly planes?: 'all' | 'luma'
}

/** Counters of a FramePool: every copy and hand-off is counted. */
export interface FramePoolStats {
  /** Buffers created because none of that size class was free. */
  readonly allocated: number
  /** Buffers taken from the free list. */
  readonly reused: number
  /** Regions materialised (one copy each; the whole picture counts as one region). */
  readonly copies: number
  /** Regions handed to worker threads (shared memory, not copied), each counted once: a region that several stages of a cascade read counts once. */
  readonly transfers: number
  /** Buffers given back to the pool. */
  readonly returned: number
  /** Free buffers held now. */
  readonly free: number
  /** Owned frames alive now (materialised, not yet released). */
  readonly live: number
}

/** Above this share of the frame, a set of regions is copied as the whole picture. */
const WHOLE_FRAME_SHARE = 0.6

/**
 * Pooled shared memory for frames that leave the decode thread. A borrowed frame (or some
 * regions of it) is copied ONCE into a pooled SharedArrayBuffer (`own`); worker threads read that
 * memory in place, and it returns to the pool when the last holder releases it. Buffers come in
 * power-of-two size classes, so regions of changing sizes reuse them.
 */
export class FramePool {
  readonly maxFreePerSize: number
  readonly #free = new Map<number, SharedArrayBuffer[]>()
  #freeCount = 0
  #allocated = 0
  #reused = 0
  #copies = 0
  #transfers = 0
  #returned = 0
  #live = 0

  constructor(options: FramePoolOptions = {}) {
    const o = checkObject('options', options, {})
    checkKnownKeys('options', o, ['maxFreePerSize'])
    this.maxFreePerSize = optionalNumber('options.maxFreePerSize', o.maxFreePerSize, 8, { min: 0, max: 1024, integer: true })
  }

  /** A buffer of at least `byteLength` bytes (its size class), reused when one is free. Contents are undefined. */
  acquire(byteLength: number): SharedArrayBuffer {
    const size = sizeClass(byteLength)
    const buffer = this.#free.get(size)?.pop()
    if (buffer) {
      this.#freeCount--
      this.#reused++
      return buffer
    }
    this.#allocated++
    return new SharedArrayBuffer(size)
  }

  /** Gives a buffer back for reuse. */
  release(buffer: SharedArrayBuffer): void {
    this.#returned++
    let list = this.#free.get(buffer.byteLength)
    if (!list) this.#free.set(buffer.byteLength, (list = []))
    if (list.length < this.maxFreePerSize) {
      list.push(buffer)
      this.#freeCount++
    }
  }

  /** Materialises a borrowed frame, or regions of it: one copy of each into one pooled buffer. */
  own(frame: Frame, options: OwnOptions = {}): OwnedFrame {
    const which = checkOneOf('options.planes', options.planes, ['all', 'luma'] as const, 'all')
    if (frame.crops) throw new OkoError('ERR_INVALID_INPUT', `frame ${frame.cameraId}#${frame.seq} is already an owned copy of some regions; keep it instead of copying it again`)
    const info: FrameInfo = which === 'luma' ? { ...infoOf(frame), format: 'gray8' } : infoOf(frame)
    const layout = planeShapes(frame.format, which)
    const regions = options.regions === undefined ? undefined : mergeRegions(options.regions, frame.width, frame.height, layout.alignment)
    const rects = regions ?? [{ x: 0, y: 0, width: frame.width, height: frame.height }]
    // Lay every crop's planes out in one buffer, then copy.
    let total = 0
    const crops: CropLayout[] = rects.map((rect) => ({
      rect,
      planes: layout.planes.map((p) => {
        const stride = Math.ceil(rect.width / p.sx) * p.bytesPerPixel
        const length = stride * Math.ceil(rect.height / p.sy)
        const offset = total
        total += (length + 7) & ~7
        return { offset, length, stride }
      }),
    }))
    const buffer = this.acquire(Math.max(8, total))
    const bytes = new Uint8Array(buffer)
    const planes = frame.planes
    const strides = frame.strides
    for (const crop of crops) {
      crop.planes.forEach((dst, i) => {
        const shape = layout.planes[i]!
        const src = planes[i]
        const srcStride = strides[i]
        if (!src || srcStride === undefined) throw new OkoError('ERR_INVALID_INPUT', `frame ${frame.cameraId}#${frame.seq} (${frame.format}) has no plane ${i}`)
        copyRows(src, srcStride, bytes, dst, crop.rect.x / shape.sx * shape.bytesPerPixel, crop.rect.y / shape.sy, Math.ceil(crop.rect.height / shape.sy))
      })
      this.#copies++
    }
    this.#live++
    return new OwnedFrame(this, info, buffer, regions === undefined ? crops[0]!.planes : undefined, regions === undefined ? undefined : crops)
  }

  stats(): FramePoolStats {
    return {
      allocated: this.#allocated, reused: this.#reused, copies: this.#copies, transfers: this.#transfers,
      returned: this.#returned, free: this.#freeCount, live: this.#live,
    }
  }

  /** @internal counts the regions of an owned frame at its first hand-off to a worker */
  countTransfer(regions: number): void {
    this.#transfers += regions
  }

  /** @internal an owned frame was released by its last holder */
  countReleased(buffer: SharedArrayBuffer): void {
    this.#live--
    this.release(buffer)
  }
}

/**
 * A frame (or some regions of one) in pooled shared memory that this process owns. Holders
 * `retain()` it and `release()` it; the last release returns the memory to the pool, after which
 * any read throws ERR_CLOSED. `message()` is what a worker job carries.
 */
export class OwnedFrame implements Frame {
  readonly #pool: FramePool
  readonly #info: FrameInfo
  readonly #planeLayout: readonly PlaneLayout[] | undefined
  readonly #cropLayout: readonly CropLayout[] | undefined
  #buffer: SharedArrayBuffer | undefined
  #holders = 1
  #sent = false
  #planes: Uint8Array[] | undefined
  #crops: FrameCrop[] | undefined

  /** @internal use FramePool.own */
  constructor(pool: FramePool, info: FrameInfo, buffer: SharedArrayBuffer, planes: readonly PlaneLayout[] | undefined, crops: readonly CropLayout[] | undefined) {
    this.#pool = pool
    this.#info = info
    this.#buffer = buffer
    this.#planeLayout = planes
    this.#cropLayout = crops
  }

  get cameraId(): string { return this.#info.cameraId }
  get seq(): number { return this.#info.seq }
  get ptsUs(): number { return this.#info.ptsUs }
  get wallMs(): number { return this.#info.wallMs }
  get width(): number { return this.#info.width }
  get height(): number { return this.#info.height }
  get format(): PixelFormat { return this.#info.format }
  get info(): FrameInfo { return this.#info }

  /** false once the last holder released it. */
  get owned(): boolean {
    return this.#buffer !== undefined
  }

  /** The regions it holds (frame pixels), or undefined for the whole picture. */
  get regions(): readonly Rect[] | undefined {
    return this.#cropLayout?.map((c) => c.rect)
  }

  get planes(): readonly Uint8Array[] {
    const buffer = this.#owned('planes')
    if (!this.#planeLayout) return regionsFrame(this.#info, []).planes
    this.#planes ??= this.#planeLayout.map((p) => new Uint8Array(buffer, p.offset, p.length))
    return this.#planes
  }

  get strides(): readonly number[] {
    this.#owned('strides')
    if (!this.#planeLayout) return regionsFrame(this.#info, []).strides
    return this.#planeLayout.map((p) => p.stride)
  }

  get crops(): readonly FrameCrop[] | undefined {
    if (!this.#cropLayout) return undefined
    const buffer = this.#owned('crops')
    this.#crops ??= this.#cropLayout.map((c) => ({
      rect: c.rect,
      planes: c.planes.map((p) => new Uint8Array(buffer, p.offset, p.length)),
      strides: c.planes.map((p) => p.stride),
    }))
    return this.#crops
  }

  /** true when the pixels of `rect` (frame pixels) are held. */
  covers(rect: Rect): boolean {
    if (!this.#cropLayout) return true
    const r = clampRect(rect, this.width, this.height)
    if (!r) return true
    return this.#cropLayout.some((c) => r.x >= c.rect.x && r.y >= c.rect.y && r.x + r.width <= c.rect.x + c.rect.width && r.y + r.height <= c.rect.y + c.rect.height)
  }

  /** What a worker job carries: the shared buffer and where the planes are in it. Hold the frame until the reply. */
  message(): FrameMessage {
    const buffer = this.#owned('message()')
    if (!this.#sent) {
      this.#sent = true
      this.#pool.countTransfer(this.#cropLayout?.length ?? 1)
    }
    return this.#cropLayout
      ? { info: this.#info, buffer, planes: [], crops: this.#cropLayout }
      : { info: this.#info, buffer, planes: this.#planeLayout! }
  }

  /** One more holder (a fan-out branch, a stage that keeps it past its call). */
  retain(): this {
    this.#owned('retain()')
    this.#holders++
    return this
  }

  /** One holder fewer; the last returns the memory to the pool. Extra calls do nothing. */
  release(): void {
    const buffer = this.#buffer
    if (!buffer || --this.#holders > 0) return
    this.#buffer = undefined
    this.#planes = undefined
    this.#crops = undefined
    this.#pool.countReleased(buffer)
  }

  #owned(what: string): SharedArrayBuffer {
    if (!this.#buffer) {
      throw new OkoError('ERR_CLOSED', `frame ${this.#info.cameraId}#${this.#info.seq}: ${what} after its last release(); its memory is back in the pool`)
    }
    return this.#buffer
  }
}

/** How each plane of a format relates to the picture: subsampling and bytes per pixel. */
function planeShapes(format: PixelFormat, which: 'all' | 'luma'): { planes: { sx: number; sy: number; bytesPerPixel: number }[]; alignment: number } {
  const luma = { sx: 1, sy: 1, bytesPerPixel: 1 }
  if (which === 'luma') {
    if (format !== 'gray8' && format !== 'yuv420p' && format !== 'nv12') throw new OkoError('ERR_INVALID_INPUT', `frame format ${format} has no luma plane to copy; use planes: 'all'`)
    return { planes: [luma], alignment: 1 }
  }
  switch (format) {
    case 'gray8': return { planes: [luma], alignment: 1 }
    case 'yuv420p': return { planes: [luma, { sx: 2, sy: 2, bytesPerPixel: 1 }, { sx: 2, sy: 2, bytesPerPixel: 1 }], alignment: 2 }
    // nv12's chroma plane: one U,V pair (2 bytes) per 2×2 pixels
    case 'nv12': return { planes: [luma, { sx: 2, sy: 2, bytesPerPixel: 2 }], alignment: 2 }
    case 'rgb24': case 'bgr24': return { planes: [{ sx: 1, sy: 1, bytesPerPixel: 3 }], alignment: 1 }
    case 'rgba': return { planes: [{ sx: 1, sy: 1, bytesPerPixel: 4 }], alignment: 1 }
  }
}

/** Clamps, aligns (to chroma's 2×2 for 4:2:0) and merges overlapping regions; undefined means the whole frame. */
export function mergeRegions(regions: readonly Rect[], width: number, height: number, alignment: number): Rect[] | undefined {
  const out: Rect[] = []
  for (const region of regions) {
    const r = clampRect(region, width, height)
    if (!r) continue
    out.push(align(r, width, height, alignment))
  }
  if (out.length === 0) throw new OkoError('ERR_INVALID_INPUT', `no region lies inside the ${width}×${height} frame: ${JSON.stringify(regions)}`)
  // Merge until no two overlap (few regions per frame: quadratic is fine).
  for (let merged = true; merged;) {
    merged = false
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = i + 1; j < out.length; j++) {
        if (!overlaps(out[i]!, out[j]!)) continue
        out[i] = union(out[i]!, out[j]!)
        out.splice(j, 1)
        merged = true
        break
      }
    }
  }
  const area = out.reduce((a, r) => a + r.width * r.height, 0)
  return area >= WHOLE_FRAME_SHARE * width * height ? undefined : out
}

function align(r: Rect, width: number, height: number, a: number): Rect {
  if (a === 1) return r
  const x0 = Math.floor(r.x / a) * a
  const y0 = Math.floor(r.y / a) * a
  const x1 = Math.min(Math.ceil((r.x + r.width) / a) * a, width)
  const y1 = Math.min(Math.ceil((r.y + r.height) / a) * a, height)
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
}

function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x), y = Math.min(a.y, b.y)
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y }
}

/** Copies `rows` rows of `dst.stride` bytes from `src` at (xByte, row0) into `dst`. */
function copyRows(src: Uint8Array, srcStride: number, bytes: Uint8Array, dst: PlaneLayout, xByte: number, row0: number, rows: number): void {
  const width = dst.stride
  if (xByte === 0 && srcStride === width) {
    bytes.set(src.subarray(row0 * srcStride, row0 * srcStride + width * rows), dst.offset)
    return
  }
  for (let y = 0; y < rows; y++) {
    const from = (row0 + y) * srcStride + xByte
    bytes.set(src.subarray(from, from + width), dst.offset + y * width)
  }
}

function sizeClass(bytes: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(4096, bytes)))
}

function infoOf(frame: FrameInfo): FrameInfo {
  return {
    cameraId: frame.cameraId, seq: frame.seq, ptsUs: frame.ptsUs, wallMs: frame.wallMs,
    width: frame.width, height: frame.height, format: frame.format,
  }
}
