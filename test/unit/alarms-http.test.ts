import { createServer, type Server } from 'node:http'
import { HttpAlarmInput, SignatureGuard, parseSignal, signAlarmBody, type AlarmSignal } from '@oko/alarms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

describe('alarm signatures', () => {
  it('accepts a signature once, within its time window; refuses bad, stale, malformed and replayed ones', () => {
    let now = 1_700_000_000_000
    const guard = new SignatureGuard('s3cret', { toleranceS: 300, now: () => now })
    const body = '{"point":"sos-1","state":"active"}'
    const t = Math.floor(now / 1000)
    const sig = signAlarmBody('s3cret', t, body)
    expect(guard.verify(undefined, body)).toBe('missing')
    expect(guard.verify('t=1,v1=zz', body)).toBe('malformed')
    expect(guard.verify(signAlarmBody('wrong', t, body), body)).toBe('bad')
    expect(guard.verify(sig, body.replace('active', 'inactive'))).toBe('bad')
    expect(guard.verify(signAlarmBody('s3cret', t - 301, body), body)).toBe('stale')
    expect(guard.verify(signAlarmBody('s3cret', t + 301, body), body)).toBe('stale')
    expect(guard.verify(sig, body)).toBe('ok')
    expect(guard.verify(sig, body)).toBe('replayed')
    now += 200_000
    expect(guard.verify(sig, body)).toBe('replayed')
    now += 200_000 // past the window: stale (never accepted again)
    expect(guard.verify(sig, body)).toBe('stale')
  })

  it('the signal shape: point, state, timeMs; anything else is refused with the field named', () => {
    expect(parseSignal({ point: 'sos-1', state: 'active', timeMs: 5 })).toEqual({ point: 'sos-1', state: 'active', timeMs: 5 })
    expect(() => parseSignal([])).toThrow(/expected a JSON object/)
    expect(() => parseSignal({ point: '../x y', state: 'active' })).toThrow(/point:/)
    expect(() => parseSignal({ point: 'a', state: 'pressed' })).toThrow(/state: expected one of active, inactive, heartbeat, red, amber, green, on, off/)
    expect(() => parseSignal({ point: 'a', state: 'active', timeMs: -1 })).toThrow(/timeMs/)
    expect(() => parseSignal({ point: 'a', state: 'active', extra: 1 })).toThrow(/unknown field "extra"/)
  })
})

describe('HTTP alarm input (a real server on 127.0.0.1)', () => {
  let server: Server
  let url: string
  const signals: AlarmSignal[] = []
  const signed = new HttpAlarmInput({ name: 'columns', secret: 'k3y', maxBodyBytes: 1024 })
  const tokened = new HttpAlarmInput({ name: 'panel', token: 'tok-123' })
  const deliver = (s: AlarmSignal) => {
    if (s.point === 'unknown') throw new (class extends Error {})('x')
    signals.push(s)
    return { accepted: 'raised' }
  }

  beforeAll(async () => {
    signed.start(deliver)
    tokened.start(deliver)
    server = createServer((req, res) => (req.url === '/signed' ? signed : tokened).handle(req, res))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })

  it('a signed signal is accepted once; its replay gets 409; bad signatures 401', async () => {
    const body = JSON.stringify({ point: 'sos-1', state: 'active' })
    const sig = signAlarmBody('k3y', Math.floor(Date.now() / 1000), body)
    const ok = await post('/signed', body, { 'x-oko-signature': sig })
    expect(ok.status).toBe(202)
    expect(await ok.json()).toEqual({ ok: true, accepted: 'raised' })
    expect((await post('/signed', body, { 'x-oko-signature': sig })).status).toBe(409)
    expect((await post('/signed', body, { 'x-oko-signature': signAlarmBody('nope', Math.floor(Date.now() / 1000), body) })).status).toBe(401)
    expect((await post('/signed', body)).status).toBe(401)
    expect((await post('/signed', body, { authorization: 'Bearer k3y' })).status).toBe(401)
    expect(signals).toEqual([{ point: 'sos-1', state: 'active' }])
  })

  it('hostile input: oversized body 413, bad JSON 400, wrong content type 415, GET 405, bad token 401; the server stays up', async () => {
    const big = JSON.stringify({ point: 'sos-1', state: 'active', pad: 'x'.repeat(5000) })
    expect((await post('/signed', big, { 'x-oko-signature': signAlarmBody('k3y', Math.floor(Date.now() / 1000), big) })).status).toBe(413)
    const junk = '{"point": "sos-1", '
    expect((await post('/signed', junk, { 'x-oko-signature': signAlarmBody('k3y', Math.floor(Date.now() / 1000), junk) })).status).toBe(400)
    expect((await post('/panel', '{"point":"sos-1","state":"active"}', { 'content-type': 'text/plain', authorization: 'Bearer tok-123' })).status).toBe(415)
    expect((await fetch(`${url}/panel`)).status).toBe(405)
    expect((await post('/panel', '{"point":"sos-1","state":"active"}', { authorization: 'Bearer tok-12' })).status).toBe(401)
    const shape = await post('/panel', '{"point":"sos-1","state":"pressed"}', { authorization: 'Bearer tok-123' })
    expect(shape.status).toBe(400)
    expect(((await shape.json()) as { error: string }).error).toMatch(/state: expected one of/)
    const ok = await post('/panel', '{"point":"sos-2","state":"inactive"}', { authorization: 'Bearer tok-123' })
    expect(ok.status).toBe(202)
    expect(signals.at(-1)).toEqual({ point: 'sos-2', state: 'inactive' })
  })

  it('needs a secret or a token', () => {
    expect(() => new HttpAlarmInput({ name: 'x' })).toThrow(/give a secret .* or a token/)
  })
})
