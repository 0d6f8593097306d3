import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { OkoEvent } from '@oko/core'
import { connect } from 'node:net'
import { dc09Frame, signAlarmBody, type AlarmDesk } from '@oko/alarms'
import { parseDeployment, runDeployment } from '@oko/deploy'
import { streetScene, writeSampleClip } from '@oko/samples'
import { EventEncoder } from '@oko/sinks'
import { setFfmpegLogLevel } from '@oko/source'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/brokers.js'
import { bytesSink, until } from '../helpers/events.js'

let dir: string
let clip: string
const SECRET = 'column-secret-0123456789'

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oko-alarms-'))
  setFfmpegLogLevel('quiet')
  clip = join(dir, 'street.mp4')
  writeSampleClip(clip, streetScene({ width: 320, height: 180, fps: 10 }), { gopFrames: 10 })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const config = (port: number, extra = '') => [
  'cameras:', `  - { id: cam-a, url: "${clip}", loop: true, realtime: true }`, `  - { id: cam-b, url: "${clip}", loop: true, realtime: true }`,
  'outputs:', '  - file: events.jsonl',
  'alarms:', `  listen: "127.0.0.1:${port}"`,
  '  inputs:', `    - http: { name: columns, secret: ${SECRET} }`,
  '  points:', '    - { id: sos-17, place: "Square, north column", cameras: [cam-a, cam-b], escalateAfterSeconds: 1, heartbeatSeconds: 1.5 }', extra, '',
].join('\n')

