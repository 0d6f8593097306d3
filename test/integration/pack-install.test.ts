// The packages as a user gets them: every package packed with `pnpm pack` (workspace: and catalog:
// rewritten to versions), installed with plain `npm install` into a fresh application that reaches
// only the npm registry, and the README's embedding examples run there against dist/ (no
// oko-source condition, no workspace links). The application's package.json is the one the
// README's "Installing into an application that reaches only the npm registry" gives.
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

/** npm without the variables a developer's shell may carry (the point is that none is needed). */
const npmEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (/^(npm_|ONNXRUNTIME_NODE_INSTALL|SKIP_FFMPEG)/i.test(k)) delete env[k]
  return env
}

beforeAll(async () => {
  await run('mkdir', ['-p', app, packs])
  for (const p of packages) await run('pnpm', ['pack', '--pack-destination', packs], { cwd: p.dir })
  const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz'))
  writeFileSync(join(app, 'package.json'), JSON.stringify({
    name: 'oko-app', private: true, type: 'module',
    // npm 11's allowScripts, as the README says: the two scripts that only download what oko never uses
    allowScripts: { 'onnxruntime-node': false, 'node-av': false },
    dependencies: Object.fromEntries(tarballs.map((t) => [packages.find((p) => t === `${p.manifest.name.slice(1).replace('/', '-')}-${p.manifest.version}.tgz`)!.manifest.name, `file:${join(packs, t)}`])),
  }, null, 2))
  // better-sqlite3 (the outbox) compiles against Node's headers when no prebuilt binary can be fetched:
  // offline they must be the installed ones (Debian's nodejs: /usr/include/node), as the README says
  const prefix = dirname(dirname(process.execPath))
  if (existsSync(join(prefix, 'include/node/node.h'))) writeFileSync(join(app, '.npmrc'), `nodedir=${prefix}\n`)
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, env: npmEnv(), maxBuffer: 64 * 2 ** 20 })
  for (const example of ['embed-motion.ts', 'embed-plates.ts']) copyFileSync(join(root, 'examples', example), join(app, example))
}, 300_000)

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
    const { stdout } = await run(process.execPath, ['--import', tsx, 'embed-motion.ts', clip], { cwd: app })
    expect(stdout.split('\n').some((l) => /^gate-1 motion [\d.]+ zones \[door\]$/.test(l))).toBe(true)
    expect(stdout).toMatch(/framesIn: 120/)
    expect(stdout).toMatch(/droppedTotal: 0/)
  }, 120_000)

  it('run the README plates example (onnxruntime-node, the plate worker from dist/) with its watchlist hit', async () => {
    const clip = join(dir, 'entry.mp4')
    const car = drawPlate('AB1234CE', 240, 120, 20, 40, 4, 60)
    writeStillClip(clip, [{ image: car, motion: { from: { x: -240, y: 100 }, to: { x: 640, y: 100 }, seconds: 3 } }], { size: { width: 640, height: 360 }, fps: 10, seconds: 5 })
    const { stdout } = await run(process.execPath, ['--import', tsx, 'embed-plates.ts', clip], { cwd: app })
    expect(stdout.split('\n').filter((l) => l.includes(' plate '))).toEqual([expect.stringMatching(/^entry-1 plate AB1234CE \(UA\) read in \d+ frames, on stolen$/)])
    expect(stdout).toMatch(/droppedTotal: 0/)
  }, 120_000)

  it('give the oko command through its bin', async () => {
    const { stdout } = await run(join(app, 'node_modules/.bin/oko'), ['--help'], { cwd: app })
    expect(stdout).toMatch(/oko run/)
  }, 60_000)
})
