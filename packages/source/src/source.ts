import { OkoError, type Frame, type FrameReadOptions, type FrameSource, type SourceState } from '@oko/core'
import { Frame as AvFrame, FFmpegError, Packet } from 'node-av/lib'
import { AVERROR_EAGAIN, AVERROR_EOF, AV_NOPTS_VALUE, AV_PKT_FLAG_CORRUPT } from 'node-av/constants'
import { sleep } from './backoff.js'
import { FrameConverter } from './convert.js'
import { VideoInput, type VideoStreamInfo } from './input.js'
import type { PacketRing } from './clips/packet-ring.js'
import { MainStream } from './main-stream.js'
import { Notices } from './notices.js'
import { resolveSourceOptions, type ResolvedSourceOptions, type SourceOptions } from './options.js'
import { RateLimiter } from './rate.js'
import { Reconnector } from './reconnect.js'
import { localPath, redactUrl } from './url.js'

/** Counters of one source since it was opened. Plain data: safe to log and send. */
export interface SourceStats {
  readonly state: SourceState | 'idle'
  /** Frames out of the decoder (the last `seq`). */
  readonly framesDecoded: number
  /** Frames yielded to the reader. */
  readonly framesDelivered: number
  /** Frames dropped by the `fps` target, before conversion. */
  readonly framesDroppedByRate: number
  /** Live frames dropped for lagging more than `maxLagMs`, before conversion. */
  readonly framesDroppedStale: number
  /** Non-key packets never decoded (`keyframesOnly`). */
  readonly packetsSkipped: number
  /** Packets the demuxer flagged corrupt, or that the decoder rejected, or read errors. */
  readonly corruptPackets: number
  /** Decoded frames the decoder marked as damaged (concealed errors). */
  readonly damagedFrames: number
  readonly reconnects: number
  readonly stalls: number
  readonly resolutionChanges: number
  /** Size of the last decoded frame (before scaling), 0 before the first. */
  readonly width: number
  readonly height: number
}

type Outcome = 'eof' | 'lost' | 'stalled' | 'aborted'

/** Native buffers of one `frames()` run; freed once, by the run or by `close()`. */
class RunBuffers {
  readonly pkt = new Packet()
  readonly frame = new AvFrame()
  readonly converter: FrameConverter
  #freed = false
  constructor(o: ResolvedSourceOptions) {
    this.pkt.alloc()
    this.frame.alloc()
    this.converter = new FrameConverter(o.scale, o.format)
  }
  free(): void {
    if (this.#freed) return
    this.#freed = true
    this.pkt.free()
    this.frame.free()
    this.converter.close()
  }
}

/**
 * A camera or a file, decoded with FFmpeg (node-av). Open with {@link Source.open}, read with
 * `for await (const frame of source.frames())`, close with `close()` or `await using`.
 *
 * Frames are **borrowed**: valid until the iterator advances (the next `next()` call). Their
 * planes are views of memory the source refills with the next frame (copied out of the decoder on
 * first read: a frame nobody reads costs no copy); frames at the decoded size also copy their
 * luma straight into memory the reader owns with `copyLumaTo` (see {@link SourceFrame}). Copy
 * what you keep.
 *
 * One demuxer and one single-threaded decoder per stream, no module-level state: open as many
 * sources in one process as the cores can decode. Packet reads wait on libuv's thread pool (so
 * a quiet camera never blocks the event loop) and return at once when data is buffered: dozens
 * of live sources share the default 4 threads (48 RTSP sources ran in real time in one test
 * process); raise `UV_THREADPOOL_SIZE` if the application's own fs/dns work queues behind them.
 * Decoding runs on the calling thread unless `asyncDecode` is set.
 */
export class Source implements FrameSource {
  readonly cameraId: string
  readonly live: boolean
  /** The URL or path with any password replaced by `***`. */
  readonly url: string
  /** The camera's high-resolution stream, when `options.main` was given. */
  readonly main: MainStream | undefined
  readonly #o: ResolvedSourceOptions
  #input: VideoInput | undefined
  #info: VideoStreamInfo | undefined
  #running = false
  #ended = false
  #closed = false
  #closing: Promise<void> | undefined
  /** Aborted by close(): wakes backoff and pacing waits. */
  readonly #closeController = new AbortController()
  /** Where video packets are also kept for clips (`recordPackets`). */
  #packetRing: PacketRing | undefined
  #buffers: RunBuffers | undefined
  #state: SourceState | 'idle' = 'idle'
  #seq = 0
  #lastPtsUs = 0
  #ptsOffsetUs = 0
  #connectionFrames = 0
  #connections = 0
  #lagBaseMs = Infinity
  #paceBaseMs = 0
  #lastWidth = 0
  #lastHeight = 0
  readonly #rate: RateLimiter
  readonly #stats = {
    framesDelivered: 0, framesDroppedByRate: 0, framesDroppedStale: 0, packetsSkipped: 0, corruptPackets: 0,
    damagedFrames: 0, reconnects: 0, stalls: 0, resolutionChanges: 0,
  }

