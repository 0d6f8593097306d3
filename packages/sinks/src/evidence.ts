import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OkoError, idTimeMs, newId, type CameraEventBase } from '@oko/core'

/** A picture or clip that proves an event, kept in the evidence store. */
export interface EvidenceRef {
  readonly id: string
  readonly kind: 'snapshot' | 'clip'
  /** Where the evidence endpoint serves it. */
  readonly url: string
  readonly contentType: 'image/jpeg' | 'video/mp4'
  /** Absent while a clip is being recorded (its `evidence` event says when it is ready). */
  readonly bytes?: number
}

/** A clip was made (`ok`), or could not be (`error`: no keyframe yet, the camera ended or dropped). */
export interface EvidenceEvent extends CameraEventBase {
  readonly type: 'evidence'
  /** A clip (when it is cut), or a snapshot taken after its event (an alarm's linked cameras). */
  readonly kind: 'clip' | 'snapshot'
  /** The event the clip is evidence of, and its frame. */
  readonly cause: string
  readonly seq?: number
  readonly ptsUs?: number
  readonly evidenceId: string
  readonly url: string
  readonly ok: boolean
  readonly bytes?: number
  /** Source-clock span of the clip, µs, and its frames. */
  readonly startPtsUs?: number
  readonly endPtsUs?: number
  readonly frames?: number
  readonly error?: { readonly code: string; readonly message: string }
}

declare module '@oko/core' {
  interface OkoEventMap {
    evidence: EvidenceEvent
  }
  interface EventBase {
    /** Pictures and clips that prove the event, in the evidence store. */
    readonly evidence?: readonly EvidenceRef[]
  }
}

export interface EvidenceStoreOptions {
  /** Folder of the files (created). */
  readonly path: string
  /** Bound on the files' total size; the oldest go first. Default 2 GiB. */
  readonly maxBytes?: number
  /** Files older than this are deleted. Default 30 days. */
  readonly maxAgeMs?: number
  /** Base of the URLs in references (`http://10.0.0.4:9465/evidence`). */
  readonly baseUrl: string
  readonly now?: () => number
}

const EXT = { snapshot: 'jpg', clip: 'mp4' } as const
const TYPE = { snapshot: 'image/jpeg', clip: 'video/mp4' } as const

/**
 * Snapshots and clips as files named by a ULID (so they sort by time) in one folder, with
 * retention by age and total size, applied on every write. Reopening the folder picks up what
 * is there. Files are personal data where they show faces and plates: the folder's access is the
 * operator's to restrict.
 */
export class EvidenceStore {
  readonly path: string
  readonly maxBytes: number
  readonly maxAgeMs: number
  readonly baseUrl: string
  readonly #files = new Map<string, { file: string; bytes: number; kind: 'snapshot' | 'clip' }>()
  readonly #now: () => number
  #bytes = 0
  #deleted = 0

  constructor(options: EvidenceStoreOptions) {
    this.path = options.path
    this.maxBytes = options.maxBytes ?? 2 * 1024 ** 3
    this.maxAgeMs = options.maxAgeMs ?? 30 * 24 * 3600 * 1000
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.#now = options.now ?? Date.now
    try {
      mkdirSync(this.path, { recursive: true })
    } catch (cause) {
      throw new OkoError('ERR_INVALID_INPUT', `evidence.path: cannot create ${this.path} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, { cause })
    }
    for (const name of readdirSync(this.path).sort()) {
      const m = /^([0-9A-HJKMNP-TV-Z]{26})\.(jpg|mp4)$/.exec(name)
      if (!m) continue
      const bytes = statSync(join(this.path, name)).size
      this.#files.set(m[1]!, { file: join(this.path, name), bytes, kind: m[2] === 'jpg' ? 'snapshot' : 'clip' })
      this.#bytes += bytes
    }
    this.#retain()
  }

  /** Stores JPEG bytes; returns the reference events carry. */
  putSnapshot(jpeg: Uint8Array): EvidenceRef {
    const ref = this.reserve('snapshot')
    const tmp = `${ref.file}.part`
    writeFileSync(tmp, jpeg)
    renameSync(tmp, ref.file)
    return this.commit(ref.id)
  }

  /** An id, URL and file for evidence written later (a clip); `commit` once the file is complete. */
  reserve(kind: 'snapshot' | 'clip'): EvidenceRef & { readonly file: string } {
    const id = newId(this.#now())
    return { id, kind, url: `${this.baseUrl}/${id}.${EXT[kind]}`, contentType: TYPE[kind], file: join(this.path, `${id}.${EXT[kind]}`) }
  }

  /** Counts a reserved file that is now written, and applies retention. */
  commit(id: string): EvidenceRef {
    const kind = ['snapshot', 'clip'].find((k) => statOf(join(this.path, `${id}.${EXT[k as 'clip']}`)) !== undefined) as 'snapshot' | 'clip' | undefined
    if (!kind) throw new OkoError('ERR_INVALID_INPUT', `evidence ${id}: no file was written for it`)
    const file = join(this.path, `${id}.${EXT[kind]}`)
    const bytes = statOf(file)!
    this.#files.set(id, { file, bytes, kind })
    this.#bytes += bytes
    this.#retain()
    return { id, kind, url: `${this.baseUrl}/${id}.${EXT[kind]}`, contentType: TYPE[kind], bytes }
  }

  /** The file of an id (as in URLs, with or without its extension), or undefined. */
  get(name: string): { file: string; contentType: string; bytes: number } | undefined {
    const id = name.replace(/\.(jpg|mp4)$/, '')
    const f = this.#files.get(id)
    if (!f || (name !== id && !name.endsWith(`.${EXT[f.kind]}`))) return undefined
    return { file: f.file, contentType: TYPE[f.kind], bytes: f.bytes }
  }

  stats(): { files: number; bytes: number; maxBytes: number; deleted: number } {
    return { files: this.#files.size, bytes: this.#bytes, maxBytes: this.maxBytes, deleted: this.#deleted }
  }

  /** Deletes what is past the age bound, then the oldest until under the size bound. */
  #retain(): void {
    const cutoff = this.#now() - this.maxAgeMs
    for (const [id, f] of this.#files) {
      if (idTimeMs(id) >= cutoff && this.#bytes <= this.maxBytes) break
      rmSync(f.file, { force: true })
      this.#files.delete(id)
      this.#bytes -= f.bytes
      this.#deleted++
    }
  }
}

function statOf(file: string): number | undefined {
  try {
    return statSync(file).size
  } catch {
    return undefined
  }
}
