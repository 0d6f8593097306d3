import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type NatsConnection } from 'nats'
import { DEFAULT_TIMINGS, applyDeployment, createClusterStore, runWorker } from '@oko/cluster'
import { streetScene, writeSampleClip } from '@oko/samples'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestBroker, brokerBinary, freePort } from '../helpers/brokers.js'

// `oko worker` serves the live page of the cameras it runs when the deployment has `http:`:
// a real nats-server -js, the deployment applied, one worker (in this process) at --http.
const have = brokerBinary('nats-server') !== undefined
const TOKEN = 'worker-live-token-0123456789'
let dir: string
let broker: TestBroker | undefined
let nc: NatsConnection
const stop = new AbortController()
let worker: Promise<unknown> | undefined
let base: string

beforeAll(async () => {
  if (!have) return
  dir = mkdtempSync(join(tmpdir(), 'oko-cluster-live-'))
  writeSampleClip(join(dir, 'clip.mp4'), streetScene({ width: 160, height: 90, fps: 5 }), { gopFrames: 10 })
  broker = await TestBroker.nats(join(dir, 'nats'))
  nc = await connect({ servers: broker!.url })
  // the token is read from each worker's environment, never stored in NATS
  process.env.OKO_TEST_WORKER_TOKEN = TOKEN
  writeFileSync(join(dir, 'deploy.yaml'), [
    'cameras:', '  - { id: cam-a, url: clip.mp4, loop: true, realtime: true }', '  - { id: cam-b, url: clip.mp4, loop: true, realtime: true }',
    'http:', '  listen: 127.0.0.1:1', '  auth: { token: "${OKO_TEST_WORKER_TOKEN}" }', '',
  ].join('\n'))
  const store = await createClusterStore(nc, DEFAULT_TIMINGS, 1)
  await applyDeployment(store, join(dir, 'deploy.yaml'), { env: process.env })
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  worker = runWorker({ nc, servers: [broker!.url], id: 'w1', capacity: 4, dataDir: join(dir, 'w1'), httpListen: `127.0.0.1:${port}`, signal: stop.signal })
}, 60_000)

afterAll(async () => {
  stop.abort()
  await worker?.catch(() => undefined)
  delete process.env.OKO_TEST_WORKER_TOKEN
  await nc?.close()
  await broker?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!have)('oko worker with http:', () => {
  it('serves the live page of its cameras at --http: cameras with frames, a live picture, search in its data folder', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` }
    let cameras: { id: string; frames: number }[] = []
    const end = Date.now() + 60_000
    while (Date.now() < end) {
      const res = await fetch(`${base}/api/cameras`, { headers: auth }).catch(() => undefined)
      cameras = res?.ok ? ((await res.json()) as { cameras: typeof cameras }).cameras : []
      if (cameras.length === 2 && cameras.every((c) => c.frames > 0)) break
      await new Promise((r) => setTimeout(r, 250))
    }
    expect(cameras.map((c) => c.id).sort()).toEqual(['cam-a', 'cam-b'])
    expect(cameras.every((c) => c.frames > 0)).toBe(true)
    const frame = await fetch(`${base}/api/cameras/cam-b/frame.jpg`, { headers: auth })
    expect(frame.status).toBe(200)
    expect(frame.headers.get('content-type')).toBe('image/jpeg')
    expect((await fetch(`${base}/api/cameras`)).status).toBe(401)
    const stats = (await (await fetch(`${base}/api/stats`, { headers: auth })).json()) as { search?: { failed: number } }
    expect(stats.search).toMatchObject({ failed: 0 })
    expect(existsSync(join(dir, 'w1', 'events.sqlite'))).toBe(true)
    expect((await fetch(`${base}/`)).status).toBe(200)
  })
})
