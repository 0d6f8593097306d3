import { existsSync, statSync } from 'node:fs'
import { OkoError } from '@oko/core'
import { Codec, CodecContext, type CodecParameters, Dictionary, FFmpegError, FormatContext, avGetCodecName, avGetPixFmtName, type Frame as AvFrame, type Packet } from 'node-av/lib'
import {
  AVDISCARD_ALL, AVERROR_DECODER_NOT_FOUND, AVERROR_ENOENT, AVERROR_EXIT, AVERROR_HTTP_FORBIDDEN,
  AVERROR_HTTP_UNAUTHORIZED, AVMEDIA_TYPE_VIDEO, AV_NOPTS_VALUE,
} from 'node-av/constants'
import { loggedAsync, loggedSync } from './log.js'
import type { ResolvedStreamOptions } from './options.js'
import { localPath, redactUrl, urlParts } from './url.js'

/** What a connected video stream offers. */
export interface VideoStreamInfo {
  /** FFmpeg codec name: `h264`, `hevc`, `msmpeg4v3`, `cinepak`, … */
  readonly codec: string
  readonly width: number
  readonly height: number
  /** FFmpeg pixel format name of decoded frames (`yuv420p`, `yuvj420p`, `rgb24`, …). */
  readonly pixelFormat: string
  /** Nominal frame rate, or undefined when the stream does not say. */
  readonly fps: number | undefined
  /** FFmpeg container (demuxer) name: `mov,mp4,m4a,3gp,3g2,mj2`, `mpegts`, `rtsp`, … */
  readonly container: string
}

function ffmpegMessage(code: number): string {
  return FFmpegError.strerror(code)
}

/** A stream's codec for messages: FFmpeg's name, or the container's tag when FFmpeg does not know it. */
export function codecLabel(par: { codecId: number; codecTagString: string | null }): string {
  const name = avGetCodecName(par.codecId as never)
  if (name && name !== 'none') return name
  const tag = par.codecTagString?.replace(/[^\x20-\x7e]/g, '?')
  return tag ? `unknown (tag "${tag}")` : `unknown (codec id ${par.codecId})`
}

/**
 * The error for a network URL FFmpeg could not open. A refused login (RTSP/HTTP 401 or 403) says
 * so and what to fix, never which password was tried; `prefix` names the camera.
 */
export function unreachable(ret: number, url: string, prefix: string): OkoError {
  const shown = redactUrl(url)
  if (ret === AVERROR_HTTP_UNAUTHORIZED || ret === AVERROR_HTTP_FORBIDDEN) {
    const status = ret === AVERROR_HTTP_UNAUTHORIZED ? '401 Unauthorized' : '403 Forbidden'
    const fix = urlParts(url)?.userinfo === undefined
      ? 'it needs a login: give it as rtsp://user:password@host/… or with password_file'
      : 'check the user name and password'
    return new OkoError('ERR_SOURCE_UNREACHABLE', `${prefix}${shown} refused the login (${status}); ${fix}`, { cause: new FFmpegError(ret) })
  }
  return new OkoError('ERR_SOURCE_UNREACHABLE', `${prefix}cannot open ${shown}: ${ffmpegMessage(ret)}`, { cause: new FFmpegError(ret) })
}

/** True for the error of a refused login (see `unreachable`). */
export function isUnauthorized(error: unknown): boolean {
  const code = ((error as { cause?: unknown })?.cause as FFmpegError | undefined)?.code
  return error instanceof OkoError && (code === AVERROR_HTTP_UNAUTHORIZED || code === AVERROR_HTTP_FORBIDDEN)
}

/** Demuxer options for a URL: transport and timeouts for network protocols, the user's extras last. */
export function demuxerOptions(stream: ResolvedStreamOptions): Record<string, string> {
  const out: Record<string, string> = {}
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(stream.url)?.[1]?.toLowerCase()
  const timeoutUs = String(Math.round(stream.timeoutMs * 1000))
  if (scheme === 'rtsp' || scheme === 'rtsps') {
    out.rtsp_transport = stream.transport
    out.timeout = timeoutUs
  } else if (scheme !== undefined && scheme !== 'file') {
    out.rw_timeout = timeoutUs
  }
  return { ...out, ...stream.ffmpegOptions }
}

/**
 * One demuxer + one video decoder on the FFmpeg low-level API. Owns native handles: `close()`
 * frees them after any read in flight has returned. Not safe for concurrent reads.
 */
