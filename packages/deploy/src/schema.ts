import { readFileSync, statSync } from 'node:fs'
import { basename, extname, isAbsolute, resolve } from 'node:path'
import type { EdgeOptions, Point, Polygon } from '@oko/core'
import {
  InvalidOptionError, checkArray, checkBoolean, checkEdgeOptions, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkString,
  describeValue,
} from '@oko/core'
import type { EventFormat } from '@oko/sinks'
import { checkStreamUrl, urlParts } from '@oko/source'
import type { StageRegistry } from './stages.js'
import { DELIVERY_KEYS, checkDelivery, type DeliveryConfig } from './delivery-schema.js'
import { checkAlarms, lightInputsOf, type AlarmsConfig } from './alarms-schema.js'
import { checkHttp, type HttpConfig } from './http-schema.js'
import { checkRules, checkTimeZone, type RuleSpec } from '@oko/rules'

export interface ZoneConfig {
  readonly name: string
  readonly polygon: Polygon
  readonly threshold?: number
  readonly minScore?: number
}

export interface CameraConfig {
  readonly id: string
  /** Detect stream (low resolution): URL or absolute file path. */
  readonly url: string
  /** Main stream (high resolution), for stages that need sharp crops. */
  readonly main?: string
  readonly fps?: number
  readonly live?: boolean
  readonly transport?: 'tcp' | 'udp'
  readonly scale?: { readonly height: number; readonly width?: number }
  readonly keyframesOnly?: boolean
  readonly loop?: boolean
  readonly realtime?: boolean
  /** Polygons (fractions of the frame) motion ignores. */
  readonly masks: readonly Polygon[]
  readonly zones: readonly ZoneConfig[]
  /** Per-camera stage options, by stage name; merged over the deployment's. */
  readonly stages: Readonly<Record<string, Record<string, unknown>>>
  /** Traffic and security rules on this camera's tracks (needs the `tracking` and `rules` stages). */
  readonly rules?: readonly RuleSpec[]
  /** IANA time zone of the camera, for rule schedules. Default UTC. */
  readonly timeZone?: string
}

export interface StageConfig {
  readonly name: string
  readonly options: Record<string, unknown>
}

export interface OutputConfig {
  readonly type: 'stdout' | 'file'
  readonly path?: string
  readonly format: EventFormat
}

export interface DeploymentConfig {
  readonly cameras: readonly CameraConfig[]
  /** Every stage once, with its options, in pipeline order; `motion` first. */
  readonly stages: readonly StageConfig[]
  /** The pipeline's shape by stage name: one after the other, a list inside runs side by side (`[motion, objects, [plates, faces]]`). */
  readonly order: readonly (string | readonly string[])[]
  /** The single `output:` of older configs (also the first of `delivery.outputs` when `outputs:` is absent). */
  readonly output: OutputConfig
  /** Sinks, outbox and metrics (`name`, `outputs`, `outbox`, `metrics`). */
  readonly delivery: DeliveryConfig
  readonly edge: EdgeOptions
  readonly events: { readonly capacity?: number; readonly overflow?: 'block' | 'drop-oldest' }
  /** SOS call points and alarm inputs (`alarms:`). */
  readonly alarms?: AlarmsConfig
  /** The live page and its HTTP/JSON API (`http:`). */
  readonly http?: HttpConfig
}

const TOP_KEYS = ['cameras', 'stages', 'output', 'edge', 'events', 'alarms', 'http', ...DELIVERY_KEYS] as const
const CAMERA_KEYS = ['id', 'url', 'main', 'password_file', 'fps', 'live', 'transport', 'scale', 'keyframesOnly', 'loop', 'realtime', 'masks', 'zones', 'stages', 'rules', 'timeZone'] as const

/** Largest watchlist file a config may name (plates: ~5 million lines; faces: ~130,000 descriptors). */
export const MAX_WATCHLIST_BYTES = 64 * 1024 * 1024
/** Largest password file: one password, not a file read by mistake. */
const MAX_PASSWORD_BYTES = 4096

