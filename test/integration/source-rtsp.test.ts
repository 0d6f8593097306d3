import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { SourceNotice } from '@oko/core'
import { streetScene, writeSampleClip } from '@oko/samples'
import { Source, probe, setFfmpegLogLevel, type SourceOptions } from '@oko/source'
import { RtspTestServer } from './source-rtsp-server.js'

// A real RTSP server on 127.0.0.1 (source-rtsp-server.ts) plays a generated clip in real time.
let dir: string
let server: RtspTestServer
const FAST_RECONNECT = { initialDelayMs: 100, maxDelayMs: 400, jitter: 0.2 }

beforeAll(async () => {
  setFfmpegLogLevel('quiet')
  dir = mkdtempSync(join(tmpdir(), 'oko-rtsp-'))
  writeSampleClip(join(dir, 'cam.mp4'), { ...streetScene({ width: 320, height: 240, fps: 25 }), frames: 75 }, { gopFrames: 25 })
  server = await RtspTestServer.create(join(dir, 'cam.mp4'), 25)
  await server.start()
})

afterEach(async () => {
  await server.stop()
  await server.start()
})

afterAll(async () => {
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
})

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const states = (events: SourceNotice[]): string[] => events.flatMap((e) => (e.type === 'source' ? [e.attempt ? `${e.state} ${e.attempt}` : e.state] : []))

/** Reads until `until` says stop; `onFrame` may disturb the server. */
async function watch(url: string, options: SourceOptions, until: (n: number, events: SourceNotice[]) => boolean, onFrame?: (n: number) => void) {
  const source = await Source.open(url, options)
  const events: SourceNotice[] = []
  const pts: number[] = []
  let n = 0
  for await (const frame of source.frames({ onEvent: (e) => events.push(e) })) {
    expect(frame.width).toBe(320)
    pts.push(frame.ptsUs)
    n++
    onFrame?.(n)
    if (until(n, events)) break
  }
  const stats = source.stats()
  await source.close()
  return { events, pts, stats, source }
}

const playingAgain = (events: SourceNotice[]): boolean => states(events).filter((s) => s === 'playing').length >= 2

describe.each(['tcp', 'udp'] as const)('Source on live RTSP over %s', (transport) => {
  it('plays, reconnects with backoff after the server goes away, and resumes frames', async () => {
    let framesAfter = 0
    const { events, pts, stats } = await watch(server.url(), { id: 'gate', transport, reconnect: FAST_RECONNECT, stalledAfterMs: 1500 },
      (n, events) => playingAgain(events) && ++framesAfter >= 10,
      (n) => { if (n === 10) void server.stop().then(() => sleep(700)).then(() => server.start()) })
    const seen = states(events)
    expect(seen[0]).toBe('playing')
    expect(seen).toContain('reconnecting 1')
    expect(seen.at(-1)).toBe('playing')
    expect(stats.reconnects).toBeGreaterThanOrEqual(1)
    expect(framesAfter).toBe(10)
    expect(pts.every((p, i) => i === 0 || p > pts[i - 1]!)).toBe(true)
    expect(events.every((e) => e.cameraId === 'gate')).toBe(true)
  })
})

