import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { OkoError } from '@oko/core'

/**
 * Where the evaluation data lives: `OKO_DATA`, else `../shared/data` from `cwd`.
 * Returns undefined when the folder is absent, unless `CI=true`, where it is an error.
 */
export function evaluationDataDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  const dir = resolve(cwd, env.OKO_DATA ?? '../shared/data')
  if (existsSync(dir)) return dir
  if (env.CI === 'true') {
    throw new OkoError('ERR_DATA', `evaluation data not found at ${dir}: set OKO_DATA to the data folder (CI=true makes this an error)`)
  }
  return undefined
}