/** Environment variables a config may read, `process.env` by default. */
export type ConfigEnv = Readonly<Record<string, string | undefined>>

/** What validation needs besides the parsed data. */
export interface ValidateOptions {
  readonly baseDir: string
  readonly registry: StageRegistry
  /** Where `${NAME}` in camera URLs is looked up. Default `process.env`. */
  readonly env?: ConfigEnv
  /** Accept `cameras: []` (a cluster worker's deployment, whose cameras come at run time). */
  readonly allowNoCameras?: boolean
}

/** The fix appended to a message, by the option that failed (its last path segment). */
const HINTS: Record<string, string> = {
  cameras: 'list the cameras under `cameras:`, each with at least a `url`',
  url: 'give the detect stream (the low-resolution sub-stream): rtsp://user:pass@host:554/path, or a video file path',
  main: 'give the high-resolution stream of the same camera: rtsp://… or a file path',
  id: 'give each camera a short unique name, e.g. "gate-1"',
  fps: 'the frame rate to analyse, e.g. 5; frames above it are dropped before decoding work',
  stages: 'list stage names in pipeline order, e.g. [motion, plates, faces]; options go as `- motion: { threshold: 20 }`; `- [plates, faces]` runs two side by side',
  watchlist: 'plates: a text file with one plate per line (or JSON); faces: a file made by `oko faces enrol`; paths are relative to the config file',
  countries: 'format ids or country codes such as [ua, ru, kz, by, europe, us]',
  threads: 'worker threads for this stage\'s models, shared by every camera, e.g. 1 or 2',
  polygon: 'give at least 3 points as [x, y] fractions of the frame, e.g. [[0, 0], [0.5, 0], [0.5, 0.3]]',
  format: 'use "jsonl" (one JSON object per line) or "msgpack" (binary records)',
  output: 'give a file for the events, e.g. `output: events.jsonl` (relative to the config file), or leave `output` out for stdout',
  path: 'give a file for the events, e.g. `output: events.jsonl` (relative to the config file), or leave `output` out for stdout',
  password_file: 'a file holding only the password (one line), read when the config is; the URL keeps the user name: rtsp://admin@host/…',
}

export function hintFor(path: string): string | undefined {
  if (path.startsWith('alarms') || path.startsWith('http')) return undefined // their messages say the fix themselves
  const last = path.replace(/\[\d+\]$/, '').split('.').pop() ?? ''
  return HINTS[last]
}

/** Validates a parsed deployment; errors are InvalidOptionError naming the path (`cameras[2].url`). */
export function validateDeployment(raw: unknown, options: ValidateOptions): DeploymentConfig {
  if (raw === undefined || raw === null) throw new InvalidOptionError('config', 'the file is empty; start with `cameras:` and one `- url: …` per camera')
  const top = checkObject('config', raw)
  checkKnownKeys('config', top, TOP_KEYS)
  const { stages, order } = checkStages(top.stages, options.registry, options.baseDir)
  const list = checkArray('cameras', top.cameras)
  if (list.length === 0 && !options.allowNoCameras) throw new InvalidOptionError('cameras', 'expected at least one camera, received an empty list')
  const ids = new Set<string>()
  const cameras = list.map((c, i) => {
    const camera = checkCamera(`cameras[${i}]`, c, options, stages)
    if (ids.has(camera.id)) throw new InvalidOptionError(`cameras[${i}].id`, `duplicate camera id "${camera.id}"; ids must be unique`)
    ids.add(camera.id)
    return camera
  })
  const events = checkObject('events', top.events, {})
  checkKnownKeys('events', events, ['capacity', 'overflow'])
  const output = checkOutput(top.output, options.baseDir)
  const lights = lightInputsOf(cameras)
  const alarms = top.alarms === undefined && lights.length === 0 ? undefined : checkAlarms(top.alarms, ids, lights)
  const http = top.http === undefined ? undefined : checkHttp(top.http, options.baseDir, options.env ?? process.env)
  if (http?.live.redact && !http.live.redact.labels && !stages.some((s) => s.name === 'faces' || s.name === 'plates')) throw new InvalidOptionError('http.live.redact', 'hides what the faces and plates stages find, and there are none: add `faces` or `plates` to `stages:` (or drop `redact:`)')
  return {
    ...(alarms ? { alarms } : {}),
    ...(http ? { http } : {}),
    cameras,
    stages,
    order,
    output,
    delivery: checkDelivery(top, output, options.baseDir),
    edge: checkEdgeOptions('edge', top.edge),
    events: {
      ...(events.capacity !== undefined ? { capacity: checkNumber('events.capacity', events.capacity, { min: 1, max: 1_000_000, integer: true }) } : {}),
      ...(events.overflow !== undefined ? { overflow: checkOneOf('events.overflow', events.overflow, ['block', 'drop-oldest'] as const) } : {}),
    },
  }
}

