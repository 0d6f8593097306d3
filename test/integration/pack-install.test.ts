// The packages as a user gets them: every package packed with `pnpm pack` (workspace: and catalog:
// rewritten to versions), installed with a plain `npm install` (no allowScripts, no .npmrc, no
// install variables, a user without ~/.npmrc) into a fresh application, and the README's embedding
// examples run there against dist/ (no oko-source condition, no workspace links). Where only the
// npm registry is reachable (this machine, a city's network), npm drops the two optional
// dependencies whose install scripts download from elsewhere: onnxruntime-node (the models then
// run on onnxruntime-web, and one line says how to get the native engine) and better-sqlite3 (an
// outbox then refuses to open with one line that says how to build it). Then the application
// follows those two lines and gets both. With full network access npm installs both at once, and
// the test checks that instead.
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { drawPlate, streetScene, writeSampleClip, writeStillClip } from '@oko/samples'

const run = promisify(execFile)
const root = join(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'oko-pack-'))
const app = join(dir, 'app')
const packs = join(dir, 'packs')
// the examples are TypeScript: tsx (the repository's) only transpiles them, resolution stays the app's
const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href
const packages = readdirSync(join(root, 'packages')).filter((p) => existsSync(join(root, 'packages', p, 'package.json')))
  .map((p) => ({ dir: join(root, 'packages', p), manifest: JSON.parse(readFileSync(join(root, 'packages', p, 'package.json'), 'utf8')) as { name: string; private?: boolean; version: string } }))
  .filter((p) => !p.manifest.private)

const userNpmrc = join(dir, 'user.npmrc')
/**
 * npm and node as a new user runs them: none of the variables a developer's shell may carry, no
 * ~/.npmrc (its nodedir, say), and no NODE_PATH (pnpm's shim of vitest sets one to the monorepo's
 * hoisted packages, where the application would find better-sqlite3 built).
 */
const appEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (/^(npm_|NODE_PATH$|NODE_OPTIONS$|ONNXRUNTIME_NODE_INSTALL|SKIP_FFMPEG|OKO_ONNX_ENGINE)/i.test(k)) delete env[k]
  return { ...env, npm_config_userconfig: userNpmrc }
}
/** Whether npm installed it for the package that needs it (beside it or at the top). */
const installed = (name: string, from: string) => [join(app, 'node_modules', from, 'node_modules', name), join(app, 'node_modules', name)].some((d) => existsSync(join(d, 'package.json')))
const found = () => ({ onnxruntimeNode: installed('onnxruntime-node', '@oko/onnx'), betterSqlite3: installed('better-sqlite3', '@oko/sinks') })
/** What the first, plain install left out (the optional dependencies whose scripts failed). */
let dropped: { onnxruntimeNode: boolean; betterSqlite3: boolean }
// The one line of each, as README's install section quotes them.
const nativeEngineLine = /^oko: onnxruntime-node is not installed \(npm leaves it out when its install script fails, as it does without access to api\.nuget\.org\), so ONNX models run on onnxruntime-web \(WebAssembly, [\d.-]+x slower\); for the native engine: run `ONNXRUNTIME_NODE_INSTALL=skip npm install` \(or add "allowScripts": \{ "onnxruntime-node": false \} to package\.json, npm 11\)$/
const outboxLine = (prefix: string) => `the outbox needs better-sqlite3, which is not installed; run \`npm install --nodedir=${prefix}\` (node-gyp compiles it with make and g++ against Node's headers there) or install where github.com is reachable`
const nodePrefix = dirname(dirname(process.execPath))
const outboxScript = `import { Outbox } from '@oko/sinks'
try {
  const outbox = new Outbox({ path: ${JSON.stringify(join(dir, 'outbox/events.db'))}, sinks: ['file'] })
  console.log('outbox open, backlog', JSON.stringify(outbox.stats().events))
  outbox.close()
} catch (error) {
  console.log(error.message)
}
`

