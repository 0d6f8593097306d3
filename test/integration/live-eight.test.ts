import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { CHROMIUM, openPage } from '../helpers/chromium.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseDeployment, runDeployment, type DeploymentResult } from '@oko/deploy'
import type { LiveServer } from '@oko/live'
import { streetScene, writeSampleClip } from '@oko/samples'
import { setFfmpegLogLevel } from '@oko/source'
import { freePort } from '../helpers/brokers.js'
import { bytesSink, until } from '../helpers/events.js'

// Eight cameras on one page in a real headless Chromium: a browser allows 6 connections per host,
// so one MJPEG response per tile could show at most 5 of them live. Over the one WebSocket every
// tile's picture updates. Screenshot: .cache/artifacts/live-page/7-eight-cameras.png.
const TOKEN = 'eight-token-0123456789abcdef'
const CAMERAS = Array.from({ length: 8 }, (_, i) => `cam-${i + 1}`)
const shots = resolve('.cache/artifacts/live-page')

let dir: string
let browser: Browser
let page: Page
let live: LiveServer | undefined
const stop = new AbortController()
let running: Promise<DeploymentResult> | undefined
const problems: string[] = []
const mjpegRequests: string[] = []

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return
  dir = mkdtempSync(join(tmpdir(), 'oko-live-eight-'))
  mkdirSync(shots, { recursive: true })
  setFfmpegLogLevel('quiet')
  const clip = join(dir, 'street.mp4')
  writeSampleClip(clip, streetScene({ width: 160, height: 90, fps: 8 }), { gopFrames: 8 })
  const config = parseDeployment([
    'name: eight',
    'cameras:', ...CAMERAS.map((id) => `  - { id: ${id}, url: "${clip}", loop: true, realtime: true }`),
    'outputs:', '  - file: events.jsonl',
    'http:', `  listen: "127.0.0.1:${await freePort()}"`, '  auth: { token: "${T}" }', '  live: { fps: 2 }', '  search: false', '',
  ].join('\n'), { baseDir: dir, env: { T: TOKEN } })
  running = runDeployment(config, { signal: stop.signal, stdout: bytesSink([]), onStart: (_d, _del, _a, server) => void (live = server) })
  await until(() => live !== undefined, 30_000, 'the deployment to run')
  ;({ browser, page } = await openPage({ width: 1700, height: 1000 }, problems))
  page.on('request', (r) => void (r.url().includes('live.mjpeg') && mjpegRequests.push(r.url())))
}, 120_000)

afterAll(async () => {
  await browser?.close()
  stop.abort()
  await running?.catch(() => undefined)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!existsSync(CHROMIUM))('eight live cameras on one page', () => {
  it('every tile\'s picture updates, all over one WebSocket (no MJPEG connection), with no console error or CSP violation', async () => {
    await page.goto(live!.url)
    await page.fill('#login-name', 'officer-8')
    await page.fill('#login-secret', TOKEN)
    await page.click('#login button[type=submit]')
    for (const id of CAMERAS) await page.locator(`.tile[data-camera="${id}"]`).waitFor()
    const seqOf = (id: string) => page.evaluate<number>(`Number(document.querySelector('.tile[data-camera="${id}"] img').getAttribute('data-seq') ?? -1)`)
    const widthOf = (id: string) => page.evaluate<number>(`document.querySelector('.tile[data-camera="${id}"] img').naturalWidth`)
    const first = new Map<string, number>()
    for (const id of CAMERAS) {
      await expect.poll(() => widthOf(id), { timeout: 20_000 }).toBe(160)
      first.set(id, await seqOf(id))
    }
    // each tile shows a newer frame of its camera later
    for (const id of CAMERAS) await expect.poll(() => seqOf(id), { timeout: 20_000 }).toBeGreaterThan(first.get(id)!)
    await page.screenshot({ path: join(shots, '7-eight-cameras.png') })
    const stats = live!.stats()
    expect(stats.liveSockets.sockets).toBe(1)
    expect(stats.liveSockets.sent).toBeGreaterThanOrEqual(16)
    expect(stats.viewers).toBe(0) // no MJPEG response open
    expect(mjpegRequests).toEqual([])
    const cams = (await (await fetch(`${live!.url}/api/cameras`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { cameras: { id: string; live: { viewers: number; sent: number } }[] }
    for (const c of cams.cameras) expect(c.live, c.id).toMatchObject({ viewers: 1 })
    expect(problems).toEqual([])
  })

  it('the MJPEG URL of each camera still serves pictures (the documented fallback)', async () => {
    const ac = new AbortController()
    const res = await fetch(`${live!.url}/api/cameras/cam-8/live.mjpeg`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: ac.signal })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('multipart/x-mixed-replace; boundary=oko-frame')
    const reader = res.body!.getReader()
    const { value } = await reader.read()
    expect(Buffer.from(value!).toString('latin1')).toMatch(/^--oko-frame\r\nContent-Type: image\/jpeg/)
    ac.abort()
  })

  it('through a proxy that refuses WebSocket upgrades, the page falls back to MJPEG per visible tile', async () => {
    // a plain HTTP proxy in front of the live server that answers every upgrade 502 (as some do)
    const target = new URL(live!.url)
    const proxy: Server = createServer((req, res) => {
      const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers)
        r.pipe(res)
      })
      up.on('error', () => res.destroy())
      res.on('close', () => up.destroy())
      req.pipe(up)
    })
    proxy.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n'))
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const other = await browser.newPage({ viewport: { width: 1700, height: 1000 } })
    try {
      await other.goto(`http://127.0.0.1:${(proxy.address() as { port: number }).port}/`)
      await other.fill('#login-name', 'officer-9')
      await other.fill('#login-secret', TOKEN)
      await other.click('#login button[type=submit]')
      const tile = other.locator('.tile[data-camera="cam-1"] img')
      await expect.poll(() => tile.getAttribute('src'), { timeout: 20_000 }).toBe('/api/cameras/cam-1/live.mjpeg')
      await expect.poll(() => other.evaluate<number>("document.querySelector('.tile[data-camera=\"cam-1\"] img').naturalWidth"), { timeout: 20_000 }).toBe(160)
      await other.screenshot({ path: join(shots, '8-mjpeg-fallback.png') })
    } finally {
      await other.close()
      proxy.closeAllConnections()
      await new Promise((resolve) => proxy.close(resolve))
    }
  })
})
