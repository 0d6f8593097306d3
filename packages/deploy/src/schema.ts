import { isAbsolute, resolve } from 'node:path'
import type { EdgeOptions, Point, Polygon } from '@oko/core'
import {
  InvalidOptionError, checkArray, checkBoolean, checkEdgeOptions, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkString,
  describeValue,
} from '@oko/core'
import type { EventFormat } from '@oko/pipeline'
import type { StageRegistry } from './stages.js'

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
  readonly output: OutputConfig
  readonly edge: EdgeOptions
  readonly events: { readonly capacity?: number; readonly overflow?: 'block' | 'drop-oldest' }
}

const TOP_KEYS = ['cameras', 'stages', 'output', 'edge', 'events'] as const
const CAMERA_KEYS = ['id', 'url', 'main', 'fps', 'live', 'transport', 'scale', 'keyframesOnly', 'loop', 'realtime', 'masks', 'zones', 'stages'] as const

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
}

export function hintFor(path: string): string | undefined {
  const last = path.replace(/\[\d+\]$/, '').split('.').pop() ?? ''
  return HINTS[last]
}

/** Validates a parsed deployment; errors are InvalidOptionError naming the path (`cameras[2].url`). */
export function validateDeployment(raw: unknown, options: { baseDir: string; registry: StageRegistry }): DeploymentConfig {
  if (raw === undefined || raw === null) throw new InvalidOptionError('config', 'the file is empty; start with `cameras:` and one `- url: …` per camera')
  const top = checkObject('config', raw)
  checkKnownKeys('config', top, TOP_KEYS)
  const { stages, order } = checkStages(top.stages, options.registry, options.baseDir)
  const list = checkArray('cameras', top.cameras)
  if (list.length === 0) throw new InvalidOptionError('cameras', 'expected at least one camera, received an empty list')
  const ids = new Set<string>()
  const cameras = list.map((c, i) => {
    const camera = checkCamera(`cameras[${i}]`, c, options.baseDir, stages, options.registry)
    if (ids.has(camera.id)) throw new InvalidOptionError(`cameras[${i}].id`, `duplicate camera id "${camera.id}"; ids must be unique`)
    ids.add(camera.id)
    return camera
  })
  const events = checkObject('events', top.events, {})
  checkKnownKeys('events', events, ['capacity', 'overflow'])
  return {
    cameras,
    stages,
    order,
    output: checkOutput(top.output, options.baseDir),
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
export function validateCamera(raw: unknown, options: { path: string; baseDir: string; stages: readonly StageConfig[]; registry: StageRegistry }): CameraConfig {
  return checkCamera(options.path, raw, options.baseDir, options.stages, options.registry)
}

function checkCamera(path: string, value: unknown, baseDir: string, stages: readonly StageConfig[], registry: StageRegistry): CameraConfig {
  const o = checkObject(path, value)
  checkKnownKeys(path, o, CAMERA_KEYS)
  const url = resolveInput(checkString(`${path}.url`, o.url), baseDir)
  const camera: { -readonly [K in keyof CameraConfig]: CameraConfig[K] } = {
    id: o.id === undefined ? defaultId(url) : checkId(`${path}.id`, o.id),
    url,
    masks: checkArray(`${path}.masks`, o.masks, []).map((m, i) => checkPolygon(`${path}.masks[${i}]`, m)),
    zones: checkArray(`${path}.zones`, o.zones, []).map((z, i) => checkZone(`${path}.zones[${i}]`, z)),
    stages: {},
  }
  if (o.main !== undefined) camera.main = resolveInput(checkString(`${path}.main`, o.main), baseDir)
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
  const perCamera = checkObject(`${path}.stages`, o.stages, {})
  const names = stages.map((s) => s.name)
  checkKnownKeys(`${path}.stages`, perCamera, names)
  const out: Record<string, Record<string, unknown>> = {}
  for (const name of names) {
    const opts = checkObject(`${path}.stages.${name}`, perCamera[name], {})
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
    const path = resolveInput(value, baseDir)
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
  return { type, format, path: resolveInput(checkString('output.path', o.path), baseDir) }
}

/** URLs stay as they are; file paths are taken relative to the config file's folder. */
function resolveInput(value: string, baseDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || isAbsolute(value)) return value
  return resolve(baseDir, value)
}

function defaultId(url: string): string {
  const clean = url.replace(/^[a-z]+:\/\/([^@/]*@)?/i, '').replace(/[?#].*$/, '')
  const base = clean.split('/').filter(Boolean)
  const name = (url.includes('://') ? base.join('-') : (base.pop() ?? 'camera').replace(/\.[^.]+$/, '')).replace(/[^\w.:@-]/g, '-')
  return name.slice(0, 128) || 'camera'
}