describe('alarms in a deployment (oko run)', () => {
  it('a signed press on the HTTP input raises an alarm event in the outputs; its replay is refused; an operator acknowledges; no acknowledgement in time escalates; a silent point raises alarm-point', async () => {
    const port = await freePort()
    const parsed = parseDeployment(config(port), { baseDir: dir })
    const stop = new AbortController()
    const seen: OkoEvent[] = []
    let desk: AlarmDesk | undefined
    const running = runDeployment(parsed, { signal: stop.signal, stdout: bytesSink([]), onEvent: (e) => seen.push(e), onStart: (_d, _del, alarms) => void (desk = alarms?.desk) })
    try {
      await until(() => desk !== undefined && seen.some((e) => e.type === 'motion'), 20_000, 'the deployment to run')
      const body = JSON.stringify({ point: 'sos-17', state: 'active' })
      const sig = signAlarmBody(SECRET, Math.floor(Date.now() / 1000), body)
      const send = () => fetch(`http://127.0.0.1:${port}/alarms/columns`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-oko-signature': sig } })
      const res = await send()
      expect(res.status).toBe(202)
      const { alarmId } = (await res.json()) as { alarmId: string }
      expect((await send()).status).toBe(409)
      expect((await fetch(`http://127.0.0.1:${port}/alarms/../../etc/passwd`)).status).toBe(404)
      await until(() => seen.some((e) => e.type === 'alarm' && e.phase === 'escalated'), 5000, 'the escalation')
      desk!.acknowledge(alarmId, 'officer-7', 'on the phone')
      await until(() => seen.some((e) => e.type === 'alarm-point' && e.state === 'silent'), 5000, 'the heartbeat loss')
      await until(() => seen.some((e) => e.type === 'alarm' && e.phase === 'acknowledged'), 5000, 'the acknowledgement')
    } finally {
      stop.abort()
      await running.catch(() => undefined)
    }
    const written = EventEncoder.decode(readFileSync(join(dir, 'events.jsonl')), 'jsonl')
    const alarms = written.filter((e) => e.type === 'alarm')
    expect(alarms.map((e) => (e as { phase: string }).phase)).toEqual(['raised', 'escalated', 'acknowledged'])
    expect(alarms[0]).toMatchObject({ priority: 0, pointId: 'sos-17', cameras: ['cam-a', 'cam-b'], input: 'http:columns' })
    expect(alarms[2]).toMatchObject({ step: { by: 'officer-7', note: 'on the phone' } })
    expect(written.some((e) => e.type === 'alarm-point' && (e as { state: string }).state === 'silent')).toBe(true)
  })

  it('bad alarms: config is refused with the line and the fix', () => {
    const bad = (text: string) => () => parseDeployment(text, { baseDir: dir })
    expect(bad(config(1).replace('cameras: [cam-a, cam-b]', 'cameras: [cam-z]'))).toThrow(/alarms\.points\[0\]\.cameras\[0\] \(line 11\): no camera "cam-z" in this deployment; cameras: cam-a, cam-b/)
    expect(bad(config(1).replace(`secret: ${SECRET}`, 'secret: short'))).toThrow(/alarms\.inputs\[0\]\.http\.secret \(line 9\): expected at least 16 characters/)
    expect(bad(config(1).replace(`secret: ${SECRET}`, 'nothing: 1'))).toThrow(/alarms\.inputs\[0\]\.http.*unknown/i)
    expect(bad(config(1).replace(`  listen: "127.0.0.1:1"\n`, ''))).toThrow(/alarms\.listen( \(line \d+\))?: HTTP alarm inputs need `listen: 127.0.0.1:9470`/)
    expect(bad(config(1, '    - { id: sos-17 }'))).toThrow(/alarms\.points\[1\]\.id \(line 12\): duplicate alarm point id/)
  })

  it('an alarm panel\'s Contact ID over SIA DC-09 (TCP): a panic on the mapped zone raises the point\'s alarm, ACKed; its restore does not resolve it', async () => {
    const [port, panelPort] = [await freePort(), await freePort()]
    const text = config(port).replace('  points:', `    - contactId: { name: school-7, listen: "127.0.0.1:${panelPort}", points: [{ account: "4D2", zone: 15, point: sos-17 }] }\n  points:`)
    const stop = new AbortController()
    const seen: OkoEvent[] = []
    let desk: AlarmDesk | undefined
    const running = runDeployment(parseDeployment(text, { baseDir: dir }), { signal: stop.signal, stdout: bytesSink([]), onEvent: (e) => seen.push(e), onStart: (_d, _del, alarms) => void (desk = alarms?.desk) })
    try {
      await until(() => desk !== undefined, 20_000, 'the deployment to run')
      const panel = connect(panelPort, '127.0.0.1')
      let replies = ''
      panel.on('data', (c: Buffer) => void (replies += c.toString('latin1')))
      panel.write(dc09Frame('"ADM-CID"0042R0L0#4D2[#4D2|1120 01 015]'))
      await until(() => seen.some((e) => e.type === 'alarm' && e.phase === 'raised'), 5000, 'the alarm')
      panel.write(dc09Frame('"ADM-CID"0043R0L0#4D2[#4D2|3120 01 015]'))
      await until(() => replies.split('\r').length === 3, 5000, 'two answers')
      panel.destroy()
      expect(replies).toMatch(/^\n[0-9A-F]{4}0013"ACK"0042R0L0#4D2\[\]\r\n[0-9A-F]{4}0013"ACK"0043R0L0#4D2\[\]\r$/)
      const alarm = seen.find((e) => e.type === 'alarm')!
      expect(alarm).toMatchObject({ phase: 'raised', pointId: 'sos-17', input: 'contact-id:school-7', cameras: ['cam-a', 'cam-b'] })
      expect(desk!.alarms().find((a) => a.alarmId === (alarm as { alarmId: string }).alarmId)?.phase).toBe('raised')
    } finally {
      stop.abort()
      await running.catch(() => undefined)
    }
  })

  it('bad contactId inputs are refused with the line and the fix', () => {
    const bad = (input: string) => () => parseDeployment(config(1).replace('  points:', `    - contactId: ${input}\n  points:`), { baseDir: dir })
    expect(bad('{ points: [{ account: "1234", zone: 1, point: sos-17 }] }')).toThrow(/alarms\.inputs\[1\]\.contactId\.listen.*127\.0\.0\.1:9471/)
    expect(bad('{ listen: 9471, points: [{ account: "12x", zone: 1, point: sos-17 }] }')).toThrow(/contactId\.points\[0\]\.account.*hex digits/)
    expect(bad('{ listen: 9471, points: [{ account: "1234", zone: 1000, point: sos-17 }] }')).toThrow(/contactId\.points\[0\]\.zone/)
    expect(bad('{ listen: 9471, points: [{ account: "1234", zone: 1, point: sos-99 }] }')).toThrow(/contactId\.points\[0\]\.point.*no alarm point "sos-99"/)
  })
})
