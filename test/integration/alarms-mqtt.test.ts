import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { MqttAlarmInput, type AlarmSignal } from '@oko/alarms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestBroker } from '../helpers/brokers.js'
import { until } from '../helpers/events.js'

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
})
