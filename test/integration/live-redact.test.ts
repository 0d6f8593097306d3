import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { defineStage } from '@oko/core'
import { defaultStages, parseDeployment, runDeployment, type DeploymentResult, type StageRegistry } from '@oko/deploy'
import type { LiveServer } from '@oko/live'
import { streetScene, writeSampleClip } from '@oko/samples'
import { Source, setFfmpegLogLevel } from '@oko/source'
import { freePort } from '../helpers/brokers.js'
import { bytesSink, until } from '../helpers/events.js'

// `http.live.redact` wired through `oko run`: the boxes the plate stage reports are hidden in the
// JPEG the page serves. The plate reader is stood in for by a stage reporting a fixed box (what a
// plate is found to be is the plates package's test; here it is what the page shows of it).
const dir = mkdtempSync(join(tmpdir(), 'oko-live-redact-run-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const TOKEN = 'redact-token-0123456789'
const BOX = { x: 100, y: 60, width: 80, height: 40 }
const registry: StageRegistry = {
  ...defaultStages(),
  plates: {
    check: () => undefined,
    create: () => defineStage({ name: 'plates', process: (e) => (e.detections.push({ label: 'plate', score: 0.9, box: BOX } as (typeof e.detections)[number]), e) }),
  },
}

describe('oko run with http.live.redact', () => {
  it('serves live pictures with the plate boxes pixelated, and counts them', async () => {
    setFfmpegLogLevel('quiet')
    const clip = join(dir, 'street.mp4')
    writeSampleClip(clip, streetScene({ width: 320, height: 180, fps: 10 }), { gopFrames: 10 })
    const port = await freePort()
    const config = parseDeployment([
      'cameras:', `  - { id: cam, url: "${clip}", loop: true, realtime: true }`,
      'stages: [plates]',
      'outputs:', '  - file: events.jsonl',
      'http:', `  listen: "127.0.0.1:${port}"`, `  auth: { token: ${TOKEN} }`, '  live: { fps: 5, redact: { strength: 1, paddingFrac: 0 } }', '',
    ].join('\n'), { baseDir: dir })
    const stop = new AbortController()
    let live: LiveServer | undefined
    const running: Promise<DeploymentResult> = runDeployment(config, { registry, signal: stop.signal, stdout: bytesSink([]), onStart: (_d, _del, _a, server) => void (live = server) })
    try {
      await until(() => live !== undefined, 30_000, 'the live page')
      const auth = { authorization: `Bearer ${TOKEN}` }
      const redacted = async () => ((await (await fetch(`${live!.url}/api/cameras`, { headers: auth })).json()) as { cameras: { live: { redacted: number } }[] }).cameras[0]!.live.redacted
      // pictures are encoded while asked for: ask until one was drawn after the plate stage reported its box
      let count = 0
      for (let i = 0; i < 100 && count === 0; i++) {
        expect((await fetch(`${live!.url}/api/cameras/cam/frame.jpg`, { headers: auth })).status).toBe(200)
        count = await redacted()
      }
      expect(count).toBeGreaterThan(0)
      const res = await fetch(`${live!.url}/api/cameras/cam/frame.jpg`, { headers: auth })
      const jpeg = new Uint8Array(await res.arrayBuffer())
      writeFileSync(join(dir, 'served.jpg'), jpeg)
      const source = await Source.open(join(dir, 'served.jpg'), { format: 'gray8' })
      for await (const f of source.frames()) {
        const px = f.planes[0]!, stride = f.strides[0]!
        const inside: number[] = []
        for (let y = BOX.y + 4; y < BOX.y + BOX.height - 4; y++) for (let x = BOX.x + 4; x < BOX.x + BOX.width - 4; x++) inside.push(px[y * stride + x]!)
        // strength 1: the whole box is one block of its mean (JPEG ringing aside)
        expect(Math.max(...inside) - Math.min(...inside)).toBeLessThan(12)
        break
      }
      await source.close()
    } finally {
      stop.abort()
      await running.catch(() => undefined)
    }
  })
})