beforeAll(async () => {
  await run('mkdir', ['-p', app, packs])
  for (const p of packages) await run('pnpm', ['pack', '--pack-destination', packs], { cwd: p.dir })
  const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz'))
  writeFileSync(join(app, 'package.json'), JSON.stringify({
    name: 'oko-app', private: true, type: 'module',
    dependencies: Object.fromEntries(tarballs.map((t) => [packages.find((p) => t === `${p.manifest.name.slice(1).replace('/', '-')}-${p.manifest.version}.tgz`)!.manifest.name, `file:${join(packs, t)}`])),
  }, null, 2))
  writeFileSync(userNpmrc, '')
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, env: appEnv(), maxBuffer: 64 * 2 ** 20 })
  const present = found()
  dropped = { onnxruntimeNode: !present.onnxruntimeNode, betterSqlite3: !present.betterSqlite3 }
  console.log(`plain npm install left out: ${JSON.stringify(dropped)}`)
  for (const example of ['embed-motion.ts', 'embed-plates.ts']) copyFileSync(join(root, 'examples', example), join(app, example))
  writeFileSync(join(app, 'outbox.mjs'), outboxScript)
  writeFileSync(join(app, 'engine.mjs'), "import { onnxEngine } from '@oko/onnx'\nconsole.log(onnxEngine)\n")
}, 420_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the packed packages installed with npm into a fresh application', () => {
  it('hold no workspace: or catalog: reference and every file their exports and bins name', () => {
    for (const p of packages) {
      const installed = join(app, 'node_modules', p.manifest.name)
      const manifest = readFileSync(join(installed, 'package.json'), 'utf8')
      expect(manifest, p.manifest.name).not.toMatch(/"(workspace|catalog):/)
      const m = JSON.parse(manifest) as { main?: string; exports?: Record<string, Record<string, string> | string>; bin?: Record<string, string> }
      const targets = [m.main, ...Object.values(m.bin ?? {}), ...Object.values(m.exports ?? {}).flatMap((e) => (typeof e === 'string' ? [] : Object.entries(e).filter(([c]) => c !== 'oko-source').map(([, t]) => t)))]
      for (const t of targets.filter((x): x is string => !!x && !x.includes('*'))) expect(existsSync(join(installed, t)), `${p.manifest.name}: ${t}`).toBe(true)
    }
  })

  it('run the README motion example on a generated clip', async () => {
    const clip = join(dir, 'street.mp4')
    writeSampleClip(clip, streetScene({ width: 320, height: 180, fps: 10 }))
    const { stdout } = await run(process.execPath, ['--import', tsx, 'embed-motion.ts', clip], { cwd: app, env: appEnv() })
    expect(stdout.split('\n').some((l) => /^gate-1 motion [\d.]+ zones \[door\]$/.test(l))).toBe(true)
    expect(stdout).toMatch(/framesIn: 120/)
    expect(stdout).toMatch(/droppedTotal: 0/)
  }, 120_000)

  it('run the README plates example (the plate worker from dist/) with its watchlist hit, on onnxruntime-web with one line when npm dropped onnxruntime-node', async () => {
    const clip = join(dir, 'entry.mp4')
    const car = drawPlate('AB1234CE', 240, 120, 20, 40, 4, 60)
    writeStillClip(clip, [{ image: car, motion: { from: { x: -240, y: 100 }, to: { x: 640, y: 100 }, seconds: 3 } }], { size: { width: 640, height: 360 }, fps: 10, seconds: 5 })
    const { stdout, stderr } = await run(process.execPath, ['--import', tsx, 'embed-plates.ts', clip], { cwd: app, env: appEnv() })
    expect(stdout.split('\n').filter((l) => l.includes(' plate '))).toEqual([expect.stringMatching(/^entry-1 plate AB1234CE \(UA\) read in \d+ frames, on stolen$/)])
    expect(stdout).toMatch(/droppedTotal: 0/)
    // On WebAssembly, the one line and nothing else about onnxruntime; natively, no line of ours (onnxruntime may log its own).
    if (dropped.onnxruntimeNode) expect(stderr.split('\n').filter((l) => l.includes('onnxruntime'))).toEqual([expect.stringMatching(nativeEngineLine)])
    else expect(stderr.split('\n').filter((l) => l.startsWith('oko: '))).toEqual([])
    expect((await run(process.execPath, ['engine.mjs'], { cwd: app, env: appEnv() })).stdout.trim()).toBe(dropped.onnxruntimeNode ? 'onnxruntime-web' : 'onnxruntime-node')
  }, 300_000)

  it('open an outbox, or refuse with the one line that says how to build better-sqlite3 when npm dropped it', async () => {
    const { stdout } = await run(process.execPath, ['outbox.mjs'], { cwd: app, env: appEnv() })
    expect(stdout.trim()).toBe(dropped.betterSqlite3 ? outboxLine(nodePrefix) : 'outbox open, backlog 0')
  }, 60_000)

  it('get the native engine and the outbox by doing what the two lines say', async () => {
    if (!dropped.onnxruntimeNode && !dropped.betterSqlite3) return
    expect(existsSync(join(nodePrefix, 'include/node/node.h')), 'Node\'s headers beside node (Debian: nodejs)').toBe(true)
    // Both lines' advice in one install: ONNXRUNTIME_NODE_INSTALL=skip and --nodedir.
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `--nodedir=${nodePrefix}`], { cwd: app, env: { ...appEnv(), ONNXRUNTIME_NODE_INSTALL: 'skip' }, maxBuffer: 64 * 2 ** 20 })
    expect(found()).toEqual({ onnxruntimeNode: true, betterSqlite3: true })
    const engine = await run(process.execPath, ['engine.mjs'], { cwd: app, env: appEnv() })
    expect({ stdout: engine.stdout.trim(), stderr: engine.stderr }).toEqual({ stdout: 'onnxruntime-node', stderr: '' })
    expect((await run(process.execPath, ['outbox.mjs'], { cwd: app, env: appEnv() })).stdout.trim()).toBe('outbox open, backlog 0')
  }, 420_000)

  it('give the oko command through its bin', async () => {
    const { stdout } = await run(join(app, 'node_modules/.bin/oko'), ['--help'], { cwd: app, env: appEnv() })
    expect(stdout).toMatch(/oko run/)
  }, 60_000)
})
