/**
 * @oko/source: cameras and files in, borrowed decoded frames out (FFmpeg through node-av).
 * Frames are borrowed: valid until the iterator advances. Snapshots are owned copies.
 */
export { Source, type SourceStats } from './source.js'
export { MainStream, type MainStreamStats, type Snapshot, type SnapshotFormat, type SnapshotOptions } from './main-stream.js'
export { probe, type ProbeOptions, type ProbeResult, type ProbedDecoding, type ProbedStream } from './probe.js'
export type { VideoStreamInfo } from './input.js'
export type { SourceFrame } from './convert.js'
export {
  resolveSourceOptions, type MainStreamOptions, type OutputFormat, type ReconnectOptions, type ResolvedSourceOptions,
  type RtspTransport, type SourceOptions, type StreamOptions,
} from './options.js'
export { DEFAULT_RECONNECT, backoffDelayMs, type ReconnectPolicy } from './backoff.js'
export { RateLimiter } from './rate.js'
export { redactUrl, isLiveUrl, defaultCameraId, checkStreamUrl, urlParts, KNOWN_SCHEMES, type UrlParts } from './url.js'
export { captureFfmpegLog, setFfmpegLogLevel, type FfmpegLogCapture, type FfmpegLogCounts, type FfmpegLogLevel, type FfmpegLogOptions, type FfmpegMessage } from './log.js'
export { decodeImage, decodeImageFile } from './image.js'
export type { DecodedImage, DecodeImageOptions } from './image.js'
export { PacketRing, writeClip, type PacketRingOptions, type PacketWindow, type RingPacket, type ClipInfo } from './clips/index.js'