/** A list of stages runs one after the other; a list inside it runs side by side (`- [plates, faces]`). */
function checkStages(value: unknown, registry: StageRegistry, baseDir: string): { stages: StageConfig[]; order: (string | string[])[] } {
  const list = checkArray('stages', value, ['motion'])
  const known = Object.keys(registry)
  const out: StageConfig[] = []
  const order: (string | string[])[] = []
  const paths: string[] = []
  const one = (entry: unknown, path: string): StageConfig => {
    let name: string
    let options: Record<string, unknown> = {}
    if (typeof entry === 'string') name = entry
    else {
      const o = checkObject(path, entry)
      const keys = Object.keys(o)
      if (keys.length !== 1) throw new InvalidOptionError(path, `expected a stage name or { <name>: { options } } with one key, received keys ${keys.join(', ') || '(none)'}`)
      name = keys[0]!
      options = checkObject(`${path}.${name}`, o[name] ?? {})
    }
    const provider = registry[name]
    if (!provider) throw new InvalidOptionError(path, `unknown stage ${describeValue(name)}; known stages: ${known.join(', ')}`)
    checkWatchlistSize(`${path}.${name}`, options, baseDir)
    out.push({ name, options: provider.check(options, `${path}.${name}`, { baseDir }) ?? options })
    paths.push(path)
    return out[out.length - 1]!
  }
  list.forEach((entry, i) => {
    const path = `stages[${i}]`
    if (!Array.isArray(entry)) return order.push(one(entry, path).name)
    if (entry.length < 2) throw new InvalidOptionError(path, `a list of stages runs them side by side: give at least two, received ${describeValue(entry)}`)
    order.push(entry.map((e, j) => one(e, `${path}[${j}]`).name))
  })
  const names = out.map((s) => s.name)
  const dup = names.find((n, i) => names.indexOf(n) !== i)
  if (dup) throw new InvalidOptionError(paths[names.lastIndexOf(dup)]!, `stage "${dup}" is listed twice`)
  if (names.includes('motion') && order[0] !== 'motion') throw new InvalidOptionError(paths[names.indexOf('motion')]!, 'motion must come first, on its own: it is the gate that keeps still frames off the model stages')
  return { stages: out, order }
}

/** Validates one camera entry (as under `cameras:`) against a deployment's stages: for cameras added at run time. */
export function validateCamera(raw: unknown, options: ValidateOptions & { path: string; stages: readonly StageConfig[] }): CameraConfig {
  return checkCamera(options.path, raw, options, options.stages)
}

