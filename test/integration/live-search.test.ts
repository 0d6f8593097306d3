import { createServer, type Server } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OkoEvent } from '@oko/core'
import { parseDeployment, runDeployment, type Delivery, type Deployment, type DeploymentResult } from '@oko/deploy'
import type { LiveServer } from '@oko/live'
import { streetScene, writeSampleClip } from '@oko/samples'
import { setFfmpegLogLevel } from '@oko/source'
import { freePort } from '../helpers/brokers.js'
import { bytesSink, until } from '../helpers/events.js'

// Search over the events the outputs already took: a deployment with one generated camera, a
// webhook output (a receiver on 127.0.0.1 that takes every batch) and the live page's event
// index. Once the outbox is empty (every event acknowledged) the API still finds them.
const TOKEN = 'search-token-0123456789abcdef'
let dir: string
let receiver: Server
const received = new Set<string>()
let live: LiveServer | undefined
let deployment: Deployment | undefined
let delivery: Delivery | undefined
const stop = new AbortController()
let running: Promise<DeploymentResult> | undefined
const plates: OkoEvent[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oko-live-search-'))
  setFfmpegLogLevel('quiet')
  receiver = createServer((req, res) => {
    let text = ''
    req.on('data', (c) => (text += c))
    req.on('end', () => {
      for (const e of JSON.parse(text) as { id: string }[]) received.add(e.id)
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/events`
  const clip = join(dir, 'street.mp4')
  writeSampleClip(clip, streetScene({ width: 160, height: 90, fps: 10 }), { gopFrames: 10 })
  const config = parseDeployment([
    'name: search-test',
    'cameras:', `  - { id: gate, url: "${clip}", loop: true, realtime: true }`,
    'outputs:', `  - webhook: { url: "${hook}" }`,
    'outbox: { path: outbox.sqlite }',
    'http:', `  listen: "127.0.0.1:${await freePort()}"`, '  auth: { token: "${T}" }', '  search: { path: index/events.sqlite, retainHours: 1, maxEvents: 10000 }', '',
  ].join('\n'), { baseDir: dir, env: { T: TOKEN } })
  running = runDeployment(config, {
    signal: stop.signal, stdout: bytesSink([]),
    onStart: (d, del, _a, server) => {
      deployment = d
      delivery = del
      live = server
    },
  })
  const motions: string[] = []
  await until(() => live !== undefined, 30_000, 'the deployment to start')
  const sub = deployment!.run.subscribe({ name: 'test' })
  void (async () => {
    for await (const e of sub) if (e.type === 'motion') motions.push(e.id)
  })()
  await until(() => motions.length >= 3, 30_000, 'motion on the camera')
  await sub.close()
  for (const [camera, text] of [['gate', 'AB1234CE'], ['gate', 'KA7777HH'], ['yard', 'AB9999XX']] as const) {
    plates.push(deployment!.run.publish({ type: 'plate', cameraId: camera, seq: 1, ptsUs: 0, text, confidence: 0.9, box: { x: 1, y: 1, width: 20, height: 8 }, trackId: `t-${text}`, readings: 3 } as never))
    await new Promise((r) => setTimeout(r, 5))
  }
  await until(() => plates.every((p) => received.has(p.id)) && motions.slice(0, 3).every((id) => received.has(id)) && delivery!.stats().outbox?.events === 0, 30_000, 'the webhook to acknowledge the plates and the outbox to empty')
}, 120_000)

afterAll(async () => {
  stop.abort()
  await running?.catch(() => undefined)
  await new Promise((resolve) => receiver?.close(resolve))
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const auth = { authorization: `Bearer ${TOKEN}` }
const get = async (q: string) => {
  const res = await fetch(`${live!.url}/api/events?${q}`, { headers: auth })
  return { status: res.status, body: (await res.json()) as { events?: OkoEvent[]; next?: string; error?: string } }
}
const post = async (body: unknown) => {
  const res = await fetch(`${live!.url}/api/events/search`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as { events?: OkoEvent[]; error?: string } }
}
const ids = (events: readonly OkoEvent[] | undefined) => (events ?? []).map((e) => e.id)

describe('search over the recent events, after the outputs acknowledged them', () => {
  it('the outbox is empty, and the API finds the plates by camera, type, time range and plate text', async () => {
    expect(delivery!.stats().outbox).toMatchObject({ events: 0, sinks: { webhook: { pending: 0 } } })
    const [ab, ka, yard] = plates as [OkoEvent, OkoEvent, OkoEvent]
    expect(ids((await get('type=plate')).body.events)).toEqual([yard.id, ka.id, ab.id])
    expect(ids((await get('type=plate&camera=gate')).body.events)).toEqual([ka.id, ab.id])
    expect(ids((await get(`type=plate&from=${ka.timeMs}&to=${new Date(yard.timeMs).toISOString()}`)).body.events)).toEqual([yard.id, ka.id])
    expect(ids((await post({ plate: 'ab 1234' })).body.events)).toEqual([ab.id])
    expect(ids((await post({ plate: 'AB', cameras: ['yard'] })).body.events)).toEqual([yard.id])
    expect(ids((await post({ plate: '7777', types: ['motion'] })).body.events)).toEqual([])
    // motion from the camera, also acknowledged by the webhook, also found
    const motion = (await get('type=motion&camera=gate&limit=3')).body
    expect(motion.events).toHaveLength(3)
    expect(motion.events!.every((e) => e.type === 'motion' && received.has(e.id))).toBe(true)
    const stats = (await (await fetch(`${live!.url}/api/stats`, { headers: auth })).json()) as { search: { events: number; failed: number } }
    expect(stats.search.events).toBeGreaterThanOrEqual(6)
    expect(stats.search.failed).toBe(0)
  })

  it('hostile search parameters get a 400 that names them; the server keeps serving', async () => {
    for (const q of ['plate=AB1234CE', 'text=AB', 'limit=-1', 'limit=100000', 'from=yesterday', 'from=5&to=1', 'before=1%27%20OR%201=1', 'camera=%00', 'sort=id', 'limit=1&limit=2']) {
      const res = await get(q)
      expect(res.status, q).toBe(400)
      expect(res.body.error, q).toMatch(/^(plate and text|limit|from|before|camera|sort)/)
      expect(res.body.error).not.toContain('AB1234CE')
    }
    expect((await post({ plate: 'x'.repeat(40) })).status).toBe(400)
    expect((await post({ cameras: 'gate' })).status).toBe(400)
    expect((await get('type=plate')).status).toBe(200)
  })
})
