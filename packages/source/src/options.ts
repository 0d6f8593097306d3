import {
  InvalidOptionError, checkBoolean, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkString,
  type PixelFormat,
} from '@oko/core'
import { DEFAULT_RECONNECT, type ReconnectPolicy } from './backoff.js'
import { checkStreamUrl, defaultCameraId, isLiveUrl } from './url.js'

/**
 * Output pixel format. `auto` passes the decoder's own planes through when every stage reads them
 * (yuv420p, yuvj420p, nv12, gray8: H.264 and HEVC cameras), with no conversion; any other format
 * (rgb24, bgr24, palette, 4:2:2, 4:4:4, 10-bit, …) is converted once by FFmpeg to yuv420p, or to
 * gray8 for grey sources.
 */
export type OutputFormat = 'auto' | PixelFormat

/** RTSP lower transport. `tcp` (interleaved) is the safe default behind NAT and firewalls. */
export type RtspTransport = 'tcp' | 'udp'

/** Options shared by the detect stream and the main stream. */
export interface StreamOptions {
  /** RTSP transport; ignored for other URLs. Default `tcp`. */
  transport?: RtspTransport
  /** Connect and socket read timeout, ms; opening a network stream (connect and first video) gives up after twice this. Default 10 000. */
  timeoutMs?: number
  /** Decoder threads. Default 1: one single-threaded decoder per stream, spread streams over cores. */
  threads?: number
  /** Extra FFmpeg demuxer/protocol options, passed as they are (e.g. `{ buffer_size: '1048576' }`). */
  ffmpegOptions?: Record<string, string>
}

/** The high-resolution stream of a camera, decoded only when a snapshot is asked for. */
export interface MainStreamOptions extends StreamOptions {
  url: string
  /** Most packets kept since the last keyframe (bounds memory on very long GOPs). Default 600. */
  maxGopPackets?: number
}

export interface ReconnectOptions extends Partial<ReconnectPolicy> {}

export interface SourceOptions extends StreamOptions {
  /** Camera id carried by every frame and event. Default: file name, or host + path of the URL. */
  id?: string
  /** Target frame rate. Frames over it are dropped by timestamp before any conversion (counted in `stats()`). */
  fps?: number
  /** Scale in FFmpeg (swscale) to this height; width keeps the aspect ratio (rounded to even) unless given. */
  scale?: { height: number; width?: number }
  /** Output pixel format. Default `auto`. `gray8` without scaling is the decoder's Y plane (no conversion). */
  format?: OutputFormat
  /** Decode keyframes only: other packets are skipped before the decoder. For cheap low-rate monitoring. */
  keyframesOnly?: boolean
  /** Live (real-time, reconnecting) or file. Default: from the URL (rtsp, rtmp, udp, srt, http are live). */
  live?: boolean
  /** Reconnect policy of live sources, or `false` to fail on the first loss. */
  reconnect?: ReconnectOptions | false
  /** Live sources: no frame (or packet) for this long while connected → `stalled` event and reconnect. Default 10 000; 0 disables. */
  stalledAfterMs?: number
  /** `eager` (default) connects in `Source.open` and rejects if it cannot; `lazy` connects when frames are first read, with the reconnect policy from the first attempt. */
  connect?: 'eager' | 'lazy'
  /** Files: start again at the end, timestamps continuing. Default false. */
  loop?: boolean
  /** Files: deliver frames at their timestamps' pace, like a camera. Default false. */
  realtime?: boolean
  /** Decode on libuv's thread pool instead of the calling thread: several sources in one thread decode in parallel, at ~10% more CPU per frame. Default false. */
  asyncDecode?: boolean
  /** Live sources: frames that lag real time by more than this are dropped before conversion (counted, `dropped` event with reason `stale`). Default 0 (off). */
  maxLagMs?: number
  /** High-resolution main stream of the same camera, for sharp crops. A URL or its options. */
  main?: string | MainStreamOptions
}

/** Validated options with defaults filled in. */
export interface ResolvedStreamOptions {
  readonly url: string
  readonly transport: RtspTransport
  readonly timeoutMs: number
  readonly threads: number
  readonly ffmpegOptions: Readonly<Record<string, string>>
  readonly live: boolean
}

export interface ResolvedSourceOptions extends ResolvedStreamOptions {
  readonly id: string
  readonly fps: number | undefined
  readonly scale: { readonly height: number; readonly width: number | undefined } | undefined
  readonly format: OutputFormat
  readonly keyframesOnly: boolean
  readonly reconnect: ReconnectPolicy | false
  readonly stalledAfterMs: number
  readonly connect: 'eager' | 'lazy'
  readonly loop: boolean
  readonly realtime: boolean
  readonly asyncDecode: boolean
  readonly maxLagMs: number
  readonly main: (ResolvedStreamOptions & { readonly maxGopPackets: number }) | undefined
}

const STREAM_KEYS = ['transport', 'timeoutMs', 'threads', 'ffmpegOptions'] as const
const SOURCE_KEYS = [
  ...STREAM_KEYS, 'id', 'fps', 'scale', 'format', 'keyframesOnly', 'live', 'reconnect', 'stalledAfterMs',
  'connect', 'loop', 'realtime', 'asyncDecode', 'maxLagMs', 'main',
] as const
const FORMATS: readonly OutputFormat[] = ['auto', 'gray8', 'yuv420p', 'nv12', 'rgb24', 'bgr24', 'rgba']

