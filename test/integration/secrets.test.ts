import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { streetScene, writeSampleClip } from '@oko/samples'
import { okoWith } from '../helpers/cli.js'
import { GstRtspServer, gstMissing } from '../helpers/gst-rtsp.js'
import { inUrl, passwords } from '../helpers/passwords.js'

// A camera password must never come out of oko: not in events, the summary, --check, probe,
// error messages or FFmpeg's log lines, however it is written and whatever characters it holds.
const BIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url))
const missing = gstMissing()
if (missing && process.env.CI === 'true') throw new Error(missing)

let dir: string
let closedPort: number

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oko-secrets-'))
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  closedPort = (probe.address() as { port: number }).port
  await new Promise((resolve) => probe.close(resolve))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The forms a password can take on its way: as given, as written in a URL, percent-encoded, in Basic auth. */
function forms(password: string, user = 'admin'): string[] {
  return [password, inUrl(password), encodeURIComponent(password), Buffer.from(`${user}:${password}`).toString('base64')]
}

function expectNoSecret(output: string, password: string): void {
  for (const form of forms(password)) expect(output, `output holds ${JSON.stringify(form)}`).not.toContain(form)
}

/** Passwords, minus the few that are words oko prints anyway (`camera`, six spaces). */
function secretFor(baseline: string) {
  return passwords.filter((p) => !forms(p).some((f) => baseline.includes(f)))
}