export class VideoInput {
  readonly #fc: FormatContext
  readonly #cc: CodecContext
  readonly streamIndex: number
  readonly timeBase: { readonly num: number; readonly den: number }
  /** The video stream's codec parameters (clips copy them). */
  get codecpar(): CodecParameters {
    return this.#fc.streams[this.streamIndex]!.codecpar
  }
  readonly info: VideoStreamInfo
  /** Stream start time in stream time base (0 when unknown). */
  readonly startPts: bigint
  #pending: Promise<unknown> | undefined
  #closed = false

  /** Whose FFmpeg log lines this input's calls produce. */
  readonly #cameraId: string

  private constructor(fc: FormatContext, cc: CodecContext, streamIndex: number, info: VideoStreamInfo, cameraId: string) {
    this.#cameraId = cameraId
    this.#fc = fc
    this.#cc = cc
    this.streamIndex = streamIndex
    const stream = fc.streams[streamIndex]!
    this.timeBase = { num: stream.timeBase.num, den: stream.timeBase.den }
    this.startPts = stream.startTime === AV_NOPTS_VALUE ? 0n : stream.startTime
    this.info = info
  }

  /**
   * Opens `stream.url` and its best video stream's decoder. Rejects with OkoError:
   * ERR_FILE_NOT_FOUND, ERR_SOURCE_UNREACHABLE, ERR_INVALID_INPUT (not a readable video), ERR_UNSUPPORTED.
   */
  static async open(stream: ResolvedStreamOptions, cameraId: string, opts: { keyframesOnly?: boolean; signal?: AbortSignal } = {}): Promise<VideoInput> {
    const shown = redactUrl(stream.url)
    const path = localPath(stream.url)
    if (path !== undefined && !existsSync(path)) {
      throw new OkoError('ERR_FILE_NOT_FOUND', `camera "${cameraId}": file not found: ${path}`)
    }
    if (path !== undefined && statSync(path).isDirectory()) {
      throw new OkoError('ERR_INVALID_INPUT', `camera "${cameraId}": ${path} is a directory, not a video file`)
    }
    const fc = new FormatContext()
    fc.allocContext()
    const dict = Dictionary.fromObject(demuxerOptions(stream))
    // a network stream that connects but never sends video (a UDP port nobody sends to) would
    // keep FFmpeg's open waiting for ever: the whole open gives up after twice timeoutMs
    let timedOut = false
    const deadline = path === undefined ? setTimeout(() => { timedOut = true; fc.interrupt() }, 2 * stream.timeoutMs) : undefined
    const onAbort = (): void => fc.interrupt()
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    const noVideo = (): OkoError => new OkoError('ERR_SOURCE_UNREACHABLE', `camera "${cameraId}": no video from ${shown} within ${2 * stream.timeoutMs} ms; is the camera sending? (the wait is twice options.timeoutMs)`)
    try {
      let ret: number
      try {
        ret = await loggedAsync(cameraId, () => fc.openInput(path ?? stream.url, null, dict))
      } finally {
        dict.free()
      }
      if (ret < 0) {
        fc.freeContext()
        const reason = ffmpegMessage(ret)
        if (opts.signal?.aborted) throw new OkoError('ERR_ABORTED', `camera "${cameraId}": opening ${shown} was aborted`)
        if (timedOut) throw noVideo()
        if (ret === AVERROR_EXIT) throw new OkoError('ERR_ABORTED', `camera "${cameraId}": opening ${shown} was aborted`)
        if (path !== undefined) {
          if (ret === AVERROR_ENOENT) throw new OkoError('ERR_FILE_NOT_FOUND', `camera "${cameraId}": file not found: ${path}`)
          throw new OkoError('ERR_INVALID_INPUT', `camera "${cameraId}": cannot read ${path} as video (${reason}); is it truncated or not a video file?`, { cause: new FFmpegError(ret) })
        }
        throw unreachable(ret, stream.url, `camera "${cameraId}": `)
      }
      try {
        return await VideoInput.#setup(fc, stream, cameraId, shown, opts.keyframesOnly ?? false)
      } catch (error) {
        await loggedAsync(cameraId, () => fc.closeInput())
        fc.freeContext()
        if (timedOut) throw noVideo()
        if (opts.signal?.aborted) throw new OkoError('ERR_ABORTED', `camera "${cameraId}": opening ${shown} was aborted`)
        throw error
      }
    } finally {
      clearTimeout(deadline)
      opts.signal?.removeEventListener('abort', onAbort)
    }
  }

