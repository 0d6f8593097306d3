import type { Frame, FrameInfo, PixelFormat } from '@oko/core'
import { OkoError, checkKnownKeys, checkObject, checkOneOf, optionalNumber } from '@oko/core'
import type { FrameMessage, PlaneLayout } from './frame-message.js'

export interface FramePoolOptions {
  /** Free buffers kept per byte size for reuse. Default 8. */
  readonly maxFreePerSize?: number
}

export interface CopyOptions {
  /** `all` copies every plane as decoded (strides kept); `luma` copies only Y, rows packed to the width. Default `all`. */
  readonly planes?: 'all' | 'luma'
}

/** Counters of a FramePool: every copy and transfer is counted. */
export interface FramePoolStats {
  /** Buffers created because none of that size was free. */
  readonly allocated: number
  /** Buffers taken from the free list. */
  readonly reused: number
  /** Frames materialized (one copy each). */
  readonly copies: number
  /** Buffers handed to another thread without a copy. */
  readonly transfers: number
  /** Buffers given back (by a worker reply or `release()`). */
  readonly returned: number
  /** Free buffers currently held. */
  readonly free: number
}

/**
 * Pooled ArrayBuffers for frames that leave the decode thread. A borrowed Frame is copied ONCE
 * into a pooled buffer (`copy`), and that buffer is transferred to a worker, which hands it back
 * for reuse. Plain ArrayBuffers only: never native or Buffer-pool memory.
 */
export class FramePool {
  readonly maxFreePerSize: number
  #free = new Map<number, ArrayBuffer[]>()
  #freeCount = 0
  #allocated = 0
  #reused = 0
  #copies = 0
  #transfers = 0
  #returned = 0

  constructor(options: FramePoolOptions = {}) {
    const o = checkObject('options', options, {})
    checkKnownKeys('options', o, ['maxFreePerSize'])
    this.maxFreePerSize = optionalNumber('options.maxFreePerSize', o.maxFreePerSize, 8, { min: 0, max: 1024, integer: true })
  }

  /** A buffer of exactly `byteLength` bytes, reused when one is free. Contents are undefined. */
  acquire(byteLength: number): ArrayBuffer {
    const list = this.#free.get(byteLength)
    const buffer = list?.pop()
    if (buffer) {
      this.#freeCount--
      this.#reused++
      return buffer
    }
    this.#allocated++
    return new ArrayBuffer(byteLength)
  }

  /** Gives a buffer back for reuse. Detached (transferred) buffers are ignored. */
  release(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return
    this.#returned++
    let list = this.#free.get(buffer.byteLength)
    if (!list) this.#free.set(buffer.byteLength, (list = []))
    if (list.length < this.maxFreePerSize) {
      list.push(buffer)
      this.#freeCount++
    }
  }

  /** Materializes a borrowed frame: one copy into a pooled buffer. */
  copy(frame: Frame, options: CopyOptions = {}): OwnedFrame {
    const which = checkOneOf('options.planes', options.planes, ['all', 'luma'] as const, 'all')
    const info = infoOf(frame)
    let layout: PlaneLayout[]
    let buffer: ArrayBuffer
    if (which === 'luma') {
      const y = frame.planes[0]
      const stride = frame.strides[0]
      if (!y || stride === undefined) throw new OkoError('ERR_INVALID_INPUT', `frame ${frame.cameraId}#${frame.seq} has no planes`)
      const { width, height } = frame
      buffer = this.acquire(width * height)
      const out = new Uint8Array(buffer)
      if (stride === width) out.set(y.subarray(0, width * height))
      else for (let row = 0; row < height; row++) out.set(y.subarray(row * stride, row * stride + width), row * width)
      layout = [{ offset: 0, length: width * height, stride: width }]
      const grey: FrameInfo = { ...info, format: 'gray8' satisfies PixelFormat }
      this.#copies++
      return new OwnedFrame(this, grey, buffer, layout)
    }
    let total = 0
    layout = frame.planes.map((p, i) => {
      const l = { offset: total, length: p.byteLength, stride: frame.strides[i] ?? 0 }
      total += (p.byteLength + 7) & ~7
      return l
    })
    buffer = this.acquire(total)
    const out = new Uint8Array(buffer)
    frame.planes.forEach((p, i) => out.set(p, layout[i]!.offset))
    this.#copies++
    return new OwnedFrame(this, info, buffer, layout)
  }

  stats(): FramePoolStats {
    return {
      allocated: this.#allocated,
      reused: this.#reused,
      copies: this.#copies,
      transfers: this.#transfers,
      returned: this.#returned,
      free: this.#freeCount,
    }
  }

  /** @internal counts a transfer made by OwnedFrame. */
  countTransfer(): void {
    this.#transfers++
  }
}

/**
 * A frame this thread owns, in one pooled buffer. `transfer()` hands the buffer to another
 * thread; any access afterwards throws `ERR_CLOSED`. `release()` returns it to the pool.
 */
export class OwnedFrame implements Frame {
  readonly #pool: FramePool
  readonly #info: FrameInfo
  readonly #layout: readonly PlaneLayout[]
  #buffer: ArrayBuffer | undefined
  #planes: Uint8Array[] | undefined

  /** @internal use FramePool.copy */
  constructor(pool: FramePool, info: FrameInfo, buffer: ArrayBuffer, layout: readonly PlaneLayout[]) {
    this.#pool = pool
    this.#info = info
    this.#buffer = buffer
    this.#layout = layout
  }

  get cameraId(): string { return this.#info.cameraId }
  get seq(): number { return this.#info.seq }
  get ptsUs(): number { return this.#info.ptsUs }
  get wallMs(): number { return this.#info.wallMs }
  get width(): number { return this.#info.width }
  get height(): number { return this.#info.height }
  get format(): PixelFormat { return this.#info.format }
  get info(): FrameInfo { return this.#info }

  /** false once transferred or released. */
  get owned(): boolean {
    return this.#buffer !== undefined
  }

  get planes(): readonly Uint8Array[] {
    const buffer = this.#owned('planes')
    this.#planes ??= this.#layout.map((p) => new Uint8Array(buffer, p.offset, p.length))
    return this.#planes
  }

  get strides(): readonly number[] {
    this.#owned('strides')
    return this.#layout.map((p) => p.stride)
  }

  /** Hands the buffer over (put `message.buffer` in the transfer list). This object is unusable afterwards. */
  transfer(): FrameMessage {
    const buffer = this.#owned('transfer()')
    this.#buffer = undefined
    this.#planes = undefined
    this.#pool.countTransfer()
    return { info: this.#info, buffer, planes: this.#layout }
  }

  /** Returns the buffer to its pool without sending it anywhere. Idempotent. */
  release(): void {
    const buffer = this.#buffer
    if (!buffer) return
    this.#buffer = undefined
    this.#planes = undefined
    this.#pool.release(buffer)
  }

  #owned(what: string): ArrayBuffer {
    if (!this.#buffer) {
      throw new OkoError('ERR_CLOSED', `frame ${this.#info.cameraId}#${this.#info.seq}: ${what} after transfer() or release(); the buffer now belongs to another thread or the pool`)
    }
    return this.#buffer
  }
}

function infoOf(frame: FrameInfo): FrameInfo {
  return {
    cameraId: frame.cameraId, seq: frame.seq, ptsUs: frame.ptsUs, wallMs: frame.wallMs,
    width: frame.width, height: frame.height, format: frame.format,
  }
}