/** The three ways a deployment file can carry a password. */
function configs(password: string, port: number): { name: string; yaml: string; env: NodeJS.ProcessEnv }[] {
  writeFileSync(join(dir, 'cam.pass'), `${password}\n`)
  const url = `127.0.0.1:${port}/cam`
  return [
    // in a deployment file `${` starts an environment variable: a password holding one writes `$${`
    // (a function, since `$$` in a replacement string is itself an escape for one `$`)
    { name: 'in the URL', yaml: `cameras:\n  - url: ${JSON.stringify(`rtsp://admin:${inUrl(password).replaceAll('${', () => '$${')}@${url}`)}\n`, env: {} },
    { name: '${CAM_PASS}', yaml: `cameras:\n  - url: "rtsp://admin:\${CAM_PASS}@${url}"\n`, env: { CAM_PASS: password } },
    { name: 'password_file', yaml: `cameras:\n  - url: rtsp://admin@${url}\n    password_file: cam.pass\n`, env: {} },
  ]
}

describe('no password ever comes out of oko', () => {
  it('oko run --check and oko probe, for passwords of every printable character', async () => {
    writeFileSync(join(dir, 'deploy.yaml'), configs('dummy', closedPort)[0]!.yaml)
    const baseline = (await okoWith({}, 'probe', `rtsp://admin:x@127.0.0.1:${closedPort}/cam`)).stderr + (await okoWith({}, 'run', join(dir, 'deploy.yaml'), '--check')).stdout
    await fc.assert(fc.asyncProperty(secretFor(baseline), async (password) => {
      for (const c of configs(password, closedPort)) {
        writeFileSync(join(dir, 'deploy.yaml'), c.yaml)
        const check = await okoWith({ env: c.env }, 'run', join(dir, 'deploy.yaml'), '--check')
        expect(check.code, `${c.name}: ${check.stderr}`).toBe(0)
        expectNoSecret(check.stdout + check.stderr, password)
      }
      const probe = await okoWith({}, 'probe', `rtsp://admin:${inUrl(password)}@127.0.0.1:${closedPort}/cam`, '--timeout-ms', '2000')
      expect(probe.code).toBe(3)
      expect(probe.stderr).toContain(`rtsp://admin:***@127.0.0.1:${closedPort}/cam`)
      expectNoSecret(probe.stdout + probe.stderr, password)
    }), { numRuns: 40, examples: [['${      '], ['a$${B}c$$${x']] })
  })

  it('oko run on a camera that is down: its reconnect events and the summary', async () => {
    const runDown = async (c: { env: NodeJS.ProcessEnv }) => {
      const stop = new AbortController()
      return okoWith({ env: c.env, signal: stop.signal, onOutput: (out) => { if (out.includes('"reconnecting"')) stop.abort() } }, 'run', join(dir, 'deploy.yaml'), '--ffmpeg-log', 'debug')
    }
    writeFileSync(join(dir, 'deploy.yaml'), configs('dummy', closedPort)[0]!.yaml)
    const baseline = await runDown({ env: {} })
    await fc.assert(fc.asyncProperty(secretFor(baseline.stdout + baseline.stderr), async (password) => {
      for (const c of configs(password, closedPort)) {
        writeFileSync(join(dir, 'deploy.yaml'), c.yaml)
        const run = await runDown(c)
        expect(run.stdout).toContain('"state":"reconnecting"')
        expect(run.stderr).toMatch(/stopped after/)
        expectNoSecret(run.stdout + run.stderr, password)
      }
    }), { numRuns: 4 })
  })

  describe.skipIf(missing !== undefined)('against a camera that asks for the password (GStreamer RTSP, Basic auth)', () => {
    // one generated password per run, and one that holds every character that has a meaning in a URL
    const generated = fc.sample(passwords.filter((p) => p.trim() === p && p.length >= 8), { numRuns: 1 })[0]!
    const PASSWORDS = [generated, 'Xy@Se:cr/et?9#%']
    const servers: GstRtspServer[] = []

    beforeAll(async () => {
      writeSampleClip(join(dir, 'cam.mp4'), { ...streetScene({ width: 320, height: 240, fps: 25 }), frames: 250 }, { gopFrames: 25 })
      for (const password of PASSWORDS) servers.push(new GstRtspServer(join(dir, 'cam.mp4'), { user: 'admin', password }))
      await Promise.all(servers.map((s) => s.start()))
    })
    afterAll(async () => { await Promise.all(servers.map((s) => s.stop())) })

    it.each([0, 1])('oko run (a separate process: FFmpeg writes to stderr itself) plays, and a wrong password is unauthorized', async (i) => {
      const password = PASSWORDS[i]!
      for (const c of configs(password, servers[i]!.port)) {
        writeFileSync(join(dir, 'deploy.yaml'), c.yaml)
        const good = await runFor(c.env, (out) => out.includes('"type":"motion"'))
        expect(good.stdout, c.name).toContain('"state":"playing"')
        expect(good.stderr).toMatch(/stopped after .* 1 camera\(s\)/)
        expectNoSecret(good.stdout + good.stderr, password)
      }
      // the same password one character off: refused, and still not shown (neither is the right one)
      const wrong = `${password.slice(0, -1)}${password.endsWith('x') ? 'y' : 'x'}`
      writeFileSync(join(dir, 'deploy.yaml'), configs(wrong, servers[i]!.port)[1]!.yaml)
      const refused = await runFor({ CAM_PASS: wrong }, (out) => out.includes('"unauthorized"'))
      expect(refused.stdout).toContain('refused the login (401 Unauthorized); check the user name and password')
      expectNoSecret(refused.stdout + refused.stderr, wrong)
      expectNoSecret(refused.stdout + refused.stderr, password)
    })
  })
})

/** `oko run deploy.yaml --ffmpeg-log debug` in a child process, stopped with SIGINT once `until` is seen on stdout. */
function runFor(env: NodeJS.ProcessEnv, until: (stdout: string) => boolean): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', join(dir, 'deploy.yaml'), '--ffmpeg-log', 'debug'], { env: { PATH: process.env.PATH, ...env } })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGINT'), 20_000)
    child.stdout.on('data', (d) => { stdout += d; if (until(stdout)) child.kill('SIGINT') })
    child.stderr.on('data', (d) => { stderr += d })
    child.on('error', reject)
    child.on('exit', () => { clearTimeout(timer); resolve({ stdout, stderr }) })
  })
}
