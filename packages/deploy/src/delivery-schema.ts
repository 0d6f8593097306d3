import { hostname } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import { InvalidOptionError, checkArray, checkBoolean, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkString, describeValue } from '@oko/core'
import { FILTER_KEYS, checkFilter, type EventFilter, type EventFormat, type OutboxFullPolicy } from '@oko/sinks'

/** One entry of `outputs:` (sinks), validated. */
export type OutputSpec =
  | { readonly kind: 'stdout'; readonly name: string; readonly format: EventFormat; readonly filter: EventFilter }
  | { readonly kind: 'file'; readonly name: string; readonly path: string; readonly format: EventFormat; readonly filter: EventFilter }
  | { readonly kind: 'webhook'; readonly name: string; readonly url: string; readonly secret?: string; readonly headers?: Record<string, string>; readonly timeoutMs?: number; readonly batchSize?: number; readonly filter: EventFilter }
  | { readonly kind: 'mqtt'; readonly name: string; readonly url: string; readonly prefix?: string; readonly username?: string; readonly password?: string; readonly ca?: string; readonly cert?: string; readonly key?: string; readonly retainSnapshots?: boolean; readonly batchSize?: number; readonly filter: EventFilter }
  | { readonly kind: 'nats'; readonly name: string; readonly servers: readonly string[]; readonly subject?: string; readonly stream?: string; readonly user?: string; readonly pass?: string; readonly token?: string; readonly ca?: string; readonly cert?: string; readonly key?: string; readonly batchSize?: number; readonly filter: EventFilter }

export interface OutboxConfig {
  /** The SQLite file. Default `oko-outbox.sqlite` beside the config. */
  readonly path: string
  readonly maxBytes: number
  readonly maxAgeMs: number
  readonly full: OutboxFullPolicy
  /** At the end of a run, how long undelivered events may take to go out before oko exits (the rest stays for the next start). */
  readonly drainMs: number
}

export interface MetricsConfig {
  /** host:port of the Prometheus endpoint (`GET /metrics`). */
  readonly host: string
  readonly port: number
}

export interface EvidenceConfig {
  /** Folder of snapshots and clips. Default `oko-evidence` beside the config. */
  readonly path: string
  readonly maxBytes: number
  readonly maxAgeMs: number
  /** Where the evidence endpoint listens (`GET /evidence/<id>.jpg|mp4`); absent: not served. */
  readonly listen?: { host: string; port: number }
  /** Base of the URLs events carry. Default `http://<listen>/evidence`. */
  readonly baseUrl: string
  /** Clips of these event types (none when absent). */
  readonly clips?: { readonly types: readonly string[]; readonly preMs: number; readonly postMs: number; readonly ringSeconds: number; readonly ringBytes: number }
}

export interface DeliveryConfig {
  /** Name of this deployment: CloudEvents' `source` is `/oko/<name>/<camera>`. Default the host name. */
  readonly name: string
  readonly outputs: readonly OutputSpec[]
  readonly outbox: OutboxConfig
  readonly metrics?: MetricsConfig
  readonly evidence?: EvidenceConfig
}

export const DELIVERY_KEYS = ['name', 'outputs', 'outbox', 'metrics', 'evidence'] as const

const KINDS = ['stdout', 'file', 'webhook', 'mqtt', 'nats'] as const

/**
 * Validates the delivery part of a deployment: `name`, `outputs` (or the older single `output`,
 * given as `legacy`), `outbox`, `metrics`.
 */
