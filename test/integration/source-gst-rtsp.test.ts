import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SourceNotice } from '@oko/core'
import { streetScene, writeSampleClip } from '@oko/samples'
import { Source, probe, setFfmpegLogLevel, type SourceOptions } from '@oko/source'
import { GstRtspServer, gstMissing } from '../helpers/gst-rtsp.js'
import { oko } from '../helpers/cli.js'

// GStreamer's RTSP server (Debian gir1.2-gst-rtsp-server-1.0) as a third-party camera: oko's
// reconnect and login handling against a server it did not write.
const missing = gstMissing()
if (missing && process.env.CI === 'true') throw new Error(missing)

const PASSWORD = 'Xy@Secret9:/?#%'
const FAST = { initialDelayMs: 100, maxDelayMs: 400, jitter: 0 }
const states = (events: SourceNotice[]): string[] => events.flatMap((e) => (e.type === 'source' ? [e.attempt ? `${e.state} ${e.attempt}` : e.state] : []))

describe.skipIf(missing !== undefined)('Source against GStreamer\'s RTSP server', () => {
  let dir: string
  let open: GstRtspServer
  let locked: GstRtspServer

  beforeAll(async () => {
    if (missing) return
    setFfmpegLogLevel('quiet')
    dir = mkdtempSync(join(tmpdir(), 'oko-gst-'))
    writeSampleClip(join(dir, 'cam.mp4'), { ...streetScene({ width: 320, height: 240, fps: 25 }), frames: 250 }, { gopFrames: 25 })
    open = new GstRtspServer(join(dir, 'cam.mp4'))
    locked = new GstRtspServer(join(dir, 'cam.mp4'), { user: 'admin', password: PASSWORD })
    await Promise.all([open.start(), locked.start()])
  })

  afterAll(async () => {
    await Promise.all([open?.stop(), locked?.stop()])
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('reconnects with backoff when the server process dies and comes back, frames resume', async () => {
    const source = await Source.open(open.url(), { id: 'gate', reconnect: FAST, stalledAfterMs: 2000, timeoutMs: 2000 })
    const events: SourceNotice[] = []
    const pts: number[] = []
    let after = 0
    for await (const frame of source.frames({ onEvent: (e) => events.push(e) })) {
      pts.push(frame.ptsUs)
      if (pts.length === 10) void open.kill().then(() => new Promise((r) => setTimeout(r, 800))).then(() => open.start())
      if (states(events).filter((s) => s === 'playing').length >= 2 && ++after >= 10) break
    }
    await source.close()
    const seen = states(events)
    expect(seen[0]).toBe('playing')
    expect(seen).toContain('reconnecting 1')
    expect(seen.at(-1)).toBe('playing')
    expect(source.stats().reconnects).toBeGreaterThanOrEqual(1)
    expect(pts.every((p, i) => i === 0 || p > pts[i - 1]!)).toBe(true)
    expect(events.every((e) => e.cameraId === 'gate')).toBe(true)
  })

  it('plays with a password holding reserved characters, raw @ and : or percent-encoded', async () => {
    const raw = await Source.open(locked.url('cam', 'admin:Xy@Secret9:%2F%3F%23%25'), { id: 'yard' })
    for await (const frame of raw.frames()) { expect(frame.width).toBe(320); break }
    await raw.close()
    expect(raw.url).toBe(`rtsp://admin:***@127.0.0.1:${locked.port}/cam`)
    const encoded = await Source.open(locked.url('cam', `admin:${encodeURIComponent(PASSWORD)}`))
    expect(encoded.cameraId).toBe(`127.0.0.1:${locked.port}/cam`)
    for await (const frame of encoded.frames()) { expect(frame.width).toBe(320); break }
    await encoded.close()
  })

  it('a refused login is its own state: unauthorized, retried at the longest delay, never showing the password', async () => {
    const wrong = 'Wr0ng@pass:word'
    const error = await Source.open(locked.url('cam', `admin:${wrong}`), { id: 'yard', timeoutMs: 3000 }).then(() => undefined, (e: Error) => e)
    expect(error).toMatchObject({ code: 'ERR_SOURCE_UNREACHABLE' })
    expect(error!.message).toBe(`camera "yard": rtsp://admin:***@127.0.0.1:${locked.port}/cam refused the login (401 Unauthorized); check the user name and password`)

    const options: SourceOptions = { id: 'yard', connect: 'lazy', reconnect: { initialDelayMs: 10, maxDelayMs: 400, maxAttempts: 2, jitter: 0 } }
    const source = await Source.open(locked.url('cam', `admin:${wrong}`), options)
    const events: SourceNotice[] = []
    const at: number[] = []
    const reading = (async () => { for await (const _ of source.frames({ onEvent: (e) => { events.push(e); at.push(Date.now()) } })) break })()
    await expect(reading).rejects.toMatchObject({ code: 'ERR_SOURCE_UNREACHABLE' })
    await source.close()
    expect(states(events)).toEqual(['connecting', 'unauthorized 1', 'unauthorized 2', 'failed'])
    // a network failure would wait 10 then 20 ms; a refused login waits maxDelayMs each time
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(390)
    expect(JSON.stringify(events)).not.toMatch(/Wr0ng|pass:word/)
    expect(events.every((e) => e.cameraId === 'yard')).toBe(true)

    const noLogin = await Source.open(locked.url('cam'), { timeoutMs: 3000 }).then(() => undefined, (e: Error) => e)
    expect(noLogin!.message).toMatch(/refused the login \(401 Unauthorized\); it needs a login: give it as rtsp:\/\/user:password@host\/… or with password_file$/)
  })

  it('oko probe says the camera refused the login, and shows what a good login offers', async () => {
    const bad = await oko('probe', locked.url('cam', 'admin:nope'), '--timeout-ms', '3000')
    expect(bad.code).toBe(3)
    expect(bad.stderr).toBe(`oko probe: rtsp://admin:***@127.0.0.1:${locked.port}/cam refused the login (401 Unauthorized); check the user name and password [ERR_SOURCE_UNREACHABLE]\n`)
    const good = await probe(locked.url('cam', `admin:${encodeURIComponent(PASSWORD)}`))
    expect(good.url).toBe(`rtsp://admin:***@127.0.0.1:${locked.port}/cam`)
    expect(good.streams[good.videoStream]).toMatchObject({ type: 'video', codec: 'h264', width: 320, height: 240 })
  })
})
