import { OkoError, checkKnownKeys, checkNumber, checkObject, checkOneOf, type Rect, type SourceNotice, type SourceState } from '@oko/core'
import { Scaler, type ScaledImageFormat } from 'node-av/api'
import { Frame as AvFrame, Packet } from 'node-av/lib'
import { AVERROR_EOF } from 'node-av/constants'
import type { ReconnectPolicy } from './backoff.js'
import { VideoInput, type VideoStreamInfo } from './input.js'
import type { ResolvedStreamOptions } from './options.js'
import { Reconnector } from './reconnect.js'
import { redactUrl } from './url.js'

export type SnapshotFormat = 'rgb24' | 'rgba' | 'gray8' | 'yuv420p' | 'nv12'

export interface SnapshotOptions {
  /** Region to cut out; the whole frame when omitted. In main-stream pixels unless `relativeTo` is given. */
  rect?: Rect
  /** Size of the frame `rect` refers to (e.g. the detect stream's frame): the rect is scaled to the main stream. */
  relativeTo?: { width: number; height: number }
  /** Scale the (cropped) image to this size. */
  resize?: { width: number; height: number }
  /** Pixel format of the result. Default `rgb24`. */
  format?: SnapshotFormat
}

/** An image copied out of the main stream. **Owned**: keep it as long as you like. */
export interface Snapshot {
  readonly cameraId: string
  /** Presentation time of the frame on the main stream's clock, µs. */
  readonly ptsUs: number
  /** When the frame's packet arrived, ms since the epoch: compare with now for its age. */
  readonly wallMs: number
  readonly width: number
  readonly height: number
  readonly format: SnapshotFormat
  /** Tightly packed pixels (stride = width × bytes per pixel for packed formats). */
  readonly data: Buffer
}

const SCALER_FORMAT: Record<SnapshotFormat, ScaledImageFormat> = { rgb24: 'rgb', rgba: 'rgba', gray8: 'gray', yuv420p: 'yuv420p', nv12: 'nv12' }

export interface MainStreamStats {
  readonly state: SourceState | 'idle'
  readonly packets: number
  /** Packets held since the last keyframe. */
  readonly gopPackets: number
  readonly framesDecoded: number
  readonly snapshots: number
  readonly reconnects: number
}

/**
 * A camera's high-resolution stream, demuxed all the time but decoded only on demand: it keeps
 * the packets since the last keyframe, and `snapshot()` decodes just those not decoded yet, so
 * a sharp crop costs a few frames of decode instead of decoding 4K all day.
 */
export class MainStream implements AsyncDisposable {
  readonly cameraId: string
  /** URL with any password replaced by `***`. */
  readonly url: string
  readonly #o: ResolvedStreamOptions & { readonly maxGopPackets: number }
  readonly #reconnect: ReconnectPolicy | false
  #input: VideoInput | undefined
  #info: VideoStreamInfo | undefined
  readonly #gop: { pkt: Packet; wallMs: number }[] = []
  #decoded = 0
  #last: AvFrame | undefined
  #lastPtsUs = 0
  #lastWallMs = 0
  #scaler: Scaler | undefined
  #closed = false
  readonly #closeController = new AbortController()
  #loop: Promise<void> | undefined
  #listener: ((event: SourceNotice) => void) | undefined
  #state: SourceState | 'idle' = 'idle'
  readonly #stats = { packets: 0, framesDecoded: 0, snapshots: 0, reconnects: 0 }

  private constructor(o: ResolvedStreamOptions & { readonly maxGopPackets: number }, cameraId: string, reconnect: ReconnectPolicy | false, input: VideoInput | undefined) {
    this.#o = o
    this.cameraId = cameraId
    this.url = redactUrl(o.url)
    this.#reconnect = reconnect
    this.#input = input
    this.#info = input?.info
  }

  /** Opens the stream (now with `connect: 'eager'`) and starts demuxing it in the background. */
  static async open(o: ResolvedStreamOptions & { readonly maxGopPackets: number }, cameraId: string, options: { connect: 'eager' | 'lazy'; reconnect: ReconnectPolicy | false }): Promise<MainStream> {
    const input = options.connect === 'eager' ? await VideoInput.open(o, cameraId) : undefined
    const main = new MainStream(o, cameraId, options.reconnect, input)
    // Nothing awaits this loop before close(): a failure in it (a throwing `onEvent`, a native
    // error) ends the main stream as `failed`, never the process with an unhandled rejection.
    main.#loop = main.#run().catch(() => { main.#state = 'failed' })
    return main
  }

  get info(): VideoStreamInfo | undefined {
    return this.#info
  }