export function checkDelivery(top: Record<string, unknown>, legacy: { type: 'stdout' | 'file'; path?: string; format: EventFormat }, baseDir: string): DeliveryConfig {
  const name = top.name === undefined ? hostname() : checkString('name', top.name)
  let outputs: OutputSpec[]
  if (top.outputs !== undefined) {
    if (top.output !== undefined) throw new InvalidOptionError('output', 'give either `output:` (one) or `outputs:` (a list), not both')
    const list = checkArray('outputs', top.outputs)
    if (list.length === 0) throw new InvalidOptionError('outputs', 'expected at least one output, e.g. [stdout] or [{ mqtt: { url: mqtt://127.0.0.1:1883 } }]')
    outputs = list.map((entry, i) => checkOutputEntry(`outputs[${i}]`, entry, baseDir))
    const names = new Map<string, number>()
    outputs = outputs.map((o) => {
      const n = (names.get(o.name) ?? 0) + 1
      names.set(o.name, n)
      return n === 1 ? o : { ...o, name: `${o.name}-${n}` }
    })
  } else {
    outputs = [legacy.type === 'file' ? { kind: 'file', name: 'file', path: legacy.path!, format: legacy.format, filter: {} } : { kind: 'stdout', name: 'stdout', format: legacy.format, filter: {} }]
  }
  const ob = checkObject('outbox', top.outbox, {})
  checkKnownKeys('outbox', ob, ['path', 'maxMB', 'maxAgeHours', 'full', 'drainSeconds'])
  const outbox: OutboxConfig = {
    path: ob.path === undefined ? resolve(baseDir, 'oko-outbox.sqlite') : resolvePath(checkString('outbox.path', ob.path), baseDir),
    maxBytes: Math.round((ob.maxMB === undefined ? 256 : checkNumber('outbox.maxMB', ob.maxMB, { min: 0.001, max: 1_000_000 })) * 1024 * 1024),
    maxAgeMs: Math.round((ob.maxAgeHours === undefined ? 7 * 24 : checkNumber('outbox.maxAgeHours', ob.maxAgeHours, { min: 0.001, max: 100_000 })) * 3_600_000),
    full: checkOneOf('outbox.full', ob.full, ['drop-oldest', 'drop-newest'] as const, 'drop-oldest'),
    drainMs: Math.round((ob.drainSeconds === undefined ? 10 : checkNumber('outbox.drainSeconds', ob.drainSeconds, { min: 0, max: 3600 })) * 1000),
  }
  let metrics: MetricsConfig | undefined
  if (top.metrics !== undefined) {
    const m = checkObject('metrics', top.metrics)
    checkKnownKeys('metrics', m, ['listen'])
    metrics = checkListen('metrics.listen', m.listen)
  }
  const evidence = top.evidence === undefined ? undefined : checkEvidence(top.evidence, baseDir)
  return { name, outputs, outbox, ...(metrics ? { metrics } : {}), ...(evidence ? { evidence } : {}) }
}

function checkEvidence(value: unknown, baseDir: string): EvidenceConfig {
  const e = checkObject('evidence', value)
  checkKnownKeys('evidence', e, ['path', 'maxMB', 'maxAgeHours', 'listen', 'url', 'clips'])
  const listen = e.listen === undefined ? undefined : checkListen('evidence.listen', e.listen)
  if (e.url === undefined && listen === undefined) throw new InvalidOptionError('evidence', 'give `listen: 127.0.0.1:9465` (oko serves the files) or `url:` (where they are served from), so events can point at their evidence')
  const baseUrl = e.url !== undefined ? checkUrl('evidence.url', e.url, ['http', 'https']) : `http://${listen!.host}:${listen!.port}/evidence`
  let clips: EvidenceConfig['clips']
  if (e.clips !== undefined) {
    const c = checkObject('evidence.clips', e.clips)
    checkKnownKeys('evidence.clips', c, ['types', 'preSeconds', 'postSeconds', 'ringSeconds', 'ringMB'])
    const preS = c.preSeconds === undefined ? 5 : checkNumber('evidence.clips.preSeconds', c.preSeconds, { min: 0, max: 300 })
    const postS = c.postSeconds === undefined ? 5 : checkNumber('evidence.clips.postSeconds', c.postSeconds, { min: 0, max: 300 })
    clips = {
      types: checkArray('evidence.clips.types', c.types, ['plate', 'face']).map((t, i) => checkString(`evidence.clips.types[${i}]`, t)),
      preMs: preS * 1000, postMs: postS * 1000,
      ringSeconds: c.ringSeconds === undefined ? Math.max(30, preS * 2) : checkNumber('evidence.clips.ringSeconds', c.ringSeconds, { min: preS + 1, max: 3600 }),
      ringBytes: Math.round((c.ringMB === undefined ? 64 : checkNumber('evidence.clips.ringMB', c.ringMB, { min: 1, max: 16_384 })) * 1024 * 1024),
    }
  }
  return {
    path: e.path === undefined ? resolve(baseDir, 'oko-evidence') : resolvePath(checkString('evidence.path', e.path), baseDir),
    maxBytes: Math.round((e.maxMB === undefined ? 2048 : checkNumber('evidence.maxMB', e.maxMB, { min: 1, max: 100_000_000 })) * 1024 * 1024),
    maxAgeMs: Math.round((e.maxAgeHours === undefined ? 720 : checkNumber('evidence.maxAgeHours', e.maxAgeHours, { min: 0.001, max: 1_000_000 })) * 3_600_000),
    ...(listen ? { listen } : {}), baseUrl, ...(clips ? { clips } : {}),
  }
}

/** `host:port` (a port alone listens on 127.0.0.1). */
export function checkListen(path: string, value: unknown): { host: string; port: number } {
  const text = typeof value === 'number' ? `127.0.0.1:${value}` : checkString(path, value)
  const m = /^(?:\[?([^\]]*)\]?:)?(\d{1,5})$/.exec(text)
  const port = m ? Number(m[2]) : NaN
  if (!m || port > 65535) throw new InvalidOptionError(path, `expected host:port such as 127.0.0.1:9464, received ${describeValue(value)}`)
  return { host: m[1] || '127.0.0.1', port }
}