  private constructor(o: ResolvedSourceOptions, input: VideoInput | undefined, main: MainStream | undefined) {
    this.#o = o
    this.cameraId = o.id
    this.live = o.live
    this.url = redactUrl(o.url)
    this.main = main
    this.#input = input
    this.#info = input?.info
    this.#rate = new RateLimiter(o.fps)
  }

  /**
   * Opens a file (mp4, mkv, ts, avi, … anything FFmpeg reads) or a live URL (rtsp://…).
   * Options are validated first (InvalidOptionError). With `connect: 'eager'` (default) the
   * stream is opened here, so a missing file (ERR_FILE_NOT_FOUND), an unreachable camera
   * (ERR_SOURCE_UNREACHABLE), an unreadable file (ERR_INVALID_INPUT) or an unsupported codec
   * (ERR_UNSUPPORTED) rejects now, naming the camera and the redacted URL.
   */
  static async open(url: string, options: SourceOptions = {}): Promise<Source> {
    const o = resolveSourceOptions(url, options)
    const input = o.connect === 'eager' ? await VideoInput.open(o, o.id, { keyframesOnly: o.keyframesOnly }) : undefined
    let main: MainStream | undefined
    try {
      if (o.main) main = await MainStream.open(o.main, o.id, { connect: o.connect, reconnect: o.reconnect })
    } catch (error) {
      await input?.close()
      throw error
    }
    return new Source(o, input, main)
  }

  /** Keeps this stream's compressed video packets in `ring` too (for clips), or stops with undefined. */
  recordPackets(ring: PacketRing | undefined): void {
    this.#packetRing = ring
  }

  /** Codec, size, frame rate and container of the stream as last connected; undefined before. */
  get info(): VideoStreamInfo | undefined {
    return this.#info
  }

