import { createHash } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { OkoError, checkNumber, checkString } from '@oko/core'

/**
 * Default match threshold for face-api descriptors with dlib alignment: stricter than dlib's 0.6
 * because a watchlist compares each stranger with everyone on it. Calibrate for your own cameras
 * (calibrateOpenSet / `oko eval faces --fmr`).
 */
export const DEFAULT_MATCH_THRESHOLD = 0.55

const MAGIC = 'OKOFACEW'
/** Watchlist file format version this build reads and writes. */
export const WATCHLIST_FORMAT_VERSION = 1

export interface WatchlistMatch {
  /** Best identity when its distance is below the threshold; undefined for a stranger (open set). */
  readonly identity: string | undefined
  /** Distance to the nearest enrolled descriptor of the best identity. */
  readonly distance: number
  /** The nearest identity even when rejected (for review and calibration). */
  readonly nearest: string | undefined
}

export interface WatchlistOptions {
  /** Descriptor model id (FaceEmbedder.modelId / FaceAnalysis.modelId). */
  modelId: string
  /** Descriptor length. Default 128. */
  dimensions?: number
  /** A face matches when its distance is below this. Default DEFAULT_MATCH_THRESHOLD. */
  threshold?: number
}

/**
 * People to recognise: descriptors per identity, matched nearest-neighbour with a distance
 * threshold, unknown faces rejected. Saved in a versioned, checksummed binary file.
 * Personal data: descriptors are never logged; `toJSON` gives names and counts only.
 */
export class Watchlist {
  readonly modelId: string
  readonly dimensions: number
  #threshold: number
  readonly #entries = new Map<string, Float32Array[]>()

  private constructor(modelId: string, dimensions: number, threshold: number) {
    this.modelId = modelId
    this.dimensions = dimensions
    this.#threshold = threshold
  }

  static create(options: WatchlistOptions): Watchlist {
    const modelId = checkString('options.modelId', options.modelId)
    const dimensions = options.dimensions === undefined ? 128 : checkNumber('options.dimensions', options.dimensions, { min: 1, max: 65535, integer: true })
    const threshold = options.threshold === undefined ? DEFAULT_MATCH_THRESHOLD : checkNumber('options.threshold', options.threshold, { min: 0, exclusiveMin: true, max: 1e6 })
    return new Watchlist(modelId, dimensions, threshold)
  }

  get threshold(): number {
    return this.#threshold
  }

  set threshold(value: number) {
    this.#threshold = checkNumber('threshold', value, { min: 0, exclusiveMin: true, max: 1e6 })
  }

  /** Number of identities. */
  get size(): number {
    return this.#entries.size
  }

