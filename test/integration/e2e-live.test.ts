import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EventOf, type OkoEvent } from '@oko/core'
import { EventEncoder } from '@oko/sinks'
import { writeStillClip } from '@oko/samples'
import { decodeImage, setFfmpegLogLevel } from '@oko/source'
import { parseDeployment, runDeployment } from '@oko/deploy'
import { RtspTestServer } from './source-rtsp-server.js'
import { evaluationDataDir } from '../helpers/data.js'
import { bytesSink } from '../helpers/events.js'

// End to end on a live camera: an RTSP server on 127.0.0.1 loops a clip (made at run time) in
// which a real plate photo drives through at 25 fps, faster than one reader thread can read every
// moving frame. The camera must never wait: the plate edge drops the oldest frames, every drop is
// counted and reported, and the plate is still read and matched against the watchlist.
const data = evaluationDataDir()
if (!data) console.warn('e2e-live: skipped, evaluation data not found (set OKO_DATA to the shared data folder)')

let dir: string
let server: RtspTestServer

beforeAll(async () => {
  if (!data) return
  dir = mkdtempSync(join(tmpdir(), 'oko-e2e-live-'))
  setFfmpegLogLevel('quiet')
  const car = decodeImage(join(data, 'plates/openalpr-eu/test_010.jpg'), { format: 'rgb24' }) // plate RK248AH
  const clip = join(dir, 'road.mp4')
  writeStillClip(clip, [{ image: car, motion: { from: { x: -200, y: 50 }, to: { x: 660, y: 50 }, seconds: 2.4 } }], { fps: 25, seconds: 4.4, gopFrames: 25 })
  writeFileSync(join(dir, 'wanted.txt'), 'RK 248 AH\n')
  server = await RtspTestServer.create(clip, 25)
  await server.start()
})
afterAll(async () => {
  await server?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!data)('e2e: a live RTSP camera with motion + plates', () => {
  it('reads the plate without slowing the camera: oldest frames dropped at the plate edge, every drop counted', async () => {
    const config = parseDeployment([
      'cameras:',
      `  - { id: road, url: "${server.url('road')}" }`,
      'stages:',
      '  - motion',
      '  - plates: { watchlist: wanted.txt, threads: 1 }',
      '',
    ].join('\n'), { baseDir: dir })
    const stop = new AbortController()
    // the clip loops every 4.4 s: on a loaded machine the one reader thread may read only cut-off
    // views of a pass (K248AH, 2K248), and a later pass brings the whole plate
    const safety = setTimeout(() => stop.abort(new Error('no plate within 100 s')), 100_000)
    const events: OkoEvent[] = []
    const encoded: Uint8Array[] = []
    const result = await runDeployment(config, {
      signal: stop.signal,
      stdout: bytesSink(encoded),
      onEvent: (e) => {
        events.push(e)
        if (e.type === 'plate' && e.watchlist?.length) stop.abort()
      },
    }).finally(() => clearTimeout(safety))
    const plate = events.find((e): e is EventOf<'plate'> => e.type === 'plate' && e.text === 'RK248AH')
    expect(plate, `plates read: ${events.filter((e) => e.type === 'plate').map((e) => (e as EventOf<'plate'>).text).join(', ')}`).toBeDefined()
    expect(plate!.watchlist).toEqual([{ list: 'wanted', entry: 'RK248AH', distance: 0 }])
    expect(events.some((e) => e.type === 'source' && e.state === 'playing')).toBe(true)
    // More moving frames than one thread reads: the edge dropped some, and said so.
    const summary = result.summary
    const overflow = summary.dropped.plates?.overflow ?? 0
    expect(overflow).toBeGreaterThan(0)
    const reported = (reason: string) => events.filter((e): e is EventOf<'dropped'> => e.type === 'dropped' && e.stage === 'plates' && e.reason === reason).reduce((n, e) => n + e.count, 0)
    expect(reported('overflow')).toBe(overflow)
    expect(reported('aborted')).toBe(summary.dropped.plates?.aborted ?? 0)
    expect(summary.errors).toBe(0)
    // What was written is what was seen (JSON lines).
    expect(EventEncoder.decode(Buffer.concat(encoded), 'jsonl').length).toBe(events.length)
  }, 130_000)
})