function checkCamera(path: string, value: unknown, options: ValidateOptions, stages: readonly StageConfig[]): CameraConfig {
  const { baseDir, registry } = options
  const env = options.env ?? process.env
  const o = checkObject(path, value)
  checkKnownKeys(path, o, CAMERA_KEYS)
  let url = checkStreamUrl(`${path}.url`, expandEnv(`${path}.url`, checkString(`${path}.url`, o.url), env))
  let main = o.main === undefined ? undefined : checkStreamUrl(`${path}.main`, expandEnv(`${path}.main`, checkString(`${path}.main`, o.main), env))
  if (o.password_file !== undefined) {
    const at = `${path}.password_file`
    const password = readPassword(at, resolve(baseDir, checkString(at, o.password_file)))
    url = withPassword(at, url, password, true)
    if (main !== undefined) main = withPassword(at, main, password, false)
  }
  url = resolveInput(url, baseDir)
  const camera: { -readonly [K in keyof CameraConfig]: CameraConfig[K] } = {
    id: o.id === undefined ? defaultId(url) : checkId(`${path}.id`, o.id),
    url,
    masks: checkArray(`${path}.masks`, o.masks, []).map((m, i) => checkPolygon(`${path}.masks[${i}]`, m)),
    zones: checkArray(`${path}.zones`, o.zones, []).map((z, i) => checkZone(`${path}.zones[${i}]`, z)),
    stages: {},
  }
  if (main !== undefined) camera.main = resolveInput(main, baseDir)
  if (o.fps !== undefined) camera.fps = checkNumber(`${path}.fps`, o.fps, { min: 0, max: 1000, exclusiveMin: true })
  if (o.live !== undefined) camera.live = checkBoolean(`${path}.live`, o.live)
  if (o.transport !== undefined) camera.transport = checkOneOf(`${path}.transport`, o.transport, ['tcp', 'udp'] as const)
  if (o.keyframesOnly !== undefined) camera.keyframesOnly = checkBoolean(`${path}.keyframesOnly`, o.keyframesOnly)
  if (o.loop !== undefined) camera.loop = checkBoolean(`${path}.loop`, o.loop)
  if (o.realtime !== undefined) camera.realtime = checkBoolean(`${path}.realtime`, o.realtime)
  if (o.scale !== undefined) {
    const s = checkObject(`${path}.scale`, o.scale)
    checkKnownKeys(`${path}.scale`, s, ['height', 'width'])
    camera.scale = {
      height: checkNumber(`${path}.scale.height`, s.height, { min: 16, max: 8192, integer: true }),
      ...(s.width !== undefined ? { width: checkNumber(`${path}.scale.width`, s.width, { min: 16, max: 8192, integer: true }) } : {}),
    }
  }
  if (o.rules !== undefined) {
    camera.rules = checkRules(`${path}.rules`, o.rules)
    if (camera.rules.length > 0 && !stages.some((s) => s.name === 'rules')) throw new InvalidOptionError(`${path}.rules`, 'rules need the `tracking` and `rules` stages: add `- tracking: { fromMotion: true }` (or after a detector) and then `- rules` to `stages:`')
  }
  if (o.timeZone !== undefined) camera.timeZone = checkTimeZone(`${path}.timeZone`, o.timeZone)
  const perCamera = checkObject(`${path}.stages`, o.stages, {})
  const names = stages.map((s) => s.name)
  checkKnownKeys(`${path}.stages`, perCamera, names)
  const out: Record<string, Record<string, unknown>> = {}
  for (const name of names) {
    const opts = checkObject(`${path}.stages.${name}`, perCamera[name], {})
    checkWatchlistSize(`${path}.stages.${name}`, opts, baseDir)
    out[name] = registry[name]!.check(opts, `${path}.stages.${name}`, { baseDir }) ?? opts
  }
  camera.stages = out
  for (const name of names) registry[name]!.checkCamera?.(camera, path)
  return camera
}

function checkId(path: string, value: unknown): string {
  const id = checkString(path, value)
  if (!/^[\w.:@/-]{1,128}$/.test(id)) throw new InvalidOptionError(path, `expected letters, digits and . _ - : @ / (at most 128), received ${describeValue(id)}`)
  return id
}

