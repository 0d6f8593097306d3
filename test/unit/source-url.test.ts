import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkStreamUrl, defaultCameraId, redactUrl, resolveSourceOptions, urlParts } from '@oko/source'
import { inUrl, passwords } from '../helpers/passwords.js'

describe('camera URLs are read the way FFmpeg reads them', () => {
  it('the userinfo ends at the last @ before the host, so a password with @ and : stays hidden', () => {
    const url = 'rtsp://admin:Xy@Secret9@10.0.0.5/cam'
    expect(redactUrl(url)).toBe('rtsp://admin:***@10.0.0.5/cam')
    expect(defaultCameraId(url)).toBe('10.0.0.5/cam')
    expect(resolveSourceOptions(url).id).toBe('10.0.0.5/cam')
    expect(urlParts(url)).toEqual({ scheme: 'rtsp', userinfo: 'admin:Xy@Secret9', host: '10.0.0.5', rest: '/cam' })
    expect(redactUrl('rtsp://admin:s3cr:et@10.0.0.5:554/ch1?tcp')).toBe('rtsp://admin:***@10.0.0.5:554/ch1?tcp')
  })

  it('hides a password with a raw / ? or # too (FFmpeg cannot use it, but it must never be shown)', () => {
    expect(redactUrl('rtsp://admin:pa/ss@10.0.0.5/cam')).toBe('rtsp://admin:***@10.0.0.5/cam')
    expect(redactUrl('rtsp://admin:pa?s#s@10.0.0.5/cam')).toBe('rtsp://admin:***@10.0.0.5/cam')
    expect(defaultCameraId('rtsp://admin:pa/ss@10.0.0.5/cam')).toBe('10.0.0.5/cam')
  })

  it('hides credentials in the query of HTTP cameras', () => {
    expect(redactUrl('http://10.0.0.5/videostream.cgi?user=admin&pwd=12345&rate=0')).toBe('http://10.0.0.5/videostream.cgi?user=admin&pwd=***&rate=0')
    expect(defaultCameraId('http://10.0.0.5/videostream.cgi?user=admin&pwd=12345')).toBe('10.0.0.5/videostream.cgi')
  })

  it('no generated password appears in the redacted URL or the default camera id', () => {
    fc.assert(fc.property(passwords, fc.constantFrom('admin', 'user.name', ''), (password, user) => {
      for (const written of new Set([inUrl(password), encodeURIComponent(password)])) {
        const url = `rtsp://${user}:${written}@10.0.0.5:554/Streaming/Channels/102`
        const shown = [redactUrl(url), defaultCameraId(url), resolveSourceOptions(url).id].join(' ')
        expect(shown).not.toContain(password)
        expect(shown).not.toContain(written)
        expect(redactUrl(url)).toBe(`rtsp://${user}:***@10.0.0.5:554/Streaming/Channels/102`)
      }
    }), { numRuns: 300 })
  })

  it('refuses what can never connect, without repeating the URL', () => {
    expect(() => checkStreamUrl('url', 'rtsp:///cam')).toThrow('url: the URL has no host after rtsp://; write rtsp://host[:port]/path')
    expect(() => checkStreamUrl('url', 'rtsp://admin:pw@/cam')).toThrow(/no host/)
    expect(() => checkStreamUrl('url', 'rtps://10.0.0.5/cam')).toThrow(/^url: unknown scheme "rtps:\/\/"; expected one of rtsp, rtsps, /)
    expect(() => checkStreamUrl('url', 'rtsp://10.0.0.5:99999/cam')).toThrow('url: the port after the host must be a number in [1, 65535]')
    expect(() => checkStreamUrl('url', 'rtsp://10.0.0.5/cam\r\nX-Injected: 1')).toThrow(/control character/)
    expect(() => resolveSourceOptions('rtsp://admin:secret@/cam')).toThrow(/^url: the URL has no host/)
    expect(() => resolveSourceOptions('a.mp4', { main: 'rtsp:///main' })).toThrow(/^options.main.url: the URL has no host/)
    for (const ok of ['udp://@:1234', 'srt://:9000?mode=listener', 'rtsp://[::1]:554/cam', '/videos/a.mp4', 'file:///videos/a.mp4', 'clips/a b.mp4']) expect(checkStreamUrl('url', ok)).toBe(ok)
    expect(() => checkStreamUrl('url', 'rtsp:///s3cret')).toThrow(expect.objectContaining({ message: expect.not.stringContaining('s3cret') }))
  })
})
