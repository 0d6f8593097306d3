import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// `oko demo --serve` as a user starts it: it prints the live page's URL and a token, the page's API
// answers with that token (the two cameras, events as they come), and Ctrl-C ends it cleanly.
const BIN = join(import.meta.dirname, '../../packages/cli/dist/bin.js')

describe('oko demo --serve', () => {
  it('serves the live page on a free port of 127.0.0.1 with a printed token, and stops with exit 0 on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'demo', '--serve'], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = '', stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      const started = Date.now()
      let m: RegExpMatchArray | null = null
      while (!(m = /live page on (http:\/\/127\.0\.0\.1:(\d+)\/?) \(token ([0-9a-f]{32});/.exec(stdout)) && Date.now() - started < 200_000) await new Promise((r) => setTimeout(r, 200))
      expect(m, stdout + stderr).not.toBeNull()
      const [, url, port, token] = m!
      expect(Number(port)).toBeGreaterThan(0)
      const api = (path: string, auth = token) => fetch(new URL(path, url), { headers: auth ? { authorization: `Bearer ${auth}` } : {} })
      expect((await api('/api/cameras', '')).status).toBe(401)
      expect((await api('/api/cameras', 'f'.repeat(32))).status).toBe(401)
      const cameras = (await (await api('/api/cameras')).json()) as { cameras: { id: string }[] }
      expect(cameras.cameras.map((c) => c.id).sort()).toEqual(['crossing', 'street'])
      // events arrive while the clips play in real time
      let events: { type: string }[] = []
      while (Date.now() - started < 260_000) {
        const body = (await (await api('/api/events')).json()) as { events?: { type: string }[] }
        events = body.events ?? []
        if (events.some((e) => e.type === 'object')) break
        await new Promise((r) => setTimeout(r, 500))
      }
      expect(events.some((e) => e.type === 'object'), JSON.stringify(events).slice(0, 500)).toBe(true)
      // the token is printed once, on the URL line
      expect(stdout.split(token!).length - 1).toBe(1)
      expect(stderr).not.toContain(token!)
      child.kill('SIGINT')
      expect(await exited, stderr).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  }, 300_000)
})
