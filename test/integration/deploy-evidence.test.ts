import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventOf, OkoEvent } from '@oko/core'
import { EvidenceRecorder, HttpEndpoint, parseDeployment, runDeployment } from '@oko/deploy'
import { streetScene, writeSampleClip } from '@oko/samples'
import { EventEncoder, EvidenceStore, toCloudEvent } from '@oko/sinks'
import { Source, setFfmpegLogLevel } from '@oko/source'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/brokers.js'
import { bytesSink, eventMaker } from '../helpers/events.js'

let dir: string
let clip: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oko-evidence-'))
  setFfmpegLogLevel('quiet')
  clip = join(dir, 'street.mp4')
  writeSampleClip(clip, streetScene({ width: 320, height: 180, fps: 10 }), { gopFrames: 10 })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('evidence: snapshots and clips', () => {
  it('oko run with evidence.clips: each event references its clip by id and URL; an evidence event says when it is made; the endpoint serves it', async () => {
    const port = await freePort()
    const config = parseDeployment([
      'cameras:', `  - { id: street, url: "${clip}" }`,
      'outputs:', '  - file: ev.jsonl',
      `evidence: { path: clips, listen: "127.0.0.1:${port}", clips: { types: [motion], preSeconds: 1, postSeconds: 1 } }`, '',
    ].join('\n'), { baseDir: dir })
    await runDeployment(config, { stdout: bytesSink([]) })
    const events = EventEncoder.decode(readFileSync(join(dir, 'ev.jsonl')), 'jsonl')
    const motion = events.filter((e) => e.type === 'motion')
    const made = events.filter((e): e is EventOf<'evidence'> => e.type === 'evidence')
    expect(motion.length).toBeGreaterThan(0)
    expect(made).toHaveLength(motion.length)
    for (const m of motion) {
      const ref = m.evidence!.find((r) => r.kind === 'clip')!
      expect(ref.url).toBe(`http://127.0.0.1:${port}/evidence/${ref.id}.mp4`)
      const ev = made.find((e) => e.cause === m.id)!
      expect(ev).toMatchObject({ ok: true, evidenceId: ref.id, url: ref.url, cameraId: 'street' })
      // pre-roll: from the keyframe at or before a second before the event
      expect(ev.startPtsUs!).toBeLessThanOrEqual(m.ptsUs - 1_000_000)
      expect(ev.startPtsUs! % 1_000_000).toBe(0)
      expect(statSync(join(dir, 'clips', `${ref.id}.mp4`)).size).toBe(ev.bytes)
      // FFmpeg plays it back: as many frames as packets
      const played = await Source.open(join(dir, 'clips', `${ref.id}.mp4`), { id: 'clip' })
      let frames = 0
      for await (const _f of played.frames()) frames++
      await played.close()
      expect(frames).toBe(ev.frames)
    }
    // the store reopens with what is there, and the endpoint serves it
    const store = new EvidenceStore({ path: join(dir, 'clips'), baseUrl: 'http://x/evidence' })
    expect(store.stats().files).toBe(motion.length)
    const endpoint = await HttpEndpoint.listen({ host: '127.0.0.1', port: 0 }, { evidence: store })
    try {
      const first = made[0]!
      const res = await fetch(`${endpoint.url}/evidence/${first.evidenceId}.mp4`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('video/mp4')
      expect((await res.arrayBuffer()).byteLength).toBe(first.bytes)
      expect((await fetch(`${endpoint.url}/evidence/${first.evidenceId}.jpg`)).status).toBe(404)
      expect((await fetch(`${endpoint.url}/evidence/../../etc/passwd`)).status).toBe(404)
    } finally {
      await endpoint.close()
    }
  })

  it('a snapshot goes to the store once and events carry its reference (the wire leaves the bytes home); a clip that cannot be made is an event', async () => {
    const recorder = new EvidenceRecorder({ path: join(dir, 'snaps'), maxBytes: 1024 * 1024, maxAgeMs: 3_600_000, baseUrl: 'http://10.0.0.4:9465/evidence', clips: { types: ['plate'], preMs: 1000, postMs: 1000, ringSeconds: 10, ringBytes: 1 << 20 } })
    recorder.ringFor('gate') // a camera whose stream never delivered a keyframe
    const jpeg = new Uint8Array([0xff, 0xd8, 9, 9, 0xff, 0xd9])
    const plate = { ...eventMaker()('gate', 5), type: 'plate', text: 'AA1234BB', snapshot: { jpeg, width: 2, height: 2, region: { x: 0, y: 0, width: 2, height: 2 }, seq: 5, ptsUs: 200_000 } } as unknown as OkoEvent
    const out = recorder.process(plate)
    const [snap, clipRef] = out.evidence!
    expect(snap).toMatchObject({ kind: 'snapshot', contentType: 'image/jpeg', bytes: 6, url: `http://10.0.0.4:9465/evidence/${snap!.id}.jpg` })
    expect([...readFileSync(join(dir, 'snaps', `${snap!.id}.jpg`))]).toEqual([...jpeg])
    expect(clipRef).toMatchObject({ kind: 'clip', contentType: 'video/mp4' })
    expect((toCloudEvent(out, 'x').data as unknown as { snapshot: object }).snapshot).not.toHaveProperty('jpeg')
    const late: unknown[] = []
    recorder.start((e) => late.push(e))
    await recorder.finish()
    expect(late).toEqual([expect.objectContaining({ type: 'evidence', cause: plate.id, evidenceId: clipRef!.id, ok: false, error: { code: 'ERR_INVALID_INPUT', message: 'no keyframe received yet: nothing to cut a clip from' } })])
    recorder.close()
  })

  it('retention: the store keeps its size bound by deleting the oldest files', () => {
    const store = new EvidenceStore({ path: join(dir, 'bounded'), maxBytes: 2500, baseUrl: 'http://x/evidence' })
    const refs = Array.from({ length: 5 }, () => store.putSnapshot(new Uint8Array(1000)))
    expect(store.stats()).toMatchObject({ files: 2, bytes: 2000, deleted: 3 })
    expect(store.get(refs[0]!.id)).toBeUndefined()
    expect(store.get(`${refs[4]!.id}.jpg`)).toMatchObject({ contentType: 'image/jpeg', bytes: 1000 })
  })
})
