import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { CHROMIUM, openPage } from '../helpers/chromium.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OkoEvent } from '@oko/core'
import { signAlarmBody } from '@oko/alarms'
import { parseDeployment, runDeployment, type Deployment, type DeploymentResult } from '@oko/deploy'
import type { LiveServer } from '@oko/live'
import { streetScene, writeSampleClip } from '@oko/samples'
import { EventEncoder } from '@oko/sinks'
import { setFfmpegLogLevel } from '@oko/source'
import { freePort } from '../helpers/brokers.js'
import { bytesSink, until } from '../helpers/events.js'

// The duty officer's page in a real headless Chromium (Debian's chromium, driven by playwright-core):
// two cameras decoded from a generated street clip, an alarm posted to the HTTP input, an operator
// who logs in with the token and acknowledges it. Screenshots of each step: .cache/artifacts/live-page/.
const TOKEN = 'live-token-0123456789abcdef'
const SECRET = 'column-secret-0123456789'
const shots = resolve('.cache/artifacts/live-page')
if (!existsSync(CHROMIUM)) console.warn(`live-page: skipped, ${CHROMIUM} not found (apt-get install chromium; .ci/run installs it)`)

let dir: string
let browser: Browser
let page: Page
let base: string
let alarmsUrl: string
let live: LiveServer | undefined
let deployment: Deployment | undefined
const seen: OkoEvent[] = []
const problems: string[] = []
const stop = new AbortController()
let running: Promise<DeploymentResult> | undefined

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return
  dir = mkdtempSync(join(tmpdir(), 'oko-live-page-'))
  mkdirSync(shots, { recursive: true })
  setFfmpegLogLevel('quiet')
  const clip = join(dir, 'street.mp4')
  writeSampleClip(clip, streetScene({ width: 320, height: 180, fps: 10 }), { gopFrames: 10 })
  const [httpPort, alarmPort] = [await freePort(), await freePort()]
  const config = parseDeployment([
    'name: test-centre',
    'cameras:', `  - { id: square-n, url: "${clip}", loop: true, realtime: true }`, `  - { id: square-e, url: "${clip}", loop: true, realtime: true }`,
    'outputs:', '  - file: events.jsonl',
    'alarms:', `  listen: "127.0.0.1:${alarmPort}"`,
    '  inputs:', `    - http: { name: columns, secret: ${SECRET} }`,
    '  points:', '    - { id: sos-17, place: "Square, north column", cameras: [square-n, square-e] }',
    'http:', `  listen: "127.0.0.1:${httpPort}"`, '  auth: { token: "${OKO_LIVE_TOKEN}" }', '  live: { fps: 4 }', '',
  ].join('\n'), { baseDir: dir, env: { OKO_LIVE_TOKEN: TOKEN } })
  running = runDeployment(config, { signal: stop.signal, stdout: bytesSink([]), onEvent: (e) => seen.push(e), onStart: (d, _del, _a, server) => {
    deployment = d
    live = server
  } })
  await until(() => live !== undefined && seen.some((e) => e.type === 'motion'), 30_000, 'the deployment to run')
  base = live!.url
  alarmsUrl = `http://127.0.0.1:${alarmPort}/alarms/columns`
  ;({ browser, page } = await openPage({ width: 1280, height: 900 }, problems))
  page.on('response', (r) => void (r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`)))
  page.on('requestfailed', (r) => void (r.failure()?.errorText !== 'net::ERR_ABORTED' && problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`)))
}, 120_000)