function resolveStream(path: string, url: string, o: Record<string, unknown>, live: boolean): ResolvedStreamOptions {
  const ffmpegOptions = checkObject(`${path}.ffmpegOptions`, o.ffmpegOptions, {})
  for (const [key, value] of Object.entries(ffmpegOptions)) checkString(`${path}.ffmpegOptions.${key}`, value, { nonEmpty: false })
  return {
    url,
    transport: checkOneOf(`${path}.transport`, o.transport, ['tcp', 'udp'] as const, 'tcp'),
    timeoutMs: checkNumber(`${path}.timeoutMs`, o.timeoutMs ?? 10_000, { min: 1, max: 3_600_000 }),
    threads: checkNumber(`${path}.threads`, o.threads ?? 1, { min: 0, max: 64, integer: true }),
    ffmpegOptions: ffmpegOptions as Record<string, string>,
    live,
  }
}

function resolveReconnect(value: unknown): ReconnectPolicy | false {
  if (value === false) return false
  const o = checkObject('options.reconnect', value, {})
  checkKnownKeys('options.reconnect', o, Object.keys(DEFAULT_RECONNECT))
  const initialDelayMs = checkNumber('options.reconnect.initialDelayMs', o.initialDelayMs ?? DEFAULT_RECONNECT.initialDelayMs, { min: 0, max: 3_600_000 })
  const maxDelayMs = checkNumber('options.reconnect.maxDelayMs', o.maxDelayMs ?? Math.max(initialDelayMs, DEFAULT_RECONNECT.maxDelayMs), { min: initialDelayMs, max: 3_600_000 })
  const attempts = o.maxAttempts ?? DEFAULT_RECONNECT.maxAttempts
  const maxAttempts = attempts === Infinity ? Infinity : checkNumber('options.reconnect.maxAttempts', attempts, { min: 0, integer: true })
  return {
    initialDelayMs,
    maxDelayMs,
    factor: checkNumber('options.reconnect.factor', o.factor ?? DEFAULT_RECONNECT.factor, { min: 1, max: 10 }),
    jitter: checkNumber('options.reconnect.jitter', o.jitter ?? DEFAULT_RECONNECT.jitter, { min: 0, max: 1 }),
    maxAttempts,
  }
}

/** Validates `Source.open` arguments synchronously; throws InvalidOptionError naming the option and the fix. */
export function resolveSourceOptions(url: unknown, options: unknown = {}): ResolvedSourceOptions {
  const u = checkStreamUrl('url', checkString('url', url))
  const o = checkObject('options', options)
  checkKnownKeys('options', o, SOURCE_KEYS)
  const live = checkBoolean('options.live', o.live, isLiveUrl(u))
  const stream = resolveStream('options', u, o, live)
  let scale: ResolvedSourceOptions['scale']
  if (o.scale !== undefined) {
    const s = checkObject('options.scale', o.scale)
    checkKnownKeys('options.scale', s, ['height', 'width'])
    scale = {
      height: checkNumber('options.scale.height', s.height, { min: 2, max: 8192, integer: true }),
      width: s.width === undefined ? undefined : checkNumber('options.scale.width', s.width, { min: 2, max: 8192, integer: true }),
    }
  }
  let main: ResolvedSourceOptions['main']
  if (o.main !== undefined) {
    const m = typeof o.main === 'string' ? { url: o.main } : checkObject('options.main', o.main)
    checkKnownKeys('options.main', m, [...STREAM_KEYS, 'url', 'maxGopPackets'])
    const mainUrl = checkStreamUrl('options.main.url', checkString('options.main.url', m.url))
    main = {
      ...resolveStream('options.main', mainUrl, m, live || isLiveUrl(mainUrl)),
      maxGopPackets: checkNumber('options.main.maxGopPackets', m.maxGopPackets ?? 600, { min: 1, max: 100_000, integer: true }),
    }
  }
  const loop = checkBoolean('options.loop', o.loop, false)
  const realtime = checkBoolean('options.realtime', o.realtime, false)
  if (live && (loop || realtime)) {
    throw new InvalidOptionError(loop ? 'options.loop' : 'options.realtime', 'applies to files only; this source is live (remove the option or set live: false)')
  }
  return {
    ...stream,
    id: o.id === undefined ? defaultCameraId(u) : checkString('options.id', o.id),
    fps: o.fps === undefined ? undefined : checkNumber('options.fps', o.fps, { min: 0, max: 1000, exclusiveMin: true }),
    scale,
    format: checkOneOf('options.format', o.format, FORMATS, 'auto'),
    keyframesOnly: checkBoolean('options.keyframesOnly', o.keyframesOnly, false),
    reconnect: resolveReconnect(o.reconnect),
    stalledAfterMs: checkNumber('options.stalledAfterMs', o.stalledAfterMs ?? 10_000, { min: 0, max: 3_600_000 }),
    connect: checkOneOf('options.connect', o.connect, ['eager', 'lazy'] as const, 'eager'),
    loop,
    realtime,
    asyncDecode: checkBoolean('options.asyncDecode', o.asyncDecode, false),
    maxLagMs: checkNumber('options.maxLagMs', o.maxLagMs ?? 0, { min: 0, max: 3_600_000 }),
    main,
  }
}
