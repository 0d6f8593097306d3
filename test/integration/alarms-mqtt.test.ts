import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { MqttAlarmInput, type AlarmSignal } from '@oko/alarms'
import type { OkoEvent } from '@oko/core'
import { parseDeployment, runDeployment } from '@oko/deploy'
import { streetScene, writeSampleClip } from '@oko/samples'
import { setFfmpegLogLevel } from '@oko/source'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestBroker } from '../helpers/brokers.js'
import { bytesSink, until } from '../helpers/events.js'

let dir: string
let broker: TestBroker | undefined

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oko-alarms-mqtt-'))
  broker = await TestBroker.mosquitto(dir)
})
afterAll(async () => {
  await broker?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('MQTT alarm input (a real mosquitto on 127.0.0.1)', () => {
  it('signals on the topic reach the desk; junk messages are counted, never fatal', async () => {
    if (!broker) return void console.warn('alarms-mqtt: skipped, mosquitto not installed')
    const input = new MqttAlarmInput({ name: 'panel', url: broker.url, topic: 'sos/+/signal' })
    const got: [AlarmSignal, string][] = []
    await input.start((s, name) => got.push([s, name]))
    const pub = await mqtt.connectAsync(broker.url)
    try {
      await pub.publishAsync('sos/17/signal', 'not json', { qos: 1 })
      await pub.publishAsync('sos/17/signal', JSON.stringify({ point: 'sos-17', state: 'pressed' }), { qos: 1 })
      await pub.publishAsync('sos/17/signal', JSON.stringify({ point: 'sos-17', state: 'active', timeMs: 5 }), { qos: 1 })
      await until(() => got.length === 1, 5000, 'the signal')
      expect(got).toEqual([[{ point: 'sos-17', state: 'active', timeMs: 5 }, 'mqtt:panel']])
      expect(input.rejected).toBe(2)
    } finally {
      await pub.endAsync()
      await input.close()
    }
  })

  it('alarms.inputs: - mqtt: { url, topic } in a deployment: a press on the topic raises an alarm named by its input', async () => {
    if (!broker) return void console.warn('alarms-mqtt: skipped, mosquitto not installed')
    setFfmpegLogLevel('quiet')
    const clip = join(dir, 'street.mp4')
    writeSampleClip(clip, streetScene({ width: 160, height: 90, fps: 10 }), { gopFrames: 10 })
    const config = parseDeployment([
      'cameras:', `  - { id: cam-a, url: "${clip}", loop: true, realtime: true }`, 'outputs:', '  - file: events.jsonl',
      'alarms:', '  inputs:', `    - mqtt: { name: panel, url: "${broker.url}", topic: "sos/+/signal" }`,
      '  points:', '    - { id: sos-17, place: "School gate", cameras: [cam-a] }', '',
    ].join('\n'), { baseDir: dir })
    expect(config.alarms!.inputs).toEqual([{ kind: 'mqtt', name: 'panel', url: broker.url, topic: 'sos/+/signal' }])
    const stop = new AbortController()
    const seen: OkoEvent[] = []
    const running = runDeployment(config, { signal: stop.signal, stdout: bytesSink([]), onEvent: (e) => seen.push(e) })
    const pub = await mqtt.connectAsync(broker.url)
    try {
      await until(() => seen.some((e) => e.type === 'motion'), 20_000, 'the deployment to run')
      // the input subscribes as the deployment starts: press until the alarm is raised (later presses are counted on it)
      for (let i = 0; i < 50 && !seen.some((e) => e.type === 'alarm'); i++) {
        await pub.publishAsync('sos/17/signal', JSON.stringify({ point: 'sos-17', state: 'active' }), { qos: 1 })
        await new Promise((r) => setTimeout(r, 200))
      }
      expect(seen.find((e) => e.type === 'alarm')).toMatchObject({ phase: 'raised', pointId: 'sos-17', input: 'mqtt:panel', cameras: ['cam-a'] })
    } finally {
      await pub.endAsync()
      stop.abort()
      await running
    }
  })

  it('bad mqtt inputs are refused with the line and the fix', () => {
    const bad = (input: string) => () => parseDeployment(['cameras:', '  - { id: cam-a, url: "a.mp4" }', 'alarms:', '  inputs:', `    - ${input}`, '  points:', '    - { id: sos-1, cameras: [cam-a] }', ''].join('\n'), { baseDir: dir })
    expect(bad('mqtt: { url: "http://x", topic: a }')).toThrow(/alarms\.inputs\[0\]\.mqtt\.url \(line 5\): expected the broker, mqtt:\/\/host:1883/)
    expect(bad('mqtt: { url: "mqtt://127.0.0.1:1883" }')).toThrow(/alarms\.inputs\[0\]\.mqtt\.topic/)
    expect(bad('amqp: { url: x }')).toThrow(/expected \{ http: \{ name, secret \| token \} \}, \{ mqtt: \{ name, url, topic \} \} or \{ contactId: \{ name, listen, points \} \}/)
  })
})
