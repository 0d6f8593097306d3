import { InvalidOptionError, OkoError, checkKnownKeys, checkObject, checkString, describeValue, optionalNumber, type Attribute, type Track } from '@oko/core'

/** What the vehicle register holds for a plate (any field may be missing). */
export interface RegistryRecord {
  readonly make?: string
  readonly model?: string
  /** One of the colour names of `VEHICLE_COLOURS` where it can be (`white`, `silver`…). */
  readonly colour?: string
  /** `car`, `van`, `bus`, `truck`, `motorcycle`, `bicycle`. */
  readonly type?: string
  /** The owner's or the vehicle's status in the register (`stolen`, `wanted`, `ok`…). */
  readonly status?: string
}

/** Looks a plate up in the vehicle register: its record, or undefined when the plate is not registered. */
export type RegistryLookup = (plate: string, signal: AbortSignal) => Promise<RegistryRecord | undefined>

/** An HTTP vehicle register: `GET url` with `{plate}` replaced by the plate (URL-encoded); JSON body; 404 = not registered. */
export interface HttpRegistryOptions {
  /** e.g. `http://registry.local/vehicles/{plate}`. Without `{plate}`, `?plate=` is added. */
  readonly url: string
  /** Per request (default 2000 ms): a register that does not answer in time is skipped for this plate, and asked again later. */
  readonly timeoutMs?: number
  /** Answers kept (default 1 h), found and not found alike. */
  readonly cacheMinutes?: number
  /** Plates kept in the cache (default 10,000; the oldest go first). */
  readonly cacheSize?: number
  /** Extra request headers (an API key). */
  readonly headers?: Readonly<Record<string, string>>
}

export const HTTP_REGISTRY_KEYS = ['url', 'timeoutMs', 'cacheMinutes', 'cacheSize', 'headers']

/** A cached lookup: each plate asked at most once per `cacheMinutes` (failures are not cached). */
export function cachedLookup(lookup: RegistryLookup, options: { cacheMinutes?: number; cacheSize?: number } = {}): RegistryLookup {
  const ttlMs = (options.cacheMinutes ?? 60) * 60_000
  const size = options.cacheSize ?? 10_000
  const cache = new Map<string, { atMs: number; record: Promise<RegistryRecord | undefined> }>()
  return (plate, signal) => {
    const hit = cache.get(plate)
    if (hit && Date.now() - hit.atMs < ttlMs) return hit.record
    cache.delete(plate)
    const record = lookup(plate, signal)
    cache.set(plate, { atMs: Date.now(), record })
    // a failed lookup is asked again next time
    record.catch(() => { if (cache.get(plate)?.record === record) cache.delete(plate) })
    while (cache.size > size) cache.delete(cache.keys().next().value!)
    return record
  }
}

/** Checks HTTP registry options; errors name `path.option`. */
export function resolveHttpRegistry(value: unknown, path: string): Required<Omit<HttpRegistryOptions, 'headers'>> & { headers: Record<string, string> } {
  const o = checkObject(path, value)
  checkKnownKeys(path, o, HTTP_REGISTRY_KEYS)
  const url = checkString(`${path}.url`, o.url)
  let parsed: URL
  try {
    parsed = new URL(url.replace('{plate}', 'PLATE'))
  } catch {
    throw new InvalidOptionError(`${path}.url`, `expected an http(s) URL such as http://registry.local/vehicles/{plate}, received ${describeValue(url)}`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InvalidOptionError(`${path}.url`, `expected an http or https URL, received ${describeValue(url)}`)
  const headers = checkObject(`${path}.headers`, o.headers, {})
  for (const [k, v] of Object.entries(headers)) checkString(`${path}.headers.${k}`, v)
  return {
    url,
    timeoutMs: optionalNumber(`${path}.timeoutMs`, o.timeoutMs, 2000, { min: 1, max: 120_000 }),
    cacheMinutes: optionalNumber(`${path}.cacheMinutes`, o.cacheMinutes, 60, { min: 0, max: 60 * 24 * 30 }),
    cacheSize: optionalNumber(`${path}.cacheSize`, o.cacheSize, 10_000, { min: 1, max: 10_000_000, integer: true }),
    headers: headers as Record<string, string>,
  }
}

/** The lookup of an HTTP vehicle register, cached. The plate goes only to that URL (never to logs). */
export function httpRegistry(options: HttpRegistryOptions, path = 'options.registry'): RegistryLookup {
  const o = resolveHttpRegistry(options, path)
  const ask: RegistryLookup = async (plate, signal) => {
    const encoded = encodeURIComponent(plate)
    const url = o.url.includes('{plate}') ? o.url.replace('{plate}', encoded) : `${o.url}${o.url.includes('?') ? '&' : '?'}plate=${encoded}`
    const response = await fetch(url, { headers: { accept: 'application/json', ...o.headers }, signal: AbortSignal.any([signal, AbortSignal.timeout(o.timeoutMs)]) })
    if (response.status === 404) return undefined
    if (!response.ok) throw new OkoError('ERR_DATA', `the vehicle register answered HTTP ${response.status}`)
    return recordOf(await response.json())
  }
  return cachedLookup(ask, o)
}

function recordOf(body: unknown): RegistryRecord | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const b = body as Record<string, unknown>
  const out: Record<string, string> = {}
  for (const k of ['make', 'model', 'colour', 'type', 'status']) {
    const v = b[k] ?? (k === 'colour' ? b.color : undefined)
    if (typeof v === 'string' && v.trim() !== '') out[k] = v.trim().toLowerCase()
  }
  return out
}

/** Colours the camera and a register may name differently for the same paint. */
const SAME_COLOUR: readonly (readonly string[])[] = [['grey', 'silver', 'gray']]
/** Types a detector tells apart less well than a register (a van is often boxed as a car). */
const SAME_TYPE: readonly (readonly string[])[] = [['car', 'van']]

function alike(a: string, b: string, groups: readonly (readonly string[])[]): boolean {
  return a === b || groups.some((g) => g.includes(a) && g.includes(b))
}

/**
 * Fills a vehicle track's attributes from its register record (`make` where no classifier set it,
 * `registeredColour`, `registeredType`, `registryStatus`) and flags `registryMismatch` where the
 * camera saw another colour or type than the register holds for its plate: a cloned plate.
 */
export function applyRegistry(t: Track, record: RegistryRecord | undefined): void {
  if (!record) {
    t.attributes.registryStatus = { value: 'not registered', confidence: 1, source: 'registry' }
    return
  }
  const set = (name: string, value: string | undefined) => { if (value) t.attributes[name] = { value, confidence: 1, source: 'registry' } }
  const makeModel = [record.make, record.model].filter(Boolean).join(' ')
  if (makeModel && t.attributes.make?.source !== 'classifier') set('make', makeModel)
  set('registeredColour', record.colour)
  set('registeredType', record.type)
  set('registryStatus', record.status)
  const mismatches: string[] = []
  const seen = (a: Attribute | undefined, min: number) => (a && a.value !== 'unknown' && a.confidence >= min ? a.value : undefined)
  const colour = seen(t.attributes.colour, 0.5)
  if (colour && record.colour && !alike(colour, record.colour, SAME_COLOUR)) mismatches.push('colour')
  const type = seen(t.attributes.type, 0.5) ?? t.label
  if (record.type && !alike(type, record.type, SAME_TYPE)) mismatches.push('type')
  if (mismatches.length > 0) {
    t.attributes.registryMismatch = { value: mismatches.join('+'), confidence: t.attributes.plate?.confidence ?? 1, source: 'registry' }
  } else delete t.attributes.registryMismatch
}
