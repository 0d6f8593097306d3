import { isAbsolute } from 'node:path'

/** Schemes FFmpeg reads as live network streams (a camera, not a file). */
const LIVE_SCHEMES = new Set(['rtsp', 'rtsps', 'rtmp', 'rtmps', 'rtp', 'udp', 'tcp', 'srt', 'http', 'https'])

/** `rtsp://user:secret@host/x` → `rtsp://user:***@host/x`. Every message that names a URL uses this. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@:?#]*):([^/@?#]*)@/i, '$1$2:***@')
}

/** The URL's scheme in lower case, or undefined for a plain path. `file:` counts as a path. */
export function schemeOf(url: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)
  if (!m || isAbsolute(url)) return undefined
  const scheme = m[1]!.toLowerCase()
  return scheme === 'file' ? undefined : scheme
}

/** Local file path of a path or `file://` URL; undefined for network URLs. */
export function localPath(url: string): string | undefined {
  if (/^file:\/\//i.test(url)) return decodeURIComponent(url.replace(/^file:\/\//i, ''))
  return schemeOf(url) === undefined ? url : undefined
}

/** True for network sources that run in real time (RTSP, RTMP, UDP, SRT, HTTP streams). */
export function isLiveUrl(url: string): boolean {
  const scheme = schemeOf(url)
  return scheme !== undefined && LIVE_SCHEMES.has(scheme)
}

/** A readable default camera id: the file name, or host + path of a URL, credentials removed. */
export function defaultCameraId(url: string): string {
  const path = localPath(url)
  if (path !== undefined) return path.split(/[\\/]/).pop() || path
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/@]*@)?([^/?#]*)([^?#]*)/i.exec(url)
  return m ? `${m[1]}${m[2]}`.replace(/\/$/, '') : redactUrl(url)
}
