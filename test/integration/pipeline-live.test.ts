import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Frame, OkoEvent } from '@oko/core'
import { InferencePool, Pipeline, workerStage } from '@oko/pipeline'
import { streetScene, writeSampleClip } from '@oko/samples'
import { Source, setFfmpegLogLevel } from '@oko/source'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type EchoWorker from '../fixtures/workers/echo.mjs'
import { RtspTestServer } from './source-rtsp-server.js'

// A live RTSP camera (real server on 127.0.0.1) and a file, sharing one slow worker pool.
let dir: string
let server: RtspTestServer
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

beforeAll(async () => {
  setFfmpegLogLevel('quiet')
  dir = mkdtempSync(join(tmpdir(), 'oko-pipeline-live-'))
  writeSampleClip(join(dir, 'cam.mp4'), { ...streetScene({ width: 320, height: 240, fps: 25 }), frames: 75 }, { gopFrames: 25 })
  server = await RtspTestServer.create(join(dir, 'cam.mp4'), 25)
  await server.start()
})

afterAll(async () => {
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('pipeline with a live RTSP camera and a file', () => {
  it('drops the live camera\'s oldest frames under a slow stage, survives a reconnect, and accounts for every frame', async () => {
    const pool = await InferencePool.create<typeof EchoWorker>({ worker: new URL('../fixtures/workers/echo.mjs', import.meta.url), threads: 1, init: {} })
    const live = await Source.open(server.url(), { id: 'live', reconnect: { initialDelayMs: 100, maxDelayMs: 400, jitter: 0.2 }, stalledAfterMs: 1500 })
    const file = await Source.open(join(dir, 'cam.mp4'), { id: 'file' })
    try {
      const stage = workerStage<typeof EchoWorker>({
        name: 'model',
        pool,
        edge: { capacity: 2 },
        // Five frame intervals per job: the stage is 5x slower than the camera.
        prepare: (envelope, tools) => ({ job: { frame: tools.own(envelope), spin: 200 } }),
        finish: (reply, envelope, ctx) => {
          ctx.emit({ type: 'motion', cameraId: reply.cameraId, seq: reply.seq, ptsUs: 0, score: 0, regions: [], zones: [] })
          return envelope
        },
      })
      const controller = new AbortController()
      const run = Pipeline.from([live, file]).pipe(stage).run({ signal: controller.signal })
      const events: OkoEvent[] = []
      let playing = 0
      let restarted = false
      let liveAfter = 0
      for await (const e of run.events) {
        events.push(e)
        if (e.type === 'source' && e.cameraId === 'live' && e.state === 'playing') playing++
        if (!restarted && (run.stats().cameras.live?.framesIn ?? 0) >= 30) {
          restarted = true
          void server.stop().then(() => sleep(700)).then(() => server.start())
        }
        if (playing >= 2 && e.type === 'motion' && e.cameraId === 'live' && ++liveAfter === 3) controller.abort()
      }
      const summary = await run.completion
      const states = events.filter((e) => e.type === 'source' && e.cameraId === 'live').map((e) => (e.type === 'source' ? e.state : ''))
      expect(states[0]).toBe('playing')
      expect(states).toContain('reconnecting')
      expect(states.filter((s) => s === 'playing').length).toBeGreaterThanOrEqual(2)
      expect(summary.aborted).toBe(true)
      for (const id of ['live', 'file']) {
        const c = summary.cameras[id]!
        const drops = (c.dropped.model?.overflow ?? 0) + (c.dropped.model?.aborted ?? 0)
        expect(c.inferred + drops + c.errors).toBe(c.framesIn)
      }
      // The live camera drops (oldest first) instead of waiting; the file never drops on overflow.
      expect(summary.cameras.live!.dropped.model?.overflow ?? 0).toBeGreaterThan(0)
      expect(summary.cameras.file!.dropped.model?.overflow).toBeUndefined()
      const reported = events.filter((e) => e.type === 'dropped' && e.cameraId === 'live' && e.stage === 'model' && e.reason === 'overflow')
      expect(reported.reduce((n, e) => n + (e.type === 'dropped' ? e.count : 0), 0)).toBe(summary.cameras.live!.dropped.model!.overflow)
    } finally {
      await Promise.all([live.close(), file.close(), pool.close()])
    }
  })
})
