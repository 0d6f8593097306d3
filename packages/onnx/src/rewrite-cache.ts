import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

/** Where a rewritten model is kept between runs (see OpenSessionOptions.rewriteCache). */
export interface RewriteCacheOptions {
  /**
   * Names the rewrite and everything its output depends on besides the model's bytes (its
   * version, e.g. `optimize-v${OPTIMIZE_VERSION}`, and its arguments): a different key is a
   * different entry.
   */
  readonly key: string
  /** The cache folder. Default: `oko/onnx-rewrites` under the OS cache folder (`$XDG_CACHE_HOME` or `~/.cache` on Linux). */
  readonly dir?: string
}

/** A cached rewrite: the model bytes and what the rewrite reported. */
export interface CachedRewrite {
  readonly bytes: Uint8Array
  readonly report: unknown
}

/** The first bytes of an entry (and its layout version). */
const MAGIC = 'OKORW1\n'

/** The OS cache folder for oko's files. */
export function osCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'oko')
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'oko')
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'oko', 'cache')
  return join(homedir(), '.cache', 'oko')
}

/** The file of the entry for a model (its SHA-256, hex) rewritten as `options.key` says. */
export function rewriteCacheFile(modelSha256: string, options: RewriteCacheOptions): string {
  const dir = options.dir ?? join(osCacheDir(), 'onnx-rewrites')
  const name = createHash('sha256').update(modelSha256).update('\0').update(options.key).digest('hex').slice(0, 32)
  return join(dir, `${name}.onnx-rewrite`)
}

/**
 * The cached rewrite in `file`, or undefined when there is none or it is not whole: an entry is
 * the magic line, a JSON line with the report and the SHA-256 of the model bytes, then the bytes;
 * one whose bytes do not hash to what it says (cut short, overwritten) is ignored.
 */
export function readRewrite(file: string): CachedRewrite | undefined {
  let data: Buffer
  try {
    data = readFileSync(file)
  } catch {
    return undefined
  }
  if (data.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) return undefined
  const end = data.indexOf(10, MAGIC.length)
  if (end < 0) return undefined
  let head: { sha256?: unknown; report?: unknown }
  try {
    head = JSON.parse(data.subarray(MAGIC.length, end).toString('utf8')) as typeof head
  } catch {
    return undefined
  }
  const bytes = data.subarray(end + 1)
  if (typeof head.sha256 !== 'string' || createHash('sha256').update(bytes).digest('hex') !== head.sha256) return undefined
  return { bytes, report: head.report }
}

/** Writes an entry (to a temporary file, then renamed: readers never see half of one). An unwritable folder is not an error: the rewrite is only redone next time. */
export function writeRewrite(file: string, entry: CachedRewrite): boolean {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  try {
    mkdirSync(join(file, '..'), { recursive: true })
    const head = JSON.stringify({ sha256: createHash('sha256').update(entry.bytes).digest('hex'), report: entry.report ?? null })
    writeFileSync(tmp, Buffer.concat([Buffer.from(MAGIC, 'latin1'), Buffer.from(`${head}\n`, 'utf8'), entry.bytes]))
    renameSync(tmp, file)
    return true
  } catch {
    try { rmSync(tmp, { force: true }) } catch { /* its folder is not there either */ }
    return false
  }
}
