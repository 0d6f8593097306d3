import { OkoError, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkString, type PixelFormat } from '@oko/core'
import { Codec, Dictionary, FFmpegError, FormatContext, SoftwareScaleContext, avGetCodecName, avGetMediaTypeString, avGetPixFmtName } from 'node-av/lib'
import { AVMEDIA_TYPE_VIDEO, AV_NOPTS_VALUE, AV_PIX_FMT_YUV420P, SWS_BILINEAR, type AVPixelFormat } from 'node-av/constants'
import { autoFormatOf } from './convert.js'
import { codecLabel } from './input.js'
import { existsSync } from 'node:fs'
import { demuxerOptions, unreachable } from './input.js'
import { isLiveUrl, localPath, redactUrl } from './url.js'

/** One elementary stream of a probed source. */
export interface ProbedStream {
  readonly index: number
  /** `video`, `audio`, `data`, `subtitle`, `attachment` or `unknown`. */
  readonly type: string
  /** FFmpeg codec name (`h264`, `hevc`, `aac`, `pcm_mulaw`, …). */
  readonly codec: string
  readonly profile?: string
  readonly width?: number
  readonly height?: number
  readonly pixelFormat?: string
  readonly fps?: number
  readonly sampleRate?: number
  readonly channels?: number
  readonly bitRate?: number
  /** Frame count when the container states it (files). */
  readonly frames?: number
}

export interface ProbeResult {
  /** The URL or path, password redacted. */
  readonly url: string
  readonly live: boolean
  /** FFmpeg container (demuxer) name. */
  readonly container: string
  /** Duration in ms; undefined for live streams and containers that do not say. */
  readonly durationMs: number | undefined
  readonly bitRate: number | undefined
  readonly streams: readonly ProbedStream[]
  /** Index of the stream a Source would decode (the best video stream), or -1. */
  readonly videoStream: number
  /** How a Source would decode that stream with `format: 'auto'`, or why it cannot; undefined without video. */
  readonly decoding: ProbedDecoding | undefined
}

/**
 * `decodable`: the frames a Source would deliver (`format`), and whether FFmpeg converts them
 * once from the decoder's format (`from`) first; otherwise why oko cannot decode the stream.
 */
export type ProbedDecoding =
  | { readonly decodable: true; readonly format: PixelFormat; readonly from?: string }
  | { readonly decodable: false; readonly reason: string }

export interface ProbeOptions {
  transport?: 'tcp' | 'udp'
  timeoutMs?: number
}

/**
 * What a file or camera URL offers: container, duration, and every stream with codec,
 * resolution and frame rate. Cameras list sub-streams as separate URLs: probe each.
 * Rejects like `Source.open` (ERR_FILE_NOT_FOUND, ERR_SOURCE_UNREACHABLE, ERR_INVALID_INPUT).
 */