  get identities(): string[] {
    return [...this.#entries.keys()]
  }

  /** Descriptors enrolled for one identity (copies). */
  descriptorsOf(identity: string): Float32Array[] {
    return (this.#entries.get(identity) ?? []).map((d) => d.slice())
  }

  /** Adds descriptors (one per photo) to an identity, creating it if new. */
  enrol(identity: string, descriptors: readonly Float32Array[]): void {
    checkString('identity', identity)
    if (Buffer.byteLength(identity) > 1024) throw new OkoError('ERR_INVALID_INPUT', 'identity: at most 1024 bytes')
    if (descriptors.length === 0) throw new OkoError('ERR_INVALID_INPUT', `enrol "${identity}": no descriptors given; enrol from at least one photo`)
    const list = this.#entries.get(identity) ?? []
    for (const [i, d] of descriptors.entries()) {
      this.checkDescriptor(`descriptors[${i}]`, d)
      list.push(Float32Array.from(d))
    }
    this.#entries.set(identity, list)
  }

  remove(identity: string): boolean {
    return this.#entries.delete(identity)
  }

  /** Open-set identification: the nearest identity, accepted only under the threshold. */
  match(descriptor: Float32Array, threshold = this.#threshold): WatchlistMatch {
    this.checkDescriptor('descriptor', descriptor)
    if (this.#entries.size === 0) throw new OkoError('ERR_INVALID_INPUT', 'the watchlist is empty: enrol someone before matching')
    let nearest: string | undefined
    let best = Infinity
    for (const [identity, list] of this.#entries) {
      for (const d of list) {
        const dist = euclidean(d, descriptor)
        if (dist < best) { best = dist; nearest = identity }
      }
    }
    return { identity: best < threshold ? nearest : undefined, distance: best, nearest }
  }

  private checkDescriptor(path: string, d: unknown): void {
    if (!(d instanceof Float32Array) || d.length !== this.dimensions) {
      throw new OkoError('ERR_INVALID_INPUT', `${path}: expected a Float32Array of ${this.dimensions} values from model ${this.modelId}, received ${d instanceof Float32Array ? `${d.length} values` : typeof d}`)
    }
    for (const v of d) if (!Number.isFinite(v)) throw new OkoError('ERR_INVALID_INPUT', `${path}: contains a non-finite value`)
  }

  /** Binary file: magic, version, model id, threshold, dimensions, counts, entries, SHA-256 of all before it. */
  toBytes(): Uint8Array {
    const parts: Buffer[] = []
    const model = Buffer.from(this.modelId)
    const head = Buffer.alloc(8 + 2 + 2 + 4 + 4 + 2)
    head.write(MAGIC, 0, 'latin1')
    head.writeUInt16LE(WATCHLIST_FORMAT_VERSION, 8)
    head.writeUInt16LE(this.dimensions, 10)
    head.writeUInt32LE(this.#entries.size, 12)
    head.writeFloatLE(this.#threshold, 16)
    head.writeUInt16LE(model.length, 20)
    parts.push(head, model)
    for (const [identity, list] of this.#entries) {
      const name = Buffer.from(identity)
      const h = Buffer.alloc(6)
      h.writeUInt16LE(name.length, 0)
      h.writeUInt32LE(list.length, 2)
      parts.push(h, name)
      for (const d of list) parts.push(Buffer.from(d.buffer, d.byteOffset, d.byteLength))
    }
    const body = Buffer.concat(parts)
    return Buffer.concat([body, createHash('sha256').update(body).digest()])
  }

  /**
   * Reads a watchlist file's bytes. Rejects (ERR_INVALID_INPUT / ERR_UNSUPPORTED) files that are not
   * watchlists, were written by another format version, were modified (checksum), or hold
   * descriptors of another model than `expectModelId`.
   */
  static fromBytes(bytes: Uint8Array, options: { expectModelId?: string; source?: string } = {}): Watchlist {
    const src = options.source ?? 'watchlist'
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const bad = (why: string): never => { throw new OkoError('ERR_INVALID_INPUT', `${src}: ${why}`) }
    if (buf.length < 22 + 32 || buf.toString('latin1', 0, 8) !== MAGIC) bad('not an oko face watchlist (bad magic or too short)')
    const version = buf.readUInt16LE(8)
    if (version !== WATCHLIST_FORMAT_VERSION) {
      throw new OkoError('ERR_UNSUPPORTED', `${src}: watchlist format version ${version}, this oko reads version ${WATCHLIST_FORMAT_VERSION}; re-enrol with this version`)
    }
    const body = buf.subarray(0, buf.length - 32)
    if (!createHash('sha256').update(body).digest().equals(buf.subarray(buf.length - 32))) bad('checksum mismatch: the file was modified or truncated')
    const dimensions = buf.readUInt16LE(10)
    const count = buf.readUInt32LE(12)
    const threshold = buf.readFloatLE(16)
    let at = 22 + buf.readUInt16LE(20)
    if (at > body.length || dimensions === 0) bad('corrupt header')
    const modelId = buf.toString('utf8', 22, at)
    if (options.expectModelId !== undefined && modelId !== options.expectModelId) {
      bad(`descriptors are from model "${modelId}", this analyzer uses "${options.expectModelId}"; re-enrol with the current model`)
    }
    const list = new Watchlist(modelId, dimensions, threshold > 0 && Number.isFinite(threshold) ? threshold : DEFAULT_MATCH_THRESHOLD)
    for (let i = 0; i < count; i++) {
      if (at + 6 > body.length) bad('truncated entry')
      const nameLen = buf.readUInt16LE(at)
      const n = buf.readUInt32LE(at + 2)
      at += 6
      if (at + nameLen + n * dimensions * 4 > body.length) bad('truncated entry')
      const name = buf.toString('utf8', at, at + nameLen)
      at += nameLen
      const ds: Float32Array[] = []
      for (let k = 0; k < n; k++, at += dimensions * 4) {
        ds.push(new Float32Array(buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + dimensions * 4)))
      }
      list.enrol(name, ds)
    }
    if (at !== body.length) bad('trailing bytes after the last entry')
    return list
  }

  static async load(path: string, options: { expectModelId?: string } = {}): Promise<Watchlist> {
    let bytes: Buffer
    try {
      bytes = await readFile(path)
    } catch (cause) {
      throw new OkoError('ERR_FILE_NOT_FOUND', `watchlist not found: ${path}`, { cause })
    }
    return Watchlist.fromBytes(bytes, { ...options, source: path })
  }

  /** Writes atomically (temporary file, then rename). */
  async save(path: string): Promise<void> {
    const tmp = `${path}.${process.pid}.tmp`
    await writeFile(tmp, this.toBytes())
    await rename(tmp, path)
  }

  /** Names and counts only: descriptors never reach logs. */
  toJSON(): { modelId: string; threshold: number; identities: { identity: string; descriptors: number }[] } {
    return { modelId: this.modelId, threshold: this.#threshold, identities: [...this.#entries].map(([identity, l]) => ({ identity, descriptors: l.length })) }
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Watchlist(${this.#entries.size} identities, model ${this.modelId}, threshold ${this.#threshold})`
  }
}

export function euclidean(a: Float32Array, b: Float32Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!
    s += d * d
  }
  return Math.sqrt(s)
}
