import { readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { InvalidOptionError, checkArray, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkString } from '@oko/core'
import { checkListen } from './delivery-schema.js'
import type { ConfigEnv } from './schema.js'

/** `http:`, validated: the live page and its API. Secrets are held here only, never shown. */
export interface HttpConfig {
  readonly listen: { readonly host: string; readonly port: number }
  readonly auth: { readonly token?: string; readonly users: readonly { readonly name: string; readonly password: string }[]; readonly sessionHours?: number }
  /** Live views: pictures per second per camera and JPEG quality. */
  readonly live: { readonly fps?: number; readonly quality?: number; readonly redact?: LiveRedactConfig }
  /** Recent events kept in memory for the feed (and for search when `search` is off). */
  readonly keepEvents?: number
  /** The retained event index that search reads (absent: `search: false`, search over the events in memory). */
  readonly search?: SearchConfig
}

/** `http.search`: the SQLite event index, bounded by age and count. */
export interface SearchConfig {
  readonly path: string
  readonly retainMs: number
  readonly maxEvents: number
}

/** `http.live.redact`: the faces and plates the detectors find are hidden in the live pictures. */
export interface LiveRedactConfig {
  readonly labels?: readonly string[]
  readonly mode?: 'pixelate' | 'blur'
  readonly paddingFrac?: number
  readonly strength?: number
  readonly holdMs?: number
}

const MAX_SECRET_FILE_BYTES = 4096

/**
 * Validates `http:`. Secrets (`token`, a user's `password`) may be `${NAME}` (read from the
 * environment) or come from a file (`token_file`, `password_file`, relative to the config file).
 */
export function checkHttp(value: unknown, baseDir: string, env: ConfigEnv): HttpConfig {
  const h = checkObject('http', value)
  checkKnownKeys('http', h, ['listen', 'auth', 'live', 'keepEvents', 'search'])
  const listen = checkListen('http.listen', h.listen ?? '127.0.0.1:8080')
  if (h.auth === undefined) throw new InvalidOptionError('http.auth', 'the live page needs credentials: `auth: { token: ${OKO_LIVE_TOKEN} }` or `auth: { users: [{ name: duty-1, password_file: duty-1.password }] }`')
  const a = checkObject('http.auth', h.auth)
  checkKnownKeys('http.auth', a, ['token', 'token_file', 'users', 'sessionHours'])
  if (a.token !== undefined && a.token_file !== undefined) throw new InvalidOptionError('http.auth', 'give `token` or `token_file`, not both')
  const token = a.token !== undefined ? secretOf('http.auth.token', a.token, env) : a.token_file !== undefined ? fileSecret('http.auth.token_file', a.token_file, baseDir) : undefined
  if (token !== undefined && token.length < 16) throw new InvalidOptionError('http.auth.token', 'expected at least 16 characters (e.g. `openssl rand -hex 16`)')
  const names = new Set<string>()
  const users = checkArray('http.auth.users', a.users, []).map((entry, i) => {
    const at = `http.auth.users[${i}]`
    const u = checkObject(at, entry)
    checkKnownKeys(at, u, ['name', 'password', 'password_file'])
    const name = checkString(`${at}.name`, u.name)
    if (!/^[\w.@-]{1,64}$/.test(name)) throw new InvalidOptionError(`${at}.name`, 'expected letters, digits and . _ - @ (at most 64): it is shown on the alarm steps the operator takes')
    if (names.has(name)) throw new InvalidOptionError(`${at}.name`, `user "${name}" is listed twice`)
    names.add(name)
    if ((u.password === undefined) === (u.password_file === undefined)) throw new InvalidOptionError(at, 'give `password: ${ENV_VAR}` or `password_file: <file>` (one of them)')
    const password = u.password !== undefined ? secretOf(`${at}.password`, u.password, env) : fileSecret(`${at}.password_file`, u.password_file, baseDir)
    if (password.length < 8) throw new InvalidOptionError(`${at}.password`, 'expected at least 8 characters')
    return { name, password }
  })
  if (token === undefined && users.length === 0) throw new InvalidOptionError('http.auth', 'give `token:` (or `token_file:`) or `users:`; the live page is never open to anyone')
  const live = checkObject('http.live', h.live, {})
  checkKnownKeys('http.live', live, ['fps', 'quality', 'redact'])
  return {
    listen,
    auth: { ...(token !== undefined ? { token } : {}), users, ...(a.sessionHours !== undefined ? { sessionHours: checkNumber('http.auth.sessionHours', a.sessionHours, { min: 0.1, max: 24 * 30 }) } : {}) },
    live: {
      ...(live.fps !== undefined ? { fps: checkNumber('http.live.fps', live.fps, { min: 0.1, max: 30 }) } : {}),
      ...(live.quality !== undefined ? { quality: checkNumber('http.live.quality', live.quality, { min: 1, max: 100, integer: true }) } : {}),
      ...(live.redact !== undefined && live.redact !== false ? { redact: checkLiveRedact(live.redact) } : {}),
    },
    ...(h.keepEvents !== undefined ? { keepEvents: checkNumber('http.keepEvents', h.keepEvents, { min: 100, max: 1_000_000, integer: true }) } : {}),
    ...(h.search !== false ? { search: checkSearch(h.search, baseDir) } : {}),
  }
}

/** `search: { path, retainHours, maxEvents }` (each optional; default on), or `false` for search over the events in memory. */
function checkSearch(value: unknown, baseDir: string): SearchConfig {
  const s = checkObject('http.search', value === true ? {} : value, {})
  checkKnownKeys('http.search', s, ['path', 'retainHours', 'maxEvents'])
  return {
    path: s.path === undefined ? resolve(baseDir, 'oko-events.sqlite') : resolve(baseDir, checkString('http.search.path', s.path)),
    retainMs: Math.round((s.retainHours === undefined ? 24 : checkNumber('http.search.retainHours', s.retainHours, { min: 0.001, max: 24 * 366 })) * 3_600_000),
    maxEvents: s.maxEvents === undefined ? 100_000 : checkNumber('http.search.maxEvents', s.maxEvents, { min: 1, max: 10_000_000, integer: true }),
  }
}

/** `redact: true` (faces and plates, pixelated) or `{ labels, mode, paddingFrac, strength, holdMs }`. */
function checkLiveRedact(value: unknown): LiveRedactConfig {
  if (value === true) return {}
  const r = checkObject('http.live.redact', value)
  checkKnownKeys('http.live.redact', r, ['labels', 'mode', 'paddingFrac', 'strength', 'holdMs'])
  return {
    ...(r.labels !== undefined ? { labels: checkArray('http.live.redact.labels', r.labels).map((l, i) => checkString(`http.live.redact.labels[${i}]`, l)) } : {}),
    ...(r.mode !== undefined ? { mode: checkOneOf('http.live.redact.mode', r.mode, ['pixelate', 'blur'] as const) } : {}),
    ...(r.paddingFrac !== undefined ? { paddingFrac: checkNumber('http.live.redact.paddingFrac', r.paddingFrac, { min: 0, max: 2 }) } : {}),
    ...(r.strength !== undefined ? { strength: checkNumber('http.live.redact.strength', r.strength, { min: 0.01, max: 1 }) } : {}),
    ...(r.holdMs !== undefined ? { holdMs: checkNumber('http.live.redact.holdMs', r.holdMs, { min: 0, max: 60_000 }) } : {}),
  }
}

/** A secret as written, with `${NAME}` read from the environment (`$${` for a literal `${`). Never echoed in errors. */
function secretOf(path: string, value: unknown, env: ConfigEnv): string {
  const text = checkString(path, value)
  if (text.replace(/\$\$\{|\$\{[A-Za-z_][A-Za-z0-9_]*\}/g, '').includes('${')) throw new InvalidOptionError(path, 'a ${ must start ${NAME} (letters, digits and _, closed by }); write $${ for a literal ${')
  return text.replace(/\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string | undefined) => {
    if (name === undefined) return '${'
    const v = env[name]
    if (v === undefined || v === '') throw new InvalidOptionError(path, `environment variable ${name} is not set; set it for oko, or put the secret in a file (${path.endsWith('token') ? 'token_file' : 'password_file'})`)
    return v
  })
}

/** A secret file's content: one line, its newline dropped. */
function fileSecret(path: string, value: unknown, baseDir: string): string {
  const file = resolve(baseDir, checkString(path, value))
  let text: string
  try {
    const size = statSync(file).size
    if (size > MAX_SECRET_FILE_BYTES) throw new InvalidOptionError(path, `${file} is ${size} bytes; a secret file holds only the secret (at most ${MAX_SECRET_FILE_BYTES} bytes)`)
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    if (cause instanceof InvalidOptionError) throw cause
    throw new InvalidOptionError(path, `cannot read ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`)
  }
  const secret = text.replace(/\r?\n$/, '')
  if (secret.includes('\n')) throw new InvalidOptionError(path, `${file} holds more than one line; put only the secret in it`)
  return secret
}
