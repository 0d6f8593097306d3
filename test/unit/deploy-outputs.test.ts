import { parseDeployment } from '@oko/deploy'
import { describe, expect, it } from 'vitest'

const cam = 'cameras: [{ id: a, url: a.mp4 }]\n'
const parse = (text: string) => parseDeployment(cam + text, { baseDir: '/cfg' })

describe('outputs:, outbox:, metrics:, evidence: in a deployment file', () => {
  it('reads a list of outputs with their filters; output: alone still works', () => {
    const c = parse([
      'name: north',
      'outputs:',
      '  - stdout',
      '  - file: events.msgpack',
      '  - mqtt: { url: "mqtt://10.0.0.2:1883", prefix: city, types: [plate], personalData: false }',
      '  - webhook: { url: "https://x.example/hook", secret: s, cameras: [a], watchlistOnly: true }',
      '  - nats: { servers: ["nats://10.0.0.3:4222", "nats://10.0.0.4:4222"] }',
      '  - mqtt: { url: "mqtt://10.0.0.9" }',
      'metrics: { listen: "0.0.0.0:9464" }', '',
    ].join('\n'))
    expect(c.delivery.name).toBe('north')
    expect(c.delivery.outputs.map((o) => [o.kind, o.name])).toEqual([['stdout', 'stdout'], ['file', 'file'], ['mqtt', 'mqtt'], ['webhook', 'webhook'], ['nats', 'nats'], ['mqtt', 'mqtt-2']])
    expect(c.delivery.outputs[1]).toMatchObject({ path: '/cfg/events.msgpack', format: 'msgpack' })
    expect(c.delivery.outputs[2]).toMatchObject({ prefix: 'city', filter: { types: ['plate'], personalData: false } })
    expect(c.delivery.outputs[3]).toMatchObject({ secret: 's', filter: { cameras: ['a'], watchlistOnly: true } })
    expect(c.delivery.outbox).toMatchObject({ path: '/cfg/oko-outbox.sqlite', maxBytes: 256 * 1024 * 1024, full: 'drop-oldest' })
    expect(c.delivery.metrics).toEqual({ host: '0.0.0.0', port: 9464 })
    expect(parse('output: out.jsonl\n').delivery.outputs).toEqual([{ kind: 'file', name: 'file', path: '/cfg/out.jsonl', format: 'jsonl', filter: {} }])
  })

  it('says what is wrong, on which line, and how to fix it', () => {
    expect(() => parse('outputs:\n  - kafka: { url: x }\n')).toThrow('outputs[0] (line 3): expected one of { stdout: … }, { file: … }, { webhook: … }, { mqtt: … }, { nats: … } or "stdout", received { kafka: … }')
    expect(() => parse('outputs:\n  - mqtt: { url: "http://x" }\n')).toThrow('outputs[0].mqtt.url (line 3): expected a mqtt:// or mqtts:// or tcp:// or ssl:// or ws:// or wss:// URL, received http://')
    expect(() => parse('outputs:\n  - webhook: { url: "https://x", retries: 3 }\n')).toThrow('outputs[0].webhook')
    expect(() => parse('output: a.jsonl\noutputs: [stdout]\n')).toThrow('give either `output:` (one) or `outputs:` (a list), not both')
    expect(() => parse('metrics: { listen: "localhost" }\n')).toThrow('metrics.listen (line 2): expected host:port such as 127.0.0.1:9464')
    expect(() => parse('outbox: { full: block }\n')).toThrow('outbox.full')
    expect(() => parse('evidence: { path: ev }\n')).toThrow('give `listen: 127.0.0.1:9465` (oko serves the files) or `url:`')
  })
})