  static async #setup(fc: FormatContext, stream: ResolvedStreamOptions, cameraId: string, shown: string, keyframesOnly: boolean): Promise<VideoInput> {
    const ret = await loggedAsync(cameraId, () => fc.findStreamInfo(null))
    if (ret < 0) {
      throw new OkoError(stream.live ? 'ERR_SOURCE_FAILED' : 'ERR_INVALID_INPUT', `camera "${cameraId}": cannot read stream info from ${shown}: ${ffmpegMessage(ret)}`)
    }
    const index = fc.findBestStream(AVMEDIA_TYPE_VIDEO)
    const st = index >= 0 ? fc.streams[index] : undefined
    if (st === undefined) {
      throw new OkoError('ERR_UNSUPPORTED', `camera "${cameraId}": ${shown} has no video stream`)
    }
    for (const other of fc.streams) if (other.index !== index) other.discard = AVDISCARD_ALL
    const par = st.codecpar
    const codecName = codecLabel(par)
    const codec = Codec.findDecoder(par.codecId)
    if (codec === null) {
      throw new OkoError('ERR_UNSUPPORTED', `camera "${cameraId}": ${shown} has video codec ${codecName}, which this FFmpeg build cannot decode`, { cause: new FFmpegError(AVERROR_DECODER_NOT_FOUND) })
    }
    const cc = new CodecContext()
    cc.allocContext3(codec)
    let r = cc.parametersToContext(par)
    if (r >= 0) {
      cc.pktTimebase = st.timeBase
      cc.threadCount = stream.threads
      if (keyframesOnly) cc.setOption('skip_frame', 'nokey')
      r = await loggedAsync(cameraId, () => cc.open2(codec, null))
    }
    if (r < 0) {
      cc.freeContext()
      throw new OkoError('ERR_UNSUPPORTED', `camera "${cameraId}": cannot open the ${codecName} decoder for ${shown}: ${ffmpegMessage(r)}`, { cause: new FFmpegError(r) })
    }
    const rate = st.avgFrameRate.num > 0 && st.avgFrameRate.den > 0 ? st.avgFrameRate : st.rFrameRate
    const info: VideoStreamInfo = {
      codec: codecName,
      width: par.width,
      height: par.height,
      pixelFormat: avGetPixFmtName(par.format as never) ?? 'unknown',
      fps: rate.num > 0 && rate.den > 0 ? rate.num / rate.den : undefined,
      container: fc.iformat?.name ?? 'unknown',
    }
    return new VideoInput(fc, cc, index, info, cameraId)
  }

  /**
   * Reads the next packet of any stream into `pkt`. `sync` reads on the calling thread (local
   * files: no thread-pool hop per packet); otherwise the wait happens off the event loop.
   */
  read(pkt: Packet, sync = false): number | Promise<number> {
    if (this.#closed) return AVERROR_EXIT
    if (sync) return loggedSync(this.#cameraId, () => this.#fc.readFrameSync(pkt))
    const p = loggedAsync(this.#cameraId, () => this.#fc.readFrame(pkt))
    this.#pending = p
    return p
  }

  /** Sends a packet (or null to flush) to the decoder. */
  send(pkt: Packet | null, async: boolean): number | Promise<number> {
    return async ? this.#track(loggedAsync(this.#cameraId, () => this.#cc.sendPacket(pkt))) : loggedSync(this.#cameraId, () => this.#cc.sendPacketSync(pkt))
  }

  /** Receives a decoded frame: 0, AVERROR_EAGAIN (needs input) or AVERROR_EOF. */
  receive(frame: AvFrame, async: boolean): number | Promise<number> {
    return async ? this.#track(loggedAsync(this.#cameraId, () => this.#cc.receiveFrame(frame))) : loggedSync(this.#cameraId, () => this.#cc.receiveFrameSync(frame))
  }

  #track(p: Promise<number>): Promise<number> {
    this.#pending = p
    return p
  }

  /** Makes a blocking read return at once (watchdog, abort, close). */
  interrupt(): void {
    if (!this.#closed) this.#fc.interrupt()
  }

  /** Frees the decoder and demuxer after any call in flight returns. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#fc.interrupt()
    await this.#pending?.catch(() => undefined)
    this.#cc.freeContext()
    await loggedAsync(this.#cameraId, () => this.#fc.closeInput())
    this.#fc.freeContext()
  }
}

