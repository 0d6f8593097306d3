import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { OkoError } from '@oko/core'

/**
 * A package's built worker module, `worker.js` beside the module at `moduleUrl` (its
 * `import.meta.url`); from TypeScript sources (tests) the built one in `../dist`, since worker
 * threads always load `dist/`. `what` names it in the error, `packageName` says what to build.
 */
export function builtWorkerFile(moduleUrl: string, what: string, packageName: string): URL {
  const here = fileURLToPath(moduleUrl)
  const url = /[\\/]src[\\/][^\\/]+\.ts$/.test(here) ? new URL('../dist/worker.js', moduleUrl) : new URL('./worker.js', moduleUrl)
  if (!existsSync(url)) throw new OkoError('ERR_FILE_NOT_FOUND', `${what} worker module not found: ${fileURLToPath(url)}; build ${packageName} first (pnpm --filter ${packageName} build)`)
  return url
}