function checkPolygon(path: string, value: unknown): Polygon {
  const points = checkArray(path, value)
  if (points.length < 3) throw new InvalidOptionError(path, `expected a polygon of at least 3 points, received ${describeValue(value)}`)
  return points.map((p, i): Point => {
    const at = `${path}[${i}]`
    if (Array.isArray(p)) {
      if (p.length !== 2) throw new InvalidOptionError(at, `expected a point [x, y], received ${describeValue(p)}`)
      return { x: checkNumber(`${at}[0]`, p[0], { min: 0, max: 1 }), y: checkNumber(`${at}[1]`, p[1], { min: 0, max: 1 }) }
    }
    const o = checkObject(at, p)
    checkKnownKeys(at, o, ['x', 'y'])
    return { x: checkNumber(`${at}.x`, o.x, { min: 0, max: 1 }), y: checkNumber(`${at}.y`, o.y, { min: 0, max: 1 }) }
  })
}

function checkZone(path: string, value: unknown): ZoneConfig {
  const o = checkObject(path, value)
  checkKnownKeys(path, o, ['name', 'polygon', 'threshold', 'minScore'])
  return {
    name: checkString(`${path}.name`, o.name),
    polygon: checkPolygon(`${path}.polygon`, o.polygon),
    ...(o.threshold !== undefined ? { threshold: checkNumber(`${path}.threshold`, o.threshold, { min: 1, max: 254 }) } : {}),
    ...(o.minScore !== undefined ? { minScore: checkNumber(`${path}.minScore`, o.minScore, { min: 0, max: 1 }) } : {}),
  }
}

function checkOutput(value: unknown, baseDir: string): OutputConfig {
  if (value === undefined) return { type: 'stdout', format: 'jsonl' }
  if (typeof value === 'string') {
    const path = resolveInput(checkOutputPath('output', value), baseDir)
    return { type: 'file', path, format: /\.(msgpack|mpk)$/i.test(path) ? 'msgpack' : 'jsonl' }
  }
  const o = checkObject('output', value)
  checkKnownKeys('output', o, ['type', 'path', 'format'])
  const type = checkOneOf('output.type', o.type, ['stdout', 'file'] as const, o.path === undefined ? 'stdout' : 'file')
  const format = checkOneOf('output.format', o.format, ['jsonl', 'msgpack'] as const, 'jsonl')
  if (type === 'stdout') {
    if (o.path !== undefined) throw new InvalidOptionError('output.path', 'only a file output has a path; set `type: file` or remove `path`')
    return { type, format }
  }
  return { type, format, path: resolveInput(checkOutputPath('output.path', checkString('output.path', o.path)), baseDir) }
}

