import { isAbsolute } from 'node:path'
import { InvalidOptionError } from '@oko/core'

/** Schemes FFmpeg reads as live network streams (a camera, not a file). */
const LIVE_SCHEMES = new Set(['rtsp', 'rtsps', 'rtmp', 'rtmps', 'rtmpt', 'rtmpts', 'rtmpe', 'rtmpte', 'rtp', 'srtp', 'udp', 'tcp', 'srt', 'http', 'https'])

/** Every scheme a camera URL may have (FFmpeg protocols for reading video); anything else is a typo. */
export const KNOWN_SCHEMES: readonly string[] = [...LIVE_SCHEMES, 'ftp', 'file']

/** Schemes whose URL may leave the host out to listen locally. */
const LISTENERS = new Set(['udp', 'rtp', 'srtp', 'tcp', 'srt'])

/** Query parameters that carry credentials on cheap cameras (`videostream.cgi?user=admin&pwd=…`). */
const SECRET_PARAM = /^(pass(word|wd)?|pwd|psw|token|access_token|key|api_?key|secret|auth|sig(nature)?)$/i

/** The parts of a URL as FFmpeg's `av_url_split` reads them; undefined for a plain path. */
export interface UrlParts {
  /** Lower-case scheme, `file` included. */
  readonly scheme: string
  /** `user` or `user:password`, still percent-encoded; undefined without an `@`. */
  readonly userinfo: string | undefined
  /** Host, with `:port` when given (`[v6]:port` kept as written). */
  readonly host: string
  /** Path, query and fragment, from the first `/`, `?` or `#` after the host. */
  readonly rest: string
}

/**
 * Splits `scheme://userinfo@host:port/path?query` the way FFmpeg does: the host part ends at the
 * first `/`, `?` or `#`, and the userinfo at the last `@` before that, so a password holding
 * unescaped `@` or `:` (`admin:Xy@Secret9@10.0.0.5`, which FFmpeg and cameras accept) stays in the
 * userinfo. A password holding an unescaped `/`, `?` or `#` ends FFmpeg's host part early (it
 * cannot connect then); so that it is never shown either, a URL with a `:` in its host part and an
 * `@` after it is split at its last `@`, whatever comes between.
 */
export function urlParts(url: string): UrlParts | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)
  if (!m || isAbsolute(url)) return undefined
  const scheme = m[1]!.toLowerCase()
  const tail = url.slice(m[0].length)
  const authEnd = firstOf(tail, '/?#')
  const lastAt = tail.lastIndexOf('@')
  let at: number
  if (lastAt < authEnd) at = lastAt // FFmpeg's reading (-1: no userinfo)
  else if (tail.slice(0, authEnd).includes(':')) at = lastAt // maybe a raw / ? # in a password: hide up to the last @
  else at = authEnd > 0 ? tail.lastIndexOf('@', authEnd - 1) : -1 // an @ in the path
  const userinfo = at >= 0 ? tail.slice(0, at) : undefined
  const after = tail.slice(at + 1)
  const hostEnd = firstOf(after, '/?#')
  return { scheme, userinfo, host: after.slice(0, hostEnd), rest: after.slice(hostEnd) }
}

function firstOf(text: string, chars: string): number {
  for (let i = 0; i < text.length; i++) if (chars.includes(text[i]!)) return i
  return text.length
}

/**
 * `rtsp://user:secret@host/x` → `rtsp://user:***@host/x`; credentials in the query
 * (`?user=admin&pwd=…`) become `***` too. Every message, event and id that shows a URL uses this.
 */
export function redactUrl(url: string): string {
  const p = urlParts(url)
  if (!p) return url
  const colon = p.userinfo?.indexOf(':') ?? -1
  const user = p.userinfo === undefined ? '' : colon >= 0 ? `${p.userinfo.slice(0, colon)}:***@` : `${p.userinfo}@`
  return `${url.slice(0, url.indexOf('://') + 3)}${user}${p.host}${redactQuery(p.rest)}`
}

function redactQuery(rest: string): string {
  const q = rest.indexOf('?')
  if (q < 0) return rest
  const hash = rest.indexOf('#', q)
  const query = rest.slice(q + 1, hash < 0 ? undefined : hash)
  const safe = query.split('&').map((pair) => {
    const eq = pair.indexOf('=')
    return eq > 0 && SECRET_PARAM.test(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=***` : pair
  })
  return `${rest.slice(0, q + 1)}${safe.join('&')}${hash < 0 ? '' : rest.slice(hash)}`
}

/** The URL's scheme in lower case, or undefined for a plain path. `file:` counts as a path. */
export function schemeOf(url: string): string | undefined {
  const scheme = urlParts(url)?.scheme
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

/** A readable default camera id: the file name, or host + path of a URL, credentials and query removed. */
export function defaultCameraId(url: string): string {
  const path = localPath(url)
  if (path !== undefined) return path.split(/[\\/]/).pop() || path
  const p = urlParts(url)!
  return `${p.host}${p.rest.slice(0, firstOf(p.rest, '?#'))}`.replace(/\/$/, '') || p.scheme
}

/**
 * Checks what can never work before anything connects: an unknown scheme (`rtps://`), a network
 * URL without a host (`rtsp:///cam`), a bad port, control characters (they would end up in the
 * RTSP request lines). Messages name the option, never the URL (it may hold a password).
 */
export function checkStreamUrl(path: string, url: string): string {
  if (/[\u0000-\u001f\u007f]/.test(url)) throw new InvalidOptionError(path, 'contains a control character (a line break or tab?); remove it')
  const p = urlParts(url)
  if (!p || p.scheme === 'file') return url
  if (!KNOWN_SCHEMES.includes(p.scheme)) {
    throw new InvalidOptionError(path, `unknown scheme "${p.scheme.slice(0, 16)}://"; expected one of ${KNOWN_SCHEMES.filter((s) => s !== 'file').join(', ')}, or a file path`)
  }
  const port = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(p.host)!
  // udp, rtp, tcp and srt may listen on every interface (`udp://@:1234`, `srt://:9000?mode=listener`)
  if ((port[1] === '' || port[1] === '[]') && !LISTENERS.has(p.scheme)) {
    throw new InvalidOptionError(path, `the URL has no host after ${p.scheme}://; write ${p.scheme}://host[:port]/path`)
  }
  if (port[2] !== undefined && port[2] !== '' && !(/^\d{1,5}$/.test(port[2]) && Number(port[2]) >= 1 && Number(port[2]) <= 65_535)) {
    throw new InvalidOptionError(path, 'the port after the host must be a number in [1, 65535]')
  }
  return url
}
