// Builds better-sqlite3's native addon when it is missing (pnpm-workspace.yaml does not let its
// install script run: offline, that script fails on downloading Node's headers). Tries the
// published binary first (prebuild-install), then compiles with node-gyp against the headers of
// the running Node when they are installed beside it (Debian: /usr/include/node), so an install
// without network works with only make and g++.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const dir = dirname(require.resolve('better-sqlite3/package.json'))
if (existsSync(join(dir, 'build', 'Release', 'better_sqlite3.node'))) process.exit(0)

const prefix = dirname(dirname(process.execPath))
const env = { ...process.env }
if (!env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node.h'))) env.npm_config_nodedir = prefix
let log = ''
const run = (script, args) => {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: dir, env, encoding: 'utf8' })
  log += `${r.stdout ?? ''}${r.stderr ?? ''}`
  return r.status === 0
}
const prebuilt = join(dirname(require.resolve('prebuild-install/package.json', { paths: [dir] })), 'bin.js')
if (run(prebuilt, [])) process.exit(0)
const gyp = join(dirname(require.resolve('node-gyp/package.json')), 'bin', 'node-gyp.js')
if (!run(gyp, ['rebuild', '--release', '-j', '2'])) {
  console.error(log)
  console.error('@oko/sinks: could not build better-sqlite3 (the outbox); install make and g++, and Node\'s headers or network access for node-gyp')
  process.exit(1)
}
