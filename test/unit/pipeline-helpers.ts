// Small real FrameSource/Stage implementations for pipeline tests (no decoding needed).
import type { Frame, FrameReadOptions, FrameSource, MotionEvent, Stage } from '@oko/core'
import { defineStage } from '@oko/core'

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
  delivered = 0
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
    options.onEvent?.({ type: 'source', cameraId: this.cameraId, state: 'playing' })
    for (let seq = 0; seq < this.#o.frames; seq++) {
      if (options.signal?.aborted) return
      await this.#o.before?.(seq)
      if (options.signal?.aborted) return
      if (this.#o.failAfter !== undefined && seq === this.#o.failAfter) throw new Error(`stream of ${this.cameraId} broke at frame ${seq}`)
      y.fill(this.#o.value ? this.#o.value(seq) : seq % 256)
      this.delivered++
      yield {
        cameraId: this.cameraId, seq, ptsUs: seq * 40_000, wallMs: Date.now(), width, height, format: 'yuv420p',
        planes: [y, u, v], strides: [width, width / 2, width / 2],
      }
    }
    options.onEvent?.({ type: 'source', cameraId: this.cameraId, seq: this.#o.frames - 1, state: 'ended' })
  }

  stats() {
    return { state: 'playing', framesDecoded: this.delivered, framesDelivered: this.delivered, reconnects: 0 }
  }

  async close(): Promise<void> {
    this.closed++
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** Passes envelopes whose frame's first luma byte is at least `min`. */
export function brightGate(min: number): Stage {
  return defineStage({ name: 'bright', process: (e) => (e.frame.planes[0]![0]! >= min ? e : undefined) })
}

/** Emits a motion event per envelope, its score the first luma byte / 255, and passes the envelope on. */
export function toMotion(name = 'to-motion'): Stage {
  return defineStage({
    name,
    process: (e, ctx) => {
      const f = e.frame
      ctx.emit<MotionEvent>({ type: 'motion', cameraId: f.cameraId, seq: f.seq, ptsUs: f.ptsUs, score: f.planes[0]![0]! / 255, regions: [], zones: [] })
      return e
    },
  })
}

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of iterable) out.push(x)
  return out
}