function checkOutputEntry(path: string, entry: unknown, baseDir: string): OutputSpec {
  if (entry === 'stdout') return { kind: 'stdout', name: 'stdout', format: 'jsonl', filter: {} }
  const o = checkObject(path, entry)
  const keys = Object.keys(o)
  if (keys.length !== 1 || !(KINDS as readonly string[]).includes(keys[0]!)) {
    throw new InvalidOptionError(path, `expected one of ${KINDS.map((k) => `{ ${k}: … }`).join(', ')} or "stdout", received ${keys.length === 1 ? `{ ${keys[0]}: … }` : describeValue(entry)}`)
  }
  const kind = keys[0] as (typeof KINDS)[number]
  const at = `${path}.${kind}`
  const raw = o[kind]
  if (kind === 'file' && typeof raw === 'string') {
    const file = resolvePath(raw, baseDir)
    return { kind, name: 'file', path: file, format: formatOf(file), filter: {} }
  }
  const v = checkObject(at, raw ?? {})
  const common = ['name', 'batchSize', ...FILTER_KEYS]
  const str = (k: string) => (v[k] === undefined ? {} : { [k]: checkString(`${at}.${k}`, v[k]) })
  const file = (k: string) => (v[k] === undefined ? {} : { [k]: resolvePath(checkString(`${at}.${k}`, v[k]), baseDir) })
  const base = {
    name: v.name === undefined ? kind : checkString(`${at}.name`, v.name),
    filter: checkFilter(at, v),
    ...(v.batchSize !== undefined ? { batchSize: checkNumber(`${at}.batchSize`, v.batchSize, { min: 1, max: 10_000, integer: true }) } : {}),
  }
  switch (kind) {
    case 'stdout':
      checkKnownKeys(at, v, ['format', ...common])
      return { kind, ...base, format: checkOneOf(`${at}.format`, v.format, ['jsonl', 'msgpack'] as const, 'jsonl') }
    case 'file': {
      checkKnownKeys(at, v, ['path', 'format', ...common])
      const p = resolvePath(checkString(`${at}.path`, v.path), baseDir)
      return { kind, ...base, path: p, format: checkOneOf(`${at}.format`, v.format, ['jsonl', 'msgpack'] as const, formatOf(p)) }
    }
    case 'webhook': {
      checkKnownKeys(at, v, ['url', 'secret', 'headers', 'timeoutMs', ...common])
      const url = checkUrl(`${at}.url`, v.url, ['http', 'https'])
      const headers = v.headers === undefined ? undefined : Object.fromEntries(Object.entries(checkObject(`${at}.headers`, v.headers)).map(([k, h]) => [k, checkString(`${at}.headers.${k}`, h)]))
      return {
        kind, ...base, url, ...str('secret'), ...(headers ? { headers } : {}),
        ...(v.timeoutMs !== undefined ? { timeoutMs: checkNumber(`${at}.timeoutMs`, v.timeoutMs, { min: 1, max: 600_000 }) } : {}),
      }
    }
    case 'mqtt':
      checkKnownKeys(at, v, ['url', 'prefix', 'username', 'password', 'ca', 'cert', 'key', 'retainSnapshots', ...common])
      return {
        kind, ...base, url: checkUrl(`${at}.url`, v.url, ['mqtt', 'mqtts', 'tcp', 'ssl', 'ws', 'wss']), ...str('prefix'), ...str('username'), ...str('password'),
        ...file('ca'), ...file('cert'), ...file('key'),
        ...(v.retainSnapshots !== undefined ? { retainSnapshots: checkBoolean(`${at}.retainSnapshots`, v.retainSnapshots) } : {}),
      }
    case 'nats': {
      checkKnownKeys(at, v, ['url', 'servers', 'subject', 'stream', 'user', 'pass', 'token', 'ca', 'cert', 'key', ...common])
      const list = v.servers !== undefined ? checkArray(`${at}.servers`, v.servers) : [v.url]
      const servers = list.map((s, i) => checkUrl(v.servers !== undefined ? `${at}.servers[${i}]` : `${at}.url`, s, ['nats', 'tls']))
      return { kind, ...base, servers, ...str('subject'), ...str('stream'), ...str('user'), ...str('pass'), ...str('token'), ...file('ca'), ...file('cert'), ...file('key') }
    }
  }
}

function checkUrl(path: string, value: unknown, schemes: readonly string[]): string {
  const text = checkString(path, value)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidOptionError(path, `expected a URL such as ${schemes[0]}://127.0.0.1, received ${describeValue(text)}`)
  }
  const scheme = url.protocol.replace(/:$/, '')
  if (!schemes.includes(scheme)) throw new InvalidOptionError(path, `expected a ${schemes.map((s) => `${s}://`).join(' or ')} URL, received ${scheme}://`)
  return text
}

function formatOf(path: string): EventFormat {
  return /\.(msgpack|mpk)$/i.test(path) ? 'msgpack' : 'jsonl'
}

function resolvePath(value: string, baseDir: string): string {
  return isAbsolute(value) ? value : resolve(baseDir, value)
}
