import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OkoEvent } from '@oko/core'
import { signAlarmBody } from '@oko/alarms'
import { parseDeployment, runDeployment } from '@oko/deploy'
import { streetScene, writeSampleClip } from '@oko/samples'
import { EventEncoder } from '@oko/sinks'
import { decodeImage, probe, setFfmpegLogLevel } from '@oko/source'
import { freePort } from '../helpers/brokers.js'
import { bytesSink, until } from '../helpers/events.js'

// An SOS press with evidence: the alarm event references a snapshot of each linked camera (its next
// decoded frame, as JPEG) and a clip of each from before the press (the camera's packet ring).
let dir: string
let clip: string
const SECRET = 'column-secret-0123456789'

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oko-alarm-evidence-'))
  setFfmpegLogLevel('quiet')
  clip = join(dir, 'street.mp4')
  writeSampleClip(clip, streetScene({ width: 320, height: 180, fps: 10 }), { gopFrames: 10 })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('alarm evidence', () => {
  it('a press gets a snapshot and a pre-roll clip of each linked camera, written to the evidence store and referenced by the raised event', async () => {
    const port = await freePort()
    const config = parseDeployment([
      'cameras:', `  - { id: cam-a, url: "${clip}", loop: true, realtime: true }`, `  - { id: cam-b, url: "${clip}", loop: true, realtime: true }`,
      'outputs:', '  - file: events.jsonl',
      'evidence: { path: evidence, url: "http://127.0.0.1:9465/evidence", clips: { types: [alarm], preSeconds: 1, postSeconds: 1 } }',
      'alarms:', `  listen: "127.0.0.1:${port}"`, '  inputs:', `    - http: { name: columns, secret: ${SECRET} }`,
      '  points:', '    - { id: sos-17, place: "Square, north column", cameras: [cam-a, cam-b] }', '',
    ].join('\n'), { baseDir: dir })
    const stop = new AbortController()
    const seen: OkoEvent[] = []
    const running = runDeployment(config, { signal: stop.signal, stdout: bytesSink([]), onEvent: (e) => seen.push(e) })
    try {
      // two seconds of packets in the rings: the pre-roll is there
      await until(() => seen.filter((e) => e.type === 'motion').length > 0, 20_000, 'the cameras to run')
      await new Promise((r) => setTimeout(r, 2000))
      const body = JSON.stringify({ point: 'sos-17', state: 'active' })
      const res = await fetch(`http://127.0.0.1:${port}/alarms/columns`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-oko-signature': signAlarmBody(SECRET, Math.floor(Date.now() / 1000), body) } })
      expect(res.status).toBe(202)
      await until(() => seen.filter((e) => e.type === 'evidence').length >= 4, 20_000, 'two snapshots and two clips')
    } finally {
      stop.abort()
      await running
    }
    const written = EventEncoder.decode(readFileSync(join(dir, 'events.jsonl')), 'jsonl')
    const raised = written.find((e) => e.type === 'alarm') as OkoEvent & { alarmId: string }
    expect(raised.evidence!.map((r) => r.kind).sort()).toEqual(['clip', 'clip', 'snapshot', 'snapshot'])
    const made = written.filter((e) => e.type === 'evidence') as (OkoEvent & { kind: string; cameraId: string; cause: string; ok: boolean; evidenceId: string; startPtsUs?: number; endPtsUs?: number })[]
    expect(made.every((e) => e.ok && e.cause === raised.alarmId)).toBe(true)
    expect(made.map((e) => `${e.cameraId}:${e.kind}`).sort()).toEqual(['cam-a:clip', 'cam-a:snapshot', 'cam-b:clip', 'cam-b:snapshot'])
    for (const ref of raised.evidence!) {
      const file = join(dir, 'evidence', `${ref.id}.${ref.kind === 'clip' ? 'mp4' : 'jpg'}`)
      expect(existsSync(file), file).toBe(true)
      if (ref.kind === 'snapshot') expect(decodeImage(file, { format: 'rgb24' })).toMatchObject({ width: 320, height: 180 })
      else expect((await probe(file)).durationMs ?? 0).toBeGreaterThanOrEqual(1500) // ~1 s before the press, 1 s after
    }
  })
})