afterAll(async () => {
  await browser?.close()
  stop.abort()
  await running?.catch(() => undefined)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!existsSync(CHROMIUM))('the live page in Chromium', () => {
  it('without credentials or with a wrong token, every API route answers 401 and nothing else; the page itself carries a strict CSP', async () => {
    for (const path of ['/api/cameras', '/api/events', '/api/events/stream', '/api/alarms', '/api/cameras/square-n/live.mjpeg', '/api/cameras/square-n/frame.jpg']) {
      for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789abcd' }, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, { cookie: 'oko_session=made-up' }] as Record<string, string>[]) {
        const res = await fetch(base + path, { headers })
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401)
        expect(await res.json()).toEqual({ error: 'unauthorized' })
      }
    }
    const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', secret: 'not-the-token' }) })
    expect(login.status).toBe(401)
    expect(login.headers.get('set-cookie')).toBeNull()
    const res = await fetch(`${base}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'; style-src 'self'.*frame-ancestors 'none'/)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await res.text()).not.toMatch(/https?:\/\//) // nothing from elsewhere: it works air-gapped
  })

  it('loads with no console errors or CSP violations, logs in with the token, and shows both cameras with live pictures of the decoded clip', async () => {
    await page.goto(base)
    await page.locator('#login').waitFor({ state: 'visible' })
    await page.screenshot({ path: join(shots, '1-login.png') })
    await page.fill('#login-name', 'officer-7')
    await page.fill('#login-secret', TOKEN)
    await page.click('#login button[type=submit]')
    await page.locator('.tile[data-camera="square-n"]').waitFor()
    await page.locator('.tile[data-camera="square-e"]').waitFor()
    await page.locator('#login').waitFor({ state: 'hidden' })
    expect(await page.locator('#who').textContent()).toBe('officer-7')
    // the pictures are the clip's 320×180 frames, and they change (the street moves)
    const sample = (camera: string) => page.evaluate<{ width: number; height: number; sum: number } | undefined>(`(() => {
      const img = document.querySelector('.tile[data-camera="${camera}"] img')
      if (img.naturalWidth === 0) return undefined
      const c = document.createElement('canvas')
      c.width = img.naturalWidth
      c.height = img.naturalHeight
      const g = c.getContext('2d')
      g.drawImage(img, 0, 0)
      const px = g.getImageData(0, 0, c.width, c.height).data
      let sum = 0
      for (let i = 0; i < px.length; i += 4) sum += px[i] + px[i + 1] + px[i + 2]
      return { width: c.width, height: c.height, sum }
    })()`)
    for (const camera of ['square-n', 'square-e']) {
      let first: Awaited<ReturnType<typeof sample>>
      await expect.poll(async () => (first = await sample(camera))?.width, { timeout: 15_000 }).toBe(320)
      expect(first!.height).toBe(180)
      expect(first!.sum).toBeGreaterThan(0)
      await expect.poll(async () => (await sample(camera))?.sum, { timeout: 15_000 }).not.toBe(first!.sum)
    }
    await expect.poll(async () => (await page.locator('.tile[data-camera="square-n"] .health').textContent()) ?? '', { timeout: 10_000 }).toMatch(/fps/)
    await page.screenshot({ path: join(shots, '2-cameras.png') })
    const cams = (await (await fetch(`${base}/api/cameras`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { cameras: { id: string; fps: number; live: { sent: number; viewers: number } }[] }
    expect(cams.cameras.map((c) => c.id)).toEqual(['square-n', 'square-e'])
    for (const c of cams.cameras) {
      expect(c.live.viewers).toBeGreaterThanOrEqual(1)
      expect(c.live.sent).toBeGreaterThan(1)
      expect(c.fps).toBeGreaterThan(0)
    }
  })

  it('an event emitted after the page connected arrives in the feed through server-sent events', async () => {
    await page.locator('#conn.on').waitFor()
    const after = seen.length
    await until(() => seen.slice(after).some((e) => e.type === 'motion'), 15_000, 'a new motion event')
    const event = seen.slice(after).find((e) => e.type === 'motion')!
    await page.locator(`#feed li[data-id="${event.id}"]`).waitFor({ timeout: 10_000 })
    expect(await page.locator(`#feed li[data-id="${event.id}"] .type`).textContent()).toBe('motion')
    expect(live!.stats().streams).toBeGreaterThanOrEqual(1)
  })

  it('an SOS press appears on top with its cameras pinned and their snapshots; one click acknowledges it, and the acknowledgement is an event in the outputs', async () => {
    const body = JSON.stringify({ point: 'sos-17', state: 'active' })
    const res = await fetch(alarmsUrl, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-oko-signature': signAlarmBody(SECRET, Math.floor(Date.now() / 1000), body) } })
    expect(res.status).toBe(202)
    const { alarmId } = (await res.json()) as { alarmId: string }
    const card = page.locator(`.alarm[data-alarm="${alarmId}"]`)
    await card.waitFor()
    expect(await card.getAttribute('class')).toMatch(/raised/)
    expect(await card.locator('.place').textContent()).toBe('Square, north column')
    // on top: the alarms come before the camera grid
    expect(await page.evaluate<number>("document.querySelector('#alarms').compareDocumentPosition(document.querySelector('#grid')) & Node.DOCUMENT_POSITION_FOLLOWING")).toBeTruthy()
    for (const camera of ['square-n', 'square-e']) {
      await page.locator(`.tile.pinned[data-camera="${camera}"]`).waitFor()
      await expect.poll(() => page.evaluate<number>(`document.querySelector('.alarm[data-alarm="${alarmId}"] .shots img[data-camera="${camera}"]').naturalWidth`), { timeout: 10_000 }).toBe(320)
    }
    await page.screenshot({ path: join(shots, '3-alarm.png') })
    await card.locator('input').fill('calling the patrol')
    await card.locator('button.ack').click()
    await page.locator(`.alarm.acknowledged[data-alarm="${alarmId}"]`).waitFor()
    expect(await page.locator(`.alarm[data-alarm="${alarmId}"] .by`).textContent()).toMatch(/^taken by officer-7 at /)
    await page.screenshot({ path: join(shots, '4-acknowledged.png') })
    await until(() => seen.some((e) => e.type === 'alarm' && e.phase === 'acknowledged'), 5000, 'the acknowledgement event')
    // a second acknowledgement is refused (409), an unknown alarm is 404
    const post = (path: string, b: unknown = {}) => fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(b) })
    expect((await post(`/api/alarms/${alarmId}/acknowledge`)).status).toBe(409)
    expect((await post('/api/alarms/01ARZ3NDEKTSV4RRFFQ69G5FAV/acknowledge')).status).toBe(404)
    // search over the recent events: by text (in the body, never the URL), type and camera
    await page.fill('#s-text', 'north column')
    await page.click('#search button[type=submit]')
    await page.locator('#results li[data-type="alarm"]').first().waitFor()
    expect(await page.locator('#results li').count()).toBe(2) // raised, acknowledged
    const found = (await (await post('/api/events/search', { types: ['motion'], cameras: ['square-e'], limit: 2 })).json()) as { events: OkoEvent[]; next?: string }
    expect(found.events).toHaveLength(2)
    expect(found.next).toBe(found.events[1]!.id)
    expect(found.events.every((e) => e.type === 'motion' && (e as { cameraId: string }).cameraId === 'square-e')).toBe(true)
    const older = (await (await post('/api/events/search', { types: ['motion'], cameras: ['square-e'], limit: 2, before: found.next })).json()) as { events: OkoEvent[] }
    expect(older.events.length).toBeGreaterThan(0)
    expect(older.events.some((e) => found.events.some((f) => f.id === e.id))).toBe(false)
    expect(older.events[0]!.timeMs).toBeLessThanOrEqual(found.events[1]!.timeMs)
    await page.screenshot({ path: join(shots, '5-search.png'), fullPage: true })
  })

  it('a plate searched in the page (sent in the body, not the URL) finds the plate event from the event index', async () => {
    const plate = deployment!.run.publish({ type: 'plate', cameraId: 'square-e', seq: 1, ptsUs: 0, text: 'KA7777HH', confidence: 0.9, box: { x: 1, y: 1, width: 20, height: 8 }, trackId: 't-1', readings: 3 } as never) as OkoEvent
    await until(() => seen.some((e) => e.id === plate.id), 5000, 'the plate event')
    const urls: string[] = []
    const onRequest = (r: { url(): string }) => void urls.push(r.url())
    page.on('request', onRequest)
    await page.fill('#s-text', '')
    await page.fill('#s-plate', 'ka 7777')
    // the index takes the event once the outputs have it: search until it is there
    await expect.poll(async () => {
      await page.click('#search button[type=submit]')
      return page.locator(`#results li[data-id="${plate.id}"]`).count()
    }, { timeout: 10_000 }).toBe(1)
    page.off('request', onRequest)
    expect(await page.locator('#results li').count()).toBe(1)
    expect(await page.locator(`#results li[data-id="${plate.id}"] .what`).textContent()).toBe('KA7777HH')
    expect(urls.some((u) => /7777/.test(u))).toBe(false)
    await page.screenshot({ path: join(shots, '6-plate-search.png'), fullPage: true })
    await page.fill('#s-plate', '')
  })

  it('hostile requests get a clear 4xx and the server keeps serving', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` }
    const post = (path: string, body: string, type = 'application/json') => fetch(base + path, { method: 'POST', headers: { ...auth, 'content-type': type }, body })
    expect((await post('/api/events/search', JSON.stringify({ text: 'x'.repeat(20_000) }))).status).toBe(413)
    expect((await post('/api/events/search', '{"types": [')).status).toBe(400)
    expect((await post('/api/events/search', '[]')).status).toBe(400)
    expect((await post('/api/events/search', JSON.stringify({ types: 'plate' }))).status).toBe(400)
    expect((await post('/api/events/search', 'types=plate', 'application/x-www-form-urlencoded')).status).toBe(415)
    expect((await post('/api/login', '{"token": 1')).status).toBe(400)
    expect((await fetch(`${base}/api/events?text=AB1234`, { headers: auth })).status).toBe(400) // personal data stays out of URLs
    expect((await fetch(`${base}/api/events?from=yesterday`, { headers: auth })).status).toBe(400)
    for (const path of ['/api/cameras/..%2F..%2Fetc%2Fpasswd/frame.jpg', '/api/cameras/%E0%A4%A/frame.jpg', '/api/events/../../package.json', '/../package.json', '/static/app.js', '/api/alarms/01ARZ3NDEKTSV4RRFFQ69G5FAV/snapshots/square-n.jpg']) {
      const res = await fetch(base + path, { headers: auth })
      expect([400, 404], path).toContain(res.status)
      expect(await res.text()).not.toMatch(/root:|"name": "oko|at .*\.ts:/)
    }
    expect((await fetch(`${base}/api/cameras`, { method: 'DELETE', headers: auth })).status).toBe(405)
    expect((await fetch(`${base}/api/cameras`, { headers: auth })).status).toBe(200)
  })

  it('the page logged no console error and no CSP violation', async () => {
    await page.reload()
    await page.locator('.tile[data-camera="square-n"]').waitFor()
    expect(problems).toEqual([])
  })

  it('stopped: the outputs hold the alarm with its steps by the operator', async () => {
    stop.abort()
    await running
    const written = EventEncoder.decode(readFileSync(join(dir, 'events.jsonl')), 'jsonl')
    const alarms = written.filter((e) => e.type === 'alarm')
    expect(alarms.map((e) => (e as { phase: string }).phase)).toEqual(['raised', 'acknowledged'])
    expect(alarms[1]).toMatchObject({ step: { by: 'officer-7', note: 'calling the patrol' }, pointId: 'sos-17' })
  })
})
