// better-sqlite3, the one SQLite binding of the outbox and the event index, loaded on first use.
import { existsSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type Database from 'better-sqlite3'
import { OkoError } from '@oko/core'

/**
 * How to build better-sqlite3 where npm could not: node-gyp compiles it (make, g++, Python)
 * against Node's headers, which it downloads unless told where the installed ones are.
 */
function buildSqliteHint(): string {
  const prefix = dirname(dirname(process.execPath))
  const headers = existsSync(join(prefix, 'include', 'node', 'node.h'))
  return `run \`npm install --nodedir=${headers ? prefix : '<folder with include/node/node.h>'}\` (node-gyp compiles it with make and g++ against Node's headers there) or install where github.com is reachable`
}

/**
 * Opens the database with better-sqlite3, loaded when an outbox or an event index opens. It is an optional
 * dependency: its install script downloads a prebuilt binary from GitHub or compiles one (node-gyp
 * then downloads Node's headers), and where neither works npm leaves it out rather than fail the
 * whole install.
 */
export function openDatabase(path: string, user = 'the outbox'): Database.Database {
  let Sqlite: typeof Database
  try {
    Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof Database
  } catch (cause) {
    throw new OkoError('ERR_UNSUPPORTED', `${user} needs better-sqlite3, which is not installed; ${buildSqliteHint()}`, { cause })
  }
  try {
    return new Sqlite(path)
  } catch (cause) {
    // Installed with its script skipped: the package is there, its native addon is not.
    if (/bindings file|better_sqlite3\.node/.test((cause as Error).message)) throw new OkoError('ERR_UNSUPPORTED', `${user} needs better-sqlite3, whose native addon is not built; ${buildSqliteHint()}`, { cause })
    throw cause
  }
}


/**
 * Opens (creates) the SQLite file at `path` for `user`, its folder too, in WAL mode: a missing
 * binding keeps its own message; any other failure names the option `option` and the file.
 */
export function openStore(path: string, option: string, user: string): Database.Database {
  let db: Database.Database
  try {
    mkdirSync(dirname(path), { recursive: true })
    db = openDatabase(path, user)
  } catch (cause) {
    if (cause instanceof OkoError) throw cause
    throw new OkoError('ERR_INVALID_INPUT', `${option}: cannot open ${path} (${(cause as Error).message}); give a file in a writable folder`, { cause })
  }
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  return db
}