  stats(): SourceStats {
    return { state: this.#state, framesDecoded: this.#seq, ...this.#stats, width: this.#lastWidth, height: this.#lastHeight }
  }

  /**
   * Decoded frames, in presentation order, each **borrowed** until the iterator advances.
   * One reader at a time. Files end after the last frame (`ended`); live sources reconnect
   * until `close()`, the signal, or the reconnect policy gives up (`failed`, then the iterator
   * throws ERR_SOURCE_UNREACHABLE). State changes, drops and corrupt data arrive as `onEvent`.
   */
  frames(options: FrameReadOptions = {}): AsyncIterable<Frame> {
    return { [Symbol.asyncIterator]: () => this.#run(options) }
  }

  async *#run(options: FrameReadOptions): AsyncGenerator<Frame, void, undefined> {
    if (this.#closed) throw new OkoError('ERR_CLOSED', `camera "${this.cameraId}": source is closed`)
    if (this.#running) throw new OkoError('ERR_INVALID_INPUT', `camera "${this.cameraId}": frames() is already being read; one reader at a time`)
    if (this.#ended) return
    this.#running = true
    const notices = new Notices(this.cameraId, options.onEvent)
    const signal = options.signal
    const wake = signal ? AbortSignal.any([signal, this.#closeController.signal]) : this.#closeController.signal
    const onAbort = (): void => this.#input?.interrupt()
    signal?.addEventListener('abort', onAbort, { once: true })
    const buffers = new RunBuffers(this.#o)
    this.#buffers = buffers
    this.main?.setListener(options.onEvent)
    const reconnector = new Reconnector(this.live, this.#o.reconnect, (state, detail, attempt) => this.#setState(notices, state, detail, attempt), wake)
    let looping = false
    try {
      while (!this.#closed && !signal?.aborted) {
        if (this.#input === undefined) {
          const input = await reconnector.connect(() => VideoInput.open(this.#o, this.cameraId, { keyframesOnly: this.#o.keyframesOnly, signal: wake }), { quiet: looping })
          if (input === undefined) break
          this.#input = input
          this.#info = input.info
        }
        this.#connections++
        this.#connectionFrames = 0
        this.#lagBaseMs = Infinity
        const outcome = yield* this.#pump(this.#input, buffers, notices, signal, () => reconnector.resetBackoff())
        await this.#dropInput()
        if (outcome === 'aborted' || this.#closed || signal?.aborted) break
        if (!this.live) {
          if (outcome === 'eof' && this.#o.loop) { looping = true; continue }
          notices.flushDrops(this.#at())
          this.#ended = true
          this.#setState(notices, 'ended', outcome === 'eof' ? 'end of file' : 'read error')
          return
        }
        if (this.#o.reconnect === false) {
          const error = new OkoError('ERR_SOURCE_FAILED', `camera "${this.cameraId}": lost ${this.url} (${outcome === 'stalled' ? 'stalled' : 'stream ended'}) and reconnect is off`)
          this.#setState(notices, 'failed', error.message)
          throw error
        }
        this.#stats.reconnects++
        reconnector.lost(outcome === 'stalled' ? `no frames for ${this.#o.stalledAfterMs} ms` : 'stream ended or connection lost')
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      this.main?.setListener(undefined)
      buffers.free()
      this.#buffers = undefined
      this.#running = false
    }
  }

  async *#pump(input: VideoInput, buffers: RunBuffers, notices: Notices, signal: AbortSignal | undefined, onPlaying: () => void): AsyncGenerator<Frame, Outcome, undefined> {
    const { pkt } = buffers
    const stallMs = this.live ? this.#o.stalledAfterMs : 0
    // Local files are read on the calling thread like they are decoded; network reads wait on the pool.
    const syncRead = !this.live && !this.#o.asyncDecode && localPath(this.#o.url) !== undefined
    let stalled = false
    let lastVideoMs = Date.now()
    let readErrors = 0
    const onStall = (): void => { stalled = true; input.interrupt() }
    for (;;) {
      let timer: NodeJS.Timeout | undefined
      if (stallMs > 0) timer = setTimeout(onStall, Math.max(1, stallMs - (Date.now() - lastVideoMs)))
      const r = await input.read(pkt, syncRead)
      if (timer) clearTimeout(timer)
      if (this.#closed || signal?.aborted) { pkt.unref(); return 'aborted' }
      if (stalled || (stallMs > 0 && Date.now() - lastVideoMs > stallMs)) {
        pkt.unref()
        this.#stats.stalls++
        this.#setState(notices, 'stalled', `connected but no frames for ${stallMs} ms`)
        return 'stalled'
      }
      if (r === AVERROR_EOF || (r < 0 && this.live)) {
        if (r !== AVERROR_EOF) notices.error(new OkoError('ERR_SOURCE_FAILED', `camera "${this.cameraId}": reading ${this.url} failed: ${ffmpegError(r)}`), this.#at())
        if (!this.live) yield* this.#drain(input, null, buffers, notices, onPlaying)
        return r === AVERROR_EOF ? 'eof' : 'lost'
      }
      if (r < 0) {
        // A file's demuxer hit damaged data: count it, report it, and try to read past it.
        this.#stats.corruptPackets++
        notices.error(new OkoError('ERR_DECODE', `camera "${this.cameraId}": damaged data in ${this.url}: ${ffmpegError(r)}`), this.#at())
        if (++readErrors > 64) return 'lost'
        continue
      }
      readErrors = 0
      if (pkt.streamIndex !== input.streamIndex) { pkt.unref(); continue }
      this.#packetRing?.push(pkt, input, this.#ptsOffsetUs)
      lastVideoMs = Date.now()
      if ((pkt.flags & AV_PKT_FLAG_CORRUPT) !== 0) {
        this.#stats.corruptPackets++
        notices.error(new OkoError('ERR_DECODE', `camera "${this.cameraId}": the demuxer flagged a corrupt packet`), this.#at())
      }
      if (this.#o.keyframesOnly && !pkt.isKeyframe) { this.#stats.packetsSkipped++; pkt.unref(); continue }
      yield* this.#drain(input, pkt, buffers, notices, onPlaying)
      lastVideoMs = Date.now()
    }
  }

  /** Sends `pkt` (null: flush) and yields every frame the decoder returns. */
  async *#drain(input: VideoInput, pkt: Packet | null, buffers: RunBuffers, notices: Notices, onPlaying: () => void): AsyncGenerator<Frame, void, undefined> {
    const async = this.#o.asyncDecode
    const sent = await input.send(pkt, async)
    pkt?.unref()
    if (sent < 0 && sent !== AVERROR_EAGAIN && sent !== AVERROR_EOF) {
      this.#stats.corruptPackets++
      notices.error(new OkoError('ERR_DECODE', `camera "${this.cameraId}": the ${input.info.codec} decoder rejected a packet: ${ffmpegError(sent)}`), this.#at())
      return
    }
    const { frame } = buffers
    for (;;) {
      const r = await input.receive(frame, async)
      if (r < 0) return
      const out = await this.#deliver(frame, input, buffers, notices, onPlaying)
      if (out) yield out
      buffers.converter.release()
      frame.unref()
      if (this.#closed) return
    }
  }

  /** Numbers, checks and converts one decoded frame; undefined when it is dropped. */
  async #deliver(frame: AvFrame, input: VideoInput, buffers: RunBuffers, notices: Notices, onPlaying: () => void): Promise<Frame | undefined> {
    const seq = ++this.#seq
    const ptsUs = this.#ptsUs(frame, input)
    const wallMs = Date.now()
    if (this.#connectionFrames++ === 0) {
      onPlaying()
      if (this.#state !== 'playing') this.#setState(notices, 'playing', `${input.info.codec} ${frame.width}x${frame.height}`)
    }
    if (frame.width !== this.#lastWidth || frame.height !== this.#lastHeight) {
      if (this.#lastWidth !== 0) {
        this.#stats.resolutionChanges++
        notices.state('playing', { seq, ptsUs }, `resolution changed from ${this.#lastWidth}x${this.#lastHeight} to ${frame.width}x${frame.height}`)
      }
      this.#lastWidth = frame.width
      this.#lastHeight = frame.height
    }
    if (frame.decodeErrorFlags !== 0) {
      this.#stats.damagedFrames++
      notices.error(new OkoError('ERR_DECODE', `camera "${this.cameraId}": frame ${seq} decoded with errors (damaged or missing data)`), { seq, ptsUs })
    }
    if (!this.#rate.accept(ptsUs)) { this.#stats.framesDroppedByRate++; return undefined }
    if (this.live && this.#o.maxLagMs > 0) {
      const behindMs = wallMs - ptsUs / 1000
      this.#lagBaseMs = Math.min(this.#lagBaseMs, behindMs)
      if (behindMs - this.#lagBaseMs > this.#o.maxLagMs) {
        this.#stats.framesDroppedStale++
        notices.dropped({ seq, ptsUs })
        return undefined
      }
    }
    if (this.#o.realtime) {
      if (this.#connectionFrames === 1 && this.#connections === 1) this.#paceBaseMs = wallMs - ptsUs / 1000
      const waitMs = this.#paceBaseMs + ptsUs / 1000 - Date.now()
      if (waitMs > 1) await sleep(waitMs, this.#closeController.signal)
      if (this.#closed) return undefined
    }
    let out: Frame
    try {
      out = buffers.converter.frame(frame, { cameraId: this.cameraId, seq, ptsUs, wallMs })
    } catch (cause) {
      // FFmpeg refused the frame's size or format (the converter's own errors say which call)
      throw new OkoError('ERR_DECODE', `camera "${this.cameraId}": cannot convert frame ${seq} (${frame.width}x${frame.height}) to options.format ${this.#o.format}${this.#o.scale ? ` at options.scale.height ${this.#o.scale.height}` : ''}: ${(cause as Error).message}; try format 'auto' or another scale`, { cause })
    }
    this.#stats.framesDelivered++
    return out
  }

  /**
   * Presentation time in µs on the stream's clock, made continuous across reconnects and loops
   * (each new connection continues one frame after the last) and strictly increasing.
   */
  #ptsUs(frame: AvFrame, input: VideoInput): number {
    const stepUs = input.info.fps ? 1e6 / input.info.fps : 40_000
    let pts = frame.bestEffortTimestamp
    if (pts === AV_NOPTS_VALUE) pts = frame.pts
    let rawUs = pts === AV_NOPTS_VALUE ? NaN : (Number(pts) * input.timeBase.num * 1e6) / input.timeBase.den
    if (Number.isNaN(rawUs)) rawUs = this.#lastPtsUs + stepUs - this.#ptsOffsetUs
    if (this.#connectionFrames === 0 && this.#seq > 1) this.#ptsOffsetUs = this.#lastPtsUs + stepUs - rawUs
    let ptsUs = Math.round(rawUs + this.#ptsOffsetUs)
    if (this.#seq > 1 && ptsUs <= this.#lastPtsUs) {
      this.#ptsOffsetUs += this.#lastPtsUs + stepUs - ptsUs
      ptsUs = Math.round(rawUs + this.#ptsOffsetUs)
    }
    this.#lastPtsUs = ptsUs
    return ptsUs
  }

  #at(): { seq: number; ptsUs: number } {
    return { seq: this.#seq, ptsUs: this.#lastPtsUs }
  }

  #setState(notices: Notices, state: SourceState, detail?: string, attempt?: number): void {
    this.#state = state
    notices.state(state, this.#at(), detail, attempt)
  }

  async #dropInput(): Promise<void> {
    const input = this.#input
    this.#input = undefined
    await input?.close()
  }

  /** Stops decoding (a reader's pending `next()` ends), frees every native handle. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true
      this.#closeController.abort()
      this.#input?.interrupt()
      await this.#dropInput()
      await this.main?.close()
      this.#buffers?.free()
    })()
    return this.#closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

function ffmpegError(code: number): string {
  return `${FFmpegError.strerror(code)} (${code})`
}
