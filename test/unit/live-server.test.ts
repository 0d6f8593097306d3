import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Frame, OkoEvent, StageContext } from '@oko/core'
import { parseDeployment } from '@oko/deploy'
import { LiveAuth, LiveFrames, RecentEvents, SESSION_COOKIE } from '@oko/live'

const dir = mkdtempSync(join(tmpdir(), 'oko-live-unit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const config = (http: string) => parseDeployment(['cameras:', '  - { id: cam-a, url: "a.mp4" }', 'http:', http, ''].join('\n'), { baseDir: dir, env: { TOKEN: 'from-the-env-0123456789', SHORT: 'short' } })

describe('http: in the deployment file', () => {
  it('reads the token from the environment or a file, binds 127.0.0.1:8080 by default', () => {
    expect(config('  auth: { token: "${TOKEN}" }').http).toEqual({ listen: { host: '127.0.0.1', port: 8080 }, auth: { token: 'from-the-env-0123456789', users: [] }, live: {}, search: { path: join(dir, 'oko-events.sqlite'), retainMs: 24 * 3_600_000, maxEvents: 100_000 } })
    expect(config('  auth: { token: "${TOKEN}" }\n  search: false').http!.search).toBeUndefined()
    expect(config('  auth: { token: "${TOKEN}" }\n  search: { path: ev/index.sqlite, retainHours: 2, maxEvents: 500 }').http!.search).toEqual({ path: join(dir, 'ev/index.sqlite'), retainMs: 7_200_000, maxEvents: 500 })
    writeFileSync(join(dir, 'duty.password'), 'correct horse\n')
    const c = config('  listen: 9000\n  auth: { users: [{ name: duty-1, password_file: duty.password }] }\n  live: { fps: 3, quality: 60 }')
    expect(c.http).toMatchObject({ listen: { host: '127.0.0.1', port: 9000 }, auth: { users: [{ name: 'duty-1', password: 'correct horse' }] }, live: { fps: 3, quality: 60 } })
  })

  it('refuses a page without credentials, short or unset secrets, with the line and the fix, never echoing the secret', () => {
    expect(() => config('  listen: 127.0.0.1:8080')).toThrow(/http\.auth( \(line \d+\))?: the live page needs credentials/)
    expect(() => config('  auth: {}')).toThrow(/http\.auth.*give `token:`/)
    expect(() => config('  auth: { token: "${SHORT}" }')).toThrow(/http\.auth\.token \(line 4\): expected at least 16 characters/)
    expect(() => config('  auth: { token: "${NOPE}" }')).toThrow(/environment variable NOPE is not set/)
    expect(() => config('  auth: { token: "${broken" }')).toThrow(/a \$\{ must start \$\{NAME\}/)
    expect(() => config('  auth: { users: [{ name: duty-1, password: "abc" }] }')).toThrow(/http\.auth\.users\[0\]\.password.*at least 8/)
    expect(() => config('  auth: { users: [{ name: duty-1, password_file: missing.txt }] }')).toThrow(/http\.auth\.users\[0\]\.password_file.*cannot read/)
    expect(() => config('  auth: { token: "${TOKEN}" }\n  live: { fps: 100 }')).toThrow(/http\.live\.fps/)
    expect(() => config('  auth: { token: "${TOKEN}" }\n  search: { maxEvents: 0 }')).toThrow(/http\.search\.maxEvents/)
    expect(() => config('  auth: { token: "${TOKEN}" }\n  search: { retainDays: 2 }')).toThrow(/http\.search.*retainDays/)
    try {
      config('  auth: { token: "${SHORT}" }')
    } catch (error) {
      expect((error as Error).message).not.toContain('short')
    }
  })
})

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage

describe('LiveAuth', () => {
  const auth = new LiveAuth({ token: 'the-token-0123456789', users: [{ name: 'duty-1', password: 'correct horse' }] })

  it('takes the bearer token, Basic passwords and login sessions; nothing else', () => {
    expect(auth.check(req({ authorization: 'Bearer the-token-0123456789', 'x-oko-operator': 'desk 3' }))).toEqual({ name: 'desk 3', via: 'token' })
    expect(auth.check(req({ authorization: 'Bearer the-token-012345678' }))).toBeUndefined()
    expect(auth.check(req({ authorization: `Basic ${Buffer.from('duty-1:correct horse').toString('base64')}` }))).toEqual({ name: 'duty-1', via: 'password' })
    expect(auth.check(req({ authorization: `Basic ${Buffer.from('duty-1:wrong').toString('base64')}` }))).toBeUndefined()
    expect(auth.check(req({}))).toBeUndefined()
    const session = auth.login({ name: 'officer-7', secret: 'the-token-0123456789' })!
    expect(session.operator).toEqual({ name: 'officer-7', via: 'session' })
    expect(auth.check(req({ cookie: `a=b; ${SESSION_COOKIE}=${session.sessionId}` }))).toEqual(session.operator)
    expect(auth.login({ name: 'duty-1', secret: 'correct horse' })!.operator.name).toBe('duty-1')
    expect(auth.login({ name: 'duty-1', secret: 'wrong' })).toBeUndefined()
    auth.logout(req({ cookie: `${SESSION_COOKIE}=${session.sessionId}` }))
    expect(auth.check(req({ cookie: `${SESSION_COOKIE}=${session.sessionId}` }))).toBeUndefined()
    expect(auth.failures).toBe(3)
  })

  it('sessions end after sessionHours', () => {
    let now = 0
    const a = new LiveAuth({ token: 'the-token-0123456789', sessionHours: 1, now: () => now })
    const s = a.login({ token: 'the-token-0123456789', name: 'x' })!
    expect(a.check(req({ cookie: `${SESSION_COOKIE}=${s.sessionId}` }))).toBeDefined()
    now = 3_600_001
    expect(a.check(req({ cookie: `${SESSION_COOKIE}=${s.sessionId}` }))).toBeUndefined()
  })
})

const motion = (i: number, cameraId: string, extra: Record<string, unknown> = {}) => ({ id: `01J${String(i).padStart(23, '0')}`, v: 1, type: 'motion', timeMs: 1000 + i, cameraId, seq: i, ptsUs: 0, score: 0.1, regions: [], zones: [], ...extra }) as unknown as OkoEvent

describe('RecentEvents', () => {
  it('searches by type, camera, time and text, pages on, keeps snapshots apart and bounded', () => {
    const recent = new RecentEvents({ keep: 50, snapshotBytes: 10 })
    for (let i = 0; i < 60; i++) recent.add(motion(i, i % 2 ? 'a' : 'b'))
    expect(recent.size).toBe(50)
    expect(recent.evicted).toBe(10)
    const page1 = recent.search({ cameras: ['a'], limit: 10 })
    expect(page1.events.map((e) => (e as { seq: number }).seq)).toEqual([59, 57, 55, 53, 51, 49, 47, 45, 43, 41])
    const page2 = recent.search({ cameras: ['a'], limit: 10, before: page1.next! })
    expect((page2.events[0] as { seq: number }).seq).toBe(39)
    expect(recent.search({ fromMs: 1050, toMs: 1052 }).events).toHaveLength(3)
    const plate = recent.add({ ...motion(60, 'a'), type: 'plate', text: 'AB1234CE', snapshot: { jpeg: new Uint8Array(8), width: 2, height: 2 } } as unknown as OkoEvent)
    expect(plate.snapshotUrl).toBe(`/api/events/${plate.id}/snapshot.jpg`)
    expect((plate as unknown as { snapshot: object }).snapshot).toEqual({ width: 2, height: 2 })
    expect(recent.search({ text: 'ab 1234' }).events.map((e) => e.id)).toEqual([plate.id])
    recent.add({ ...motion(61, 'a'), type: 'plate', text: 'X', snapshot: { jpeg: new Uint8Array(8) } } as unknown as OkoEvent)
    expect(recent.snapshot(plate.id)).toBeUndefined() // over 10 bytes: the oldest went
  })
})

describe('LiveFrames', () => {
  const frame = (seq: number, wallMs: number): Frame => {
    const y = new Uint8Array(16 * 16).fill(seq * 10), uv = new Uint8Array(8 * 8).fill(128)
    return { cameraId: 'cam', seq, ptsUs: seq * 100_000, wallMs, width: 16, height: 16, format: 'yuv420p', planes: [y, uv, uv], strides: [16, 8, 8] }
  }

  it('encodes only while watched, at most fps a second, and counts the pictures a busy viewer drops', async () => {
    let now = 0
    const frames = new LiveFrames({ fps: 2, now: () => now })
    const stage = frames.stage('cam')
    const ctx = {} as StageContext
    const feed = (seq: number) => stage.process({ frame: frame(seq, now), detections: [], tracks: [] }, ctx)
    for (let i = 0; i < 5; i++, now += 100) await feed(i)
    expect(frames.stats('cam')).toMatchObject({ frames: 5, encoded: 0 })
    let busy = false
    const got: number[] = []
    const unwatch = frames.watch('cam', { send: (p) => (busy ? false : (got.push(p.seq), true)) })
    for (let i = 5; i < 15; i++, now += 100) {
      busy = i >= 10
      await feed(i)
    }
    // at 2 fps while watched: frames 5 (500 ms, sent) and 10 (1000 ms, the viewer busy: dropped)
    expect(got).toEqual([5])
    const s = frames.stats('cam')
    expect(s).toMatchObject({ frames: 15, encoded: 2, sent: 1, dropped: 1, viewers: 1 })
    expect(s.fps).toBeCloseTo(10, 0)
    unwatch()
    expect(frames.stats('cam').viewers).toBe(0)
    expect(frames.lastPicture('cam')?.seq).toBe(10)
    now += 2000 // the last picture is old now: the next frame is encoded for the asker
    const picture = frames.picture('cam', 1000)
    await feed(20)
    expect((await picture)?.seq).toBe(20)
    await stage.close()
  })
})
