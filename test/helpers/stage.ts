// Running one stage by hand, as a pipeline would: a context that stamps events like a run, and envelopes.
import type { Envelope, Frame, FrameReadOptions, FrameSource, OkoEvent, RawImage, StageContext } from '@oko/core'
import { EVENT_VERSION, IdFactory } from '@oko/core'

/** A StageContext whose emitted events (stamped with id, v and time, as a run does) land in `events`. */
export function testContext(cameraId: string, events: OkoEvent[], signal: AbortSignal = new AbortController().signal): StageContext {
  const ids = new IdFactory()
  return {
    cameraId,
    signal,
    emit: (init) => {
      const event = { id: ids.next(), v: EVENT_VERSION, timeMs: Date.now(), ...init } as unknown as OkoEvent
      events.push(event)
      return event as never
    },
    newId: () => ids.next(),
  }
}

/** The envelope a run makes for a decoded frame. */
export function envelopeOf(frame: Frame): Envelope {
  return { frame, detections: [], tracks: [] }
}

/** A file-like camera whose frames are the given images (rgb24 or gray8), one per frame, borrowed like decoded frames. */
export class ImageSource implements FrameSource {
  readonly live = false
  constructor(readonly cameraId: string, readonly images: readonly RawImage[], readonly fps = 25) {}

  async *frames(options: FrameReadOptions = {}): AsyncIterable<Frame> {
    options.onEvent?.({ type: 'source', cameraId: this.cameraId, state: 'playing' })
    for (const [i, image] of this.images.entries()) {
      if (options.signal?.aborted) return
      const bpp = image.format === 'gray8' ? 1 : image.format === 'rgba' ? 4 : 3
      yield {
        cameraId: this.cameraId, seq: i + 1, ptsUs: Math.round(((i + 1) * 1e6) / this.fps), wallMs: Date.now(),
        width: image.width, height: image.height, format: image.format, planes: [image.data], strides: [image.stride ?? image.width * bpp],
      }
    }
    options.onEvent?.({ type: 'source', cameraId: this.cameraId, seq: this.images.length, state: 'ended' })
  }

  async close(): Promise<void> {}
  async [Symbol.asyncDispose](): Promise<void> {}
}