/** Events go to a file or stdout; a URL there is a camera URL in the wrong place, or a sink oko does not have. */
function checkOutputPath(path: string, value: string): string {
  const parts = urlParts(value)
  if (parts && parts.scheme !== 'file') throw new InvalidOptionError(path, `expected a file path, not a URL (${parts.scheme.slice(0, 16)}://); events are written to a file or stdout`)
  return parts ? decodeURIComponent(value.replace(/^file:\/\//i, '')) : value
}

/** URLs stay as they are; file paths are taken relative to the config file's folder. */
function resolveInput(value: string, baseDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || isAbsolute(value)) return value
  return resolve(baseDir, value)
}

/** The camera id when none is given: host and path of a URL (never its userinfo or query), or a file's name. */
function defaultId(url: string): string {
  const parts = urlParts(url)
  const name = parts && parts.scheme !== 'file'
    ? [parts.host, ...parts.rest.replace(/[?#].*$/s, '').split('/')].filter(Boolean).join('-')
    : basename(url, extname(url))
  return name.replace(/[^\w.:@-]/g, '-').slice(0, 128) || 'camera'
}

/**
 * `${NAME}` in a camera URL → the environment variable NAME (`$${` is a literal `${`), so a
 * deployment file need not hold passwords. Inside the userinfo the value is percent-encoded
 * (FFmpeg decodes it), so a password may hold any character. Messages name the variable only.
 */
function expandEnv(path: string, template: string, env: ConfigEnv): string {
  if (!template.includes('${')) return template
  const token = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g
  // Where the userinfo ends, with each token as a stand-in of its own length.
  const neutral = template.replace(token, (m) => 'x'.repeat(m.length))
  if (neutral.includes('${')) throw new InvalidOptionError(path, 'a ${ must start ${NAME} (letters, digits and _, closed by }); write $${ for a literal ${')
  const parts = urlParts(neutral)
  const userEnd = parts?.userinfo === undefined ? -1 : neutral.indexOf('://') + 3 + parts.userinfo.length
  return template.replace(token, (m, name: string | undefined, offset: number) => {
    if (name === undefined) return '${'
    const value = env[name]
    if (value === undefined) throw new InvalidOptionError(path, `environment variable ${name} is not set; set it for oko, or give the password with password_file`)
    return offset < userEnd ? encodeURIComponent(value) : value
  })
}

/** A password file's content: one line, the newline at its end dropped. Never shown. */
function readPassword(path: string, file: string): string {
  let text: string
  try {
    const size = statSync(file).size
    if (size > MAX_PASSWORD_BYTES) throw new InvalidOptionError(path, `${file} is ${size} bytes; a password file holds only the password (at most ${MAX_PASSWORD_BYTES} bytes)`)
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    if (cause instanceof InvalidOptionError) throw cause
    throw new InvalidOptionError(path, `cannot read ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`)
  }
  const password = text.replace(/\r?\n$/, '')
  if (password === '') throw new InvalidOptionError(path, `${file} is empty`)
  if (/[\r\n]/.test(password)) throw new InvalidOptionError(path, `${file} holds more than one line; put only the password in it`)
  return password
}

/** `rtsp://admin@host/x` + a password → `rtsp://admin:<encoded>@host/x`. `required`: the URL must take it. */
function withPassword(path: string, url: string, password: string, required: boolean): string {
  const parts = urlParts(url)
  if (!parts || parts.scheme === 'file') {
    if (required) throw new InvalidOptionError(path, 'applies to camera URLs, and this camera is a file; remove password_file')
    return url
  }
  if (parts.userinfo === undefined || parts.userinfo.includes(':')) {
    if (!required) return url
    throw new InvalidOptionError(path, parts.userinfo === undefined
      ? 'the URL needs the user name the password belongs to: rtsp://admin@host/…'
      : 'the URL has a password already; give it in one place (remove it from the URL, or remove password_file)')
  }
  return `${url.slice(0, url.indexOf('://') + 3)}${parts.userinfo}:${encodeURIComponent(password)}@${parts.host}${parts.rest}`
}

/** A watchlist (any stage option named `watchlist`) larger than MAX_WATCHLIST_BYTES is refused before it is read. */
function checkWatchlistSize(path: string, options: Record<string, unknown>, baseDir: string): void {
  const lists = typeof options.watchlist === 'string' ? [options.watchlist] : Array.isArray(options.watchlist) ? options.watchlist : []
  for (const [i, list] of lists.entries()) {
    if (typeof list !== 'string') continue
    const file = resolve(baseDir, list)
    let size: number
    try {
      size = statSync(file).size
    } catch {
      continue // the stage says it is missing, with its own hint
    }
    if (size > MAX_WATCHLIST_BYTES) {
      const at = typeof options.watchlist === 'string' ? `${path}.watchlist` : `${path}.watchlist[${i}]`
      throw new InvalidOptionError(at, `${file} is ${(size / 2 ** 20).toFixed(1)} MiB; watchlists are limited to ${MAX_WATCHLIST_BYTES / 2 ** 20} MiB (split it into several lists)`)
    }
  }
}
