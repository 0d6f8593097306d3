// Small real FrameSource/Stage implementations for pipeline tests (no decoding needed).
import type { Frame, FrameReadOptions, FrameSource, MotionEvent, Stage } from '@oko/core'

export interface TestSourceOptions {
  readonly frames: number
  readonly live?: boolean
  readonly width?: number
  readonly height?: number
  /** Luma value of every pixel of frame `seq`. Default: seq % 256. */
  readonly value?: (seq: number) => number
  /** Awaited before each frame (to pace a source against the run). */
  readonly before?: (seq: number) => Promise<void> | void
  /** Throws this after `failAfter` frames. */
  readonly failAfter?: number
}

/**
 * A source whose frames are BORROWED for real: one buffer is reused for every frame, so a
 * pipeline that keeps a frame instead of copying it sees later pixels.
 */
export class TestSource implements FrameSource {
  readonly live: boolean
  closed = 0
  readonly #o: TestSourceOptions

  constructor(readonly cameraId: string, options: TestSourceOptions) {
    this.live = options.live ?? false
    this.#o = options
  }

  async *frames(options: FrameReadOptions = {}): AsyncIterable<Frame> {
    const width = this.#o.width ?? 8
    const height = this.#o.height ?? 4
    const y = new Uint8Array(width * height)
    const u = new Uint8Array((width / 2) * (height / 2))
    const v = new Uint8Array((width / 2) * (height / 2))
    const base = { cameraId: this.cameraId, ptsUs: 0, timeMs: 0 }
    options.onEvent?.({ ...base, type: 'source', seq: 0, state: 'playing' })
    for (let seq = 0; seq < this.#o.frames; seq++) {
      if (options.signal?.aborted) return
      await this.#o.before?.(seq)
      if (options.signal?.aborted) return
      if (this.#o.failAfter !== undefined && seq === this.#o.failAfter) throw new Error(`stream of ${this.cameraId} broke at frame ${seq}`)
      y.fill(this.#o.value ? this.#o.value(seq) : seq % 256)
      yield {
        cameraId: this.cameraId, seq, ptsUs: seq * 40_000, wallMs: Date.now(), width, height, format: 'yuv420p',
        planes: [y, u, v], strides: [width, width / 2, width / 2],
      }
    }
    options.onEvent?.({ ...base, type: 'source', seq: this.#o.frames, state: 'ended' })
  }

  async close(): Promise<void> {
    this.closed++
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** Passes frames whose first luma byte is at least `min`. */
export function brightGate(min: number): Stage<Frame, Frame> {
  return { name: 'bright', process: (f) => (f.planes[0]![0]! >= min ? f : undefined) }
}

/** Turns a frame into a motion event whose score is the first luma byte / 255. */
export function toMotion(): Stage<Frame, MotionEvent> {
  return {
    name: 'to-motion',
    process: (f) => ({ type: 'motion', cameraId: f.cameraId, seq: f.seq, ptsUs: f.ptsUs, timeMs: 0, score: f.planes[0]![0]! / 255, regions: [], zones: [] }),
  }
}

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of iterable) out.push(x)
  return out
}