describe('Source on live RTSP', () => {
  it('detects a connected stream that sends nothing (watchdog), then reconnects', async () => {
    const { events, stats } = await watch(server.url(), { reconnect: FAST_RECONNECT, stalledAfterMs: 800 },
      (_, events) => playingAgain(events),
      (n) => { if (n === 5) server.silence() })
    const seen = states(events)
    expect(seen.slice(0, 3)).toEqual(['playing', 'stalled', 'reconnecting 1'])
    expect(seen.at(-1)).toBe('playing')
    expect(stats.stalls).toBe(1)
  })

  it('names the camera and hides the password when a camera is unreachable', async () => {
    const closed = server.port + 1
    const url = `rtsp://admin:secret@127.0.0.1:${closed}/cam`
    const error = await Source.open(url, { id: 'north-gate', timeoutMs: 2000 }).then(
      () => new Error('opened an unreachable camera'),
      (e: unknown) => e as Error,
    )
    expect(error).toMatchObject({ code: 'ERR_SOURCE_UNREACHABLE' })
    expect(error.message).toContain('camera "north-gate"')
    expect(error.message).toContain(`rtsp://admin:***@127.0.0.1:${closed}/cam`)
    expect(error.message).not.toContain('secret')
  })

  it('gives up after maxAttempts with failed, then the iterator throws', async () => {
    const source = await Source.open(`rtsp://127.0.0.1:${server.port + 1}/cam`, { connect: 'lazy', reconnect: { maxAttempts: 2, initialDelayMs: 20 } })
    const events: SourceNotice[] = []
    await expect(async () => { for await (const _ of source.frames({ onEvent: (e) => events.push(e) })) break }).rejects.toMatchObject({ code: 'ERR_SOURCE_UNREACHABLE' })
    expect(states(events)).toEqual(['connecting', 'reconnecting 1', 'reconnecting 2', 'failed'])
    await source.close()
  })

  it('close() wakes a reader that waits between reconnect attempts', async () => {
    const source = await Source.open(`rtsp://127.0.0.1:${server.port + 1}/cam`, { connect: 'lazy', reconnect: { initialDelayMs: 600_000 } })
    const events: SourceNotice[] = []
    const reading = (async () => { for await (const _ of source.frames({ onEvent: (e) => events.push(e) })) break })()
    while (!states(events).includes('reconnecting 1')) await sleep(20)
    await source.close()
    await reading
    expect(states(events)).toEqual(['connecting', 'reconnecting 1'])
  })

  it('keeps the fps target and keyframes-only on a live stream', async () => {
    const rated = await watch(server.url(), { fps: 5 }, (n) => n >= 5)
    expect(rated.pts.slice(1).map((p, i) => p - rated.pts[i]!)).toEqual([200_000, 200_000, 200_000, 200_000])
    // The first live timestamp is FFmpeg's guess; keyframes after it are exactly 1 s (25 frames) apart.
    const keys = await watch(server.url(), { keyframesOnly: true }, (n) => n >= 3)
    expect(keys.pts[2]! - keys.pts[1]!).toBe(1_000_000)
    expect(keys.stats).toMatchObject({ framesDecoded: 3, packetsSkipped: 48 })
  })

  it('runs several live cameras at once and snapshots a main stream', async () => {
    const runs = await Promise.all([1, 2, 3].map((i) => watch(server.url(`cam${i}`), { id: `cam${i}` }, (n) => n >= 15)))
    expect(runs.map((r) => r.pts.length)).toEqual([15, 15, 15])
    const source = await Source.open(server.url('sub'), { main: server.url('main') })
    let snapshot
    for await (const frame of source.frames()) {
      snapshot = await source.main!.snapshot({ rect: { x: 0, y: 0, width: 32, height: 24 }, relativeTo: frame, format: 'gray8' })
      if (snapshot) break
    }
    expect(snapshot).toMatchObject({ width: 32, height: 24, format: 'gray8' })
    await source.close()
  })

  it('a listener that throws on main-stream notices ends the main stream (failed), not the process', async () => {
    // lazy: both streams connect in the background, so the main stream's notices reach this listener
    const source = await Source.open(server.url('sub'), { main: server.url('main'), connect: 'lazy' })
    const main = source.main!
    const seen: string[] = []
    const onEvent = (e: SourceNotice) => {
      if (e.type !== 'source' || !e.detail?.startsWith('main stream')) return
      seen.push(e.state)
      throw new Error('listener bug')
    }
    let frames = 0
    for await (const _frame of source.frames({ onEvent })) if (++frames >= 25 || main.stats().state === 'failed') break
    expect(seen).toEqual(['playing'])
    expect(main.stats().state).toBe('failed')
    await source.close()
  })

  it('drops frames that lag real time past maxLagMs before conversion, and reports them', async () => {
    const { events, stats } = await watch(server.url(), { maxLagMs: 200 }, (n) => n >= 8, () => {
      const until = Date.now() + 150 // a reader ~4x slower than the camera
      while (Date.now() < until) { /* busy */ }
    })
    expect(stats.framesDroppedStale).toBeGreaterThan(0)
    const dropped = events.filter((e) => e.type === 'dropped')
    expect(dropped.length).toBeGreaterThan(0)
    expect(dropped.every((e) => e.type === 'dropped' && e.reason === 'stale' && e.stage === 'source' && e.count > 0)).toBe(true)
  })

  it('close() ends a reader that is waiting on a silent camera', async () => {
    const source = await Source.open(server.url(), { stalledAfterMs: 0 })
    let n = 0
    for await (const _ of source.frames()) {
      if (++n === 3) {
        server.silence()
        setTimeout(() => void source.close(), 300)
      }
    }
    expect(n).toBeGreaterThanOrEqual(3)
    await source.close()
  })

  it('probes what a camera URL offers', async () => {
    const result = await probe(server.url())
    expect(result).toMatchObject({ live: true, container: 'rtsp', durationMs: undefined, videoStream: 0 })
    expect(result.streams[0]).toMatchObject({ type: 'video', codec: 'h264', width: 320, height: 240 })
  })
})