  stats(): MainStreamStats {
    return { state: this.#state, gopPackets: this.#gop.length, ...this.#stats }
  }

  /** @internal The Source forwards main-stream state changes to its reader's `onEvent`. */
  setListener(listener: ((event: SourceNotice) => void) | undefined): void {
    this.#listener = listener
  }

  #setState(state: SourceState, detail?: string, attempt?: number): void {
    this.#state = state
    this.#listener?.({
      type: 'source', cameraId: this.cameraId, seq: 0, ptsUs: this.#lastPtsUs, timeMs: Date.now(), state,
      detail: `main stream ${this.url}${detail ? `: ${detail}` : ''}`, ...(attempt === undefined ? {} : { attempt }),
    })
  }

  async #run(): Promise<void> {
    const reconnector = new Reconnector(this.#o.live, this.#reconnect, (state, detail, attempt) => this.#setState(state, detail, attempt), this.#closeController.signal)
    while (!this.#closed) {
      if (this.#input === undefined) {
        let input: VideoInput | undefined
        try {
          input = await reconnector.connect(() => VideoInput.open(this.#o, this.cameraId, { signal: this.#closeController.signal }))
        } catch {
          return // reported as failed
        }
        if (input === undefined) break
        this.#input = input
        this.#info = input.info
      }
      reconnector.resetBackoff()
      this.#setState('playing', `${this.#input.info.codec} ${this.#input.info.width}x${this.#input.info.height}`)
      await this.#demux(this.#input)
      // A file's last GOP stays decodable until close(); a live stream starts over.
      if (!this.#o.live && !this.#closed) { this.#setState('ended'); return }
      this.#clearGop()
      const input = this.#input
      this.#input = undefined
      await input.close()
      if (this.#closed) break
      if (this.#reconnect === false) { this.#setState('failed', 'stream lost and reconnect is off'); return }
      this.#stats.reconnects++
      reconnector.lost('stream ended or connection lost')
    }
  }

  /** Reads packets until the stream ends or breaks; keeps those since the last keyframe. */
  async #demux(input: VideoInput): Promise<void> {
    const pkt = new Packet()
    pkt.alloc()
    try {
      for (;;) {
        const r = await input.read(pkt)
        if (this.#closed || r === AVERROR_EOF || r < 0) return
        if (pkt.streamIndex === input.streamIndex) {
          this.#stats.packets++
          if (pkt.isKeyframe) this.#clearGop()
          if ((this.#gop.length > 0 || pkt.isKeyframe) && this.#gop.length < this.#o.maxGopPackets) {
            const copy = pkt.clone()
            if (copy) this.#gop.push({ pkt: copy, wallMs: Date.now() })
          }
        }
        pkt.unref()
        // Files are not paced by a network: yield so a file main stream does not hog the loop.
        if (!this.#o.live) await new Promise((resolve) => setImmediate(resolve))
      }
    } finally {
      pkt.free()
    }
  }

  #clearGop(): void {
    for (const { pkt } of this.#gop) pkt.free()
    this.#gop.length = 0
    this.#decoded = 0
  }

  /** Decodes what arrived since the last snapshot (from the last keyframe at most). */
  #catchUp(): void {
    const input = this.#input
    if (!input) return
    const frame = this.#last ?? new AvFrame()
    if (!this.#last) { frame.alloc(); this.#last = frame }
    const scratch = new AvFrame()
    scratch.alloc()
    try {
      while (this.#decoded < this.#gop.length) {
        const item = this.#gop[this.#decoded++]!
        if ((input.send(item.pkt, false) as number) < 0) continue
        while ((input.receive(scratch, false) as number) >= 0) {
          this.#stats.framesDecoded++
          frame.unref()
          frame.ref(scratch)
          scratch.unref()
          const tb = input.timeBase
          this.#lastPtsUs = Math.round((Number(frame.bestEffortTimestamp) * tb.num * 1e6) / tb.den)
          this.#lastWallMs = item.wallMs
        }
      }
    } finally {
      scratch.free()
    }
  }

  /**
   * The latest main-stream frame (or a crop of it), copied out, or undefined when no frame has
   * arrived yet. Decodes on the calling thread: cost grows with the packets since the last call.
   */
  async snapshot(options: SnapshotOptions = {}): Promise<Snapshot | undefined> {
    if (this.#closed) throw new OkoError('ERR_CLOSED', `camera "${this.cameraId}": main stream is closed`)
    const o = checkObject('options', options)
    checkKnownKeys('options', o, ['rect', 'relativeTo', 'resize', 'format'])
    const format = checkOneOf('options.format', o.format, Object.keys(SCALER_FORMAT) as SnapshotFormat[], 'rgb24')
    this.#catchUp()
    const frame = this.#last
    if (!frame || frame.width === 0) return undefined
    const crop = options.rect ? cropOf(options.rect, options.relativeTo, frame.width, frame.height) : undefined
    let resize: { width: number; height: number } | undefined
    if (options.resize) {
      resize = {
        width: checkNumber('options.resize.width', options.resize.width, { min: 1, max: 16384, integer: true }),
        height: checkNumber('options.resize.height', options.resize.height, { min: 1, max: 16384, integer: true }),
      }
    }
    this.#scaler ??= new Scaler()
    const data = this.#scaler.toBufferSync(frame, { format: SCALER_FORMAT[format], ...(crop ? { crop } : {}), ...(resize ? { resize } : {}) })
    this.#stats.snapshots++
    return {
      cameraId: this.cameraId, ptsUs: this.#lastPtsUs, wallMs: this.#lastWallMs,
      width: resize?.width ?? crop?.width ?? frame.width, height: resize?.height ?? crop?.height ?? frame.height, format, data,
    }
  }

  /** Stops demuxing and frees the stream, its packets and its last frame. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return this.#loop
    this.#closed = true
    this.#closeController.abort()
    this.#input?.interrupt()
    await this.#loop
    await this.#input?.close()
    this.#clearGop()
    this.#last?.free()
    this.#last = undefined
    this.#scaler?.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** Clamps `rect` (scaled from `relativeTo` when given) to the frame, in whole even-aligned pixels. */
function cropOf(rect: Rect, relativeTo: { width: number; height: number } | undefined, width: number, height: number): { x: number; y: number; width: number; height: number } {
  const sx = relativeTo ? width / relativeTo.width : 1
  const sy = relativeTo ? height / relativeTo.height : 1
  const x0 = Math.max(0, Math.min(width - 2, Math.floor((rect.x * sx) / 2) * 2))
  const y0 = Math.max(0, Math.min(height - 2, Math.floor((rect.y * sy) / 2) * 2))
  const x1 = Math.max(x0 + 2, Math.min(width, Math.ceil(((rect.x + rect.width) * sx) / 2) * 2))
  const y1 = Math.max(y0 + 2, Math.min(height, Math.ceil(((rect.y + rect.height) * sy) / 2) * 2))
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
}