export async function probe(url: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const u = checkString('url', url)
  const o = checkObject('options', options)
  checkKnownKeys('options', o, ['transport', 'timeoutMs'])
  const transport = checkOneOf('options.transport', o.transport, ['tcp', 'udp'] as const, 'tcp')
  const timeoutMs = checkNumber('options.timeoutMs', o.timeoutMs ?? 10_000, { min: 1 })
  const shown = redactUrl(u)
  const path = localPath(u)
  if (path !== undefined && !existsSync(path)) throw new OkoError('ERR_FILE_NOT_FOUND', `file not found: ${path}`)
  const live = isLiveUrl(u)
  const fc = new FormatContext()
  fc.allocContext()
  const dict = Dictionary.fromObject(demuxerOptions({ url: u, transport, timeoutMs, threads: 1, ffmpegOptions: {}, live }))
  // a stream that never sends (a UDP port nobody sends to) would keep the probe waiting for ever
  let timedOut = false
  const deadline = path === undefined ? setTimeout(() => { timedOut = true; fc.interrupt() }, 2 * timeoutMs) : undefined
  const noData = (): OkoError => new OkoError('ERR_SOURCE_UNREACHABLE', `no data from ${shown} within ${2 * timeoutMs} ms; is it sending? (the wait is twice the timeout, --timeout-ms)`)
  let ret: number
  try {
    ret = await fc.openInput(path ?? u, null, dict)
  } finally {
    dict.free()
  }
  if (ret < 0) {
    clearTimeout(deadline)
    fc.freeContext()
    if (timedOut) throw noData()
    const reason = FFmpegError.strerror(ret)
    if (path !== undefined) throw new OkoError('ERR_INVALID_INPUT', `cannot read ${path} as media (${reason})`, { cause: new FFmpegError(ret) })
    throw unreachable(ret, u, '')
  }
  try {
    ret = await fc.findStreamInfo(null)
    clearTimeout(deadline)
    if (timedOut) throw noData()
    if (ret < 0) throw new OkoError('ERR_INVALID_INPUT', `cannot read stream info from ${shown}: ${FFmpegError.strerror(ret)}`)
    const streams = fc.streams.map((st): ProbedStream => {
      const par = st.codecpar
      const type = avGetMediaTypeString(par.codecType) ?? 'unknown'
      const rate = st.avgFrameRate.num > 0 && st.avgFrameRate.den > 0 ? st.avgFrameRate : st.rFrameRate
      const out: Record<string, unknown> = { index: st.index, type, codec: avGetCodecName(par.codecId) ?? 'unknown' }
      if (type === 'video') {
        out.width = par.width
        out.height = par.height
        const pix = avGetPixFmtName(par.format as never)
        if (pix) out.pixelFormat = pix
        if (rate.num > 0 && rate.den > 0) out.fps = Math.round((rate.num / rate.den) * 1000) / 1000
        if (st.nbFrames > 0n) out.frames = Number(st.nbFrames)
      } else if (type === 'audio') {
        out.sampleRate = par.sampleRate
        out.channels = par.channels
      }
      if (par.bitRate > 0n) out.bitRate = Number(par.bitRate)
      return out as unknown as ProbedStream
    })
    const best = fc.findBestStream(AVMEDIA_TYPE_VIDEO)
    const videoStream = best >= 0 ? streams.findIndex((st) => st.index === best) : -1
    const duration = fc.duration
    return {
      url: shown,
      live,
      container: fc.iformat?.name ?? 'unknown',
      durationMs: !live && duration !== AV_NOPTS_VALUE && duration > 0n ? Math.round(Number(duration) / 1000) : undefined,
      bitRate: fc.bitRate > 0n ? Number(fc.bitRate) : undefined,
      streams,
      videoStream,
      decoding: videoStream >= 0 ? decodingOf(fc.streams[best]!.codecpar) : undefined,
    }
  } finally {
    clearTimeout(deadline)
    await fc.closeInput()
    fc.freeContext()
  }
}

/** Whether FFmpeg has a decoder for the stream and swscale can read what it decodes to. */
function decodingOf(par: { codecId: number; codecTagString: string | null; format: number; width: number; height: number }): ProbedDecoding {
  if (Codec.findDecoder(par.codecId as never) === null) return { decodable: false, reason: `video codec ${codecLabel(par)}, which this FFmpeg build cannot decode` }
  // unknown until a frame is decoded: the Source converts whatever comes
  if (par.format < 0) return { decodable: true, format: 'yuv420p' }
  const name = avGetPixFmtName(par.format as AVPixelFormat) ?? `pixel format ${par.format}`
  const format = autoFormatOf(par.format)
  if (name === format || (name === 'yuvj420p' && format === 'yuv420p') || (name === 'gray' && format === 'gray8')) return { decodable: true, format }
  const sws = new SoftwareScaleContext()
  try {
    sws.getContext(Math.max(2, par.width), Math.max(2, par.height), par.format as AVPixelFormat, 16, 16, AV_PIX_FMT_YUV420P, SWS_BILINEAR)
  } catch {
    return { decodable: false, reason: `FFmpeg cannot convert ${name} frames (swscale does not read that format)` }
  } finally {
    sws.freeContext()
  }
  return { decodable: true, format, from: name }
}
