import { readFileSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { InvalidOptionError, OkoError } from '@oko/core'
import { parseLocated, splitPath } from './locate.js'
import { hintFor, validateDeployment, type ConfigEnv, type DeploymentConfig } from './schema.js'
import { defaultStages, type StageRegistry } from './stages.js'

export interface LoadOptions {
  /** Stages configs may name. Default: `defaultStages()` (motion). */
  readonly registry?: StageRegistry
  /** Folder relative file paths in the config are taken from. Default: the config file's. */
  readonly baseDir?: string
  /** Where `${NAME}` in camera URLs is looked up. Default `process.env`. */
  readonly env?: ConfigEnv
  /** Accept `cameras: []` (cameras added at run time). */
  readonly allowNoCameras?: boolean
}

/**
 * Largest deployment file read. Parsing YAML keeps every node with its position (~250–550 bytes
 * of memory per byte of text), so a 30 MB file of zones exhausted V8's heap; 1 MiB holds a
 * thousand cameras with zones and costs at most ~0.6 GB while it is parsed.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024

/** Reads and validates a deployment file (YAML or JSON). Errors point at the line and say the fix. */
export function loadDeployment(file: string, options: LoadOptions = {}): DeploymentConfig {
  let text: string
  try {
    const size = statSync(file).size
    if (size > MAX_CONFIG_BYTES) throw tooLarge(file, size)
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    if (cause instanceof OkoError) throw cause
    throw new OkoError('ERR_FILE_NOT_FOUND', `cannot read config ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause })
  }
  return parseDeployment(text, { ...options, baseDir: options.baseDir ?? dirname(resolve(file)) }, file)
}

/** Validates a deployment given as text. */
export function parseDeployment(text: string, options: LoadOptions = {}, file = 'config'): DeploymentConfig {
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) throw tooLarge(file, Buffer.byteLength(text))
  const located = parseLocated(text, file)
  try {
    return validateDeployment(located.data, { baseDir: options.baseDir ?? process.cwd(), registry: options.registry ?? defaultStages(), env: options.env ?? process.env, ...(options.allowNoCameras ? { allowNoCameras: true } : {}) })
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error
    const line = located.line(splitPath(error.option.replace(/^config\.?/, '')))
    const detail = error.message.slice(error.option.length + 2)
    const hint = hintFor(error.option)
    const where = line === undefined ? error.option : `${error.option} (line ${line})`
    throw new InvalidOptionError(where, hint && !detail.includes(hint) ? `${detail}; ${hint}` : detail)
  }
}

function tooLarge(file: string, bytes: number): InvalidOptionError {
  return new InvalidOptionError(file, `is ${(bytes / 2 ** 20).toFixed(1)} MiB; deployment files are limited to ${MAX_CONFIG_BYTES / 2 ** 20} MiB (keep watchlists in their own files; split very large deployments over several oko processes)`)
}
