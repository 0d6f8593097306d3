import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '@oko/core'
import { DEFAULT_RECONNECT, RateLimiter, backoffDelayMs, defaultCameraId, isLiveUrl, redactUrl, resolveSourceOptions } from '@oko/source'

describe('source options', () => {
  it('fills defaults: one decoder thread, tcp, eager, live from the scheme', () => {
    const o = resolveSourceOptions('rtsp://10.0.0.5:554/Streaming/Channels/102')
    expect(o).toMatchObject({ live: true, threads: 1, transport: 'tcp', connect: 'eager', format: 'auto', keyframesOnly: false, stalledAfterMs: 10_000 })
    expect(o.reconnect).toEqual(DEFAULT_RECONNECT)
    expect(o.id).toBe('10.0.0.5:554/Streaming/Channels/102')
    expect(resolveSourceOptions('/videos/gate.mp4')).toMatchObject({ live: false, id: 'gate.mp4' })
  })

  it('names the option and the fix', () => {
    expect(() => resolveSourceOptions('a.mp4', { fps: 0 })).toThrow('options.fps: expected a number in (0, 1000], received 0 (number)')
    expect(() => resolveSourceOptions('a.mp4', { scale: { height: 1.5 } })).toThrow(/options.scale.height: expected an integer/)
    expect(() => resolveSourceOptions('a.mp4', { transport: 'http' })).toThrow(/options.transport: expected one of "tcp", "udp"/)
    expect(() => resolveSourceOptions('a.mp4', { fsp: 5 })).toThrow(/options.fsp: unknown option; did you mean "fps"\?/)
    expect(() => resolveSourceOptions('a.mp4', { reconnect: { maxAttempt: 3 } })).toThrow(/did you mean "maxAttempts"/)
    expect(() => resolveSourceOptions('rtsp://h/x', { loop: true })).toThrow(/options.loop: applies to files only/)
    expect(() => resolveSourceOptions('a.mp4', { main: { url: '' } })).toThrow(/options.main.url: expected a non-empty string/)
    expect(() => resolveSourceOptions('', {})).toThrow(InvalidOptionError)
  })

  it('accepts Infinity attempts and a main stream given as a URL', () => {
    const o = resolveSourceOptions('rtsp://cam/sub', { reconnect: { maxAttempts: Infinity, initialDelayMs: 100 }, main: 'rtsp://cam/main' })
    expect(o.reconnect).toMatchObject({ maxAttempts: Infinity, initialDelayMs: 100 })
    expect(o.main).toMatchObject({ url: 'rtsp://cam/main', live: true, threads: 1, maxGopPackets: 600 })
  })
})

describe('URLs', () => {
  it('redacts passwords', () => {
    expect(redactUrl('rtsp://admin:s3cr:et@10.0.0.5/ch1')).toBe('rtsp://admin:***@10.0.0.5/ch1')
    expect(redactUrl('rtsp://10.0.0.5/ch1')).toBe('rtsp://10.0.0.5/ch1')
    expect(defaultCameraId('rtsp://admin:pw@10.0.0.5/ch1')).toBe('10.0.0.5/ch1')
  })

  it('tells live URLs from files', () => {
    expect(isLiveUrl('rtsp://x/y')).toBe(true)
    expect(isLiveUrl('srt://x:9000')).toBe(true)
    expect(isLiveUrl('/data/x.mp4')).toBe(false)
    expect(isLiveUrl('file:///data/x.mp4')).toBe(false)
  })
})

describe('backoff', () => {
  it('grows exponentially to the cap, with jitter inside [1 - jitter, 1] of the delay', () => {
    const policy = { ...DEFAULT_RECONNECT, initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 }
    expect([1, 2, 3, 4, 5, 9].map((a) => backoffDelayMs(a, policy, () => 0))).toEqual([100, 200, 400, 800, 1000, 1000])
    expect(backoffDelayMs(2, policy, () => 1)).toBe(100)
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(150)
  })
})

describe('RateLimiter', () => {
  const run = (fps: number | undefined, sourceFps: number, n: number): number => {
    const r = new RateLimiter(fps)
    let kept = 0
    for (let i = 0; i < n; i++) if (r.accept(Math.round((i * 1e6) / sourceFps))) kept++
    return kept
  }

  it('keeps the exact average rate', () => {
    expect(run(undefined, 25, 100)).toBe(100)
    expect(run(5, 25, 100)).toBe(20)
    expect(run(10, 25, 100)).toBe(40)
    expect(run(25, 25, 100)).toBe(100)
    expect(run(50, 25, 100)).toBe(100)
    expect(run(10, 30000 / 1001, 300)).toBe(100)
  })

  it('restarts its schedule after a jump in timestamps', () => {
    const r = new RateLimiter(1)
    expect(r.accept(0)).toBe(true)
    expect(r.accept(500_000)).toBe(false)
    expect(r.accept(60_000_000)).toBe(true)
    expect(r.accept(60_500_000)).toBe(false)
    expect(r.accept(61_000_000)).toBe(true)
    expect(r.accept(1_000)).toBe(true)
  })
})
