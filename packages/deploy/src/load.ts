import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { InvalidOptionError, OkoError } from '@oko/core'
import { parseLocated, splitPath } from './locate.js'
import { hintFor, validateDeployment, type DeploymentConfig } from './schema.js'
import { defaultStages, type StageRegistry } from './stages.js'

export interface LoadOptions {
  /** Stages configs may name. Default: `defaultStages()` (motion). */
  readonly registry?: StageRegistry
  /** Folder relative file paths in the config are taken from. Default: the config file's. */
  readonly baseDir?: string
}

/** Reads and validates a deployment file (YAML or JSON). Errors point at the line and say the fix. */
export function loadDeployment(file: string, options: LoadOptions = {}): DeploymentConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new OkoError('ERR_FILE_NOT_FOUND', `cannot read config ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause })
  }
  return parseDeployment(text, { ...options, baseDir: options.baseDir ?? dirname(resolve(file)) }, file)
}

/** Validates a deployment given as text. */
export function parseDeployment(text: string, options: LoadOptions = {}, file = 'config'): DeploymentConfig {
  const located = parseLocated(text, file)
  try {
    return validateDeployment(located.data, { baseDir: options.baseDir ?? process.cwd(), registry: options.registry ?? defaultStages() })
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error
    const line = located.line(splitPath(error.option.replace(/^config\.?/, '')))
    const detail = error.message.slice(error.option.length + 2)
    const hint = hintFor(error.option)
    const where = line === undefined ? error.option : `${error.option} (line ${line})`
    throw new InvalidOptionError(where, hint && !detail.includes(hint) ? `${detail}; ${hint}` : detail)
  }
}
