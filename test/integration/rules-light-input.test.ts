import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Frame, FrameSource, OkoEvent } from '@oko/core'
import mqtt from 'mqtt'
import { lightStateOf, parseDeployment, runDeployment, type DeploymentAlarms } from '@oko/deploy'
import type { RuleEvent } from '@oko/rules'
import { streetScene, trafficScene, writeSampleClip } from '@oko/samples'
import { Source, setFfmpegLogLevel } from '@oko/source'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestBroker, freePort } from '../helpers/brokers.js'
import { bytesSink, until } from '../helpers/events.js'

// A stop line whose light comes from outside: a traffic-light controller posts its state to the
// deployment's HTTP alarm input. The generated road (decoded by node-av) has an eastbound car
// before the light turns red and one after; the source is held at two frames so that the posts
// land at known stream times: green at frame 1, red at the scene's `redFromFrame`.
const traffic = trafficScene()
const TOKEN = 'controller-token-0123456789'
const POINT = 'junction-7/light'
const pt = (p: readonly number[]) => `[${p.join(', ')}]`
const line = (l: readonly (readonly number[])[]) => `[${l.map(pt).join(', ')}]`

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oko-light-input-'))
  setFfmpegLogLevel('quiet')
  writeSampleClip(join(dir, 'road.mp4'), traffic.scene)
})
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

const config = (port: number) => [
  'stages: [motion, { tracking: { fromMotion: true, snapshots: false } }, { rules: { snapshots: false } }]',
  'cameras:',
  '  - id: junction',
  '    url: road.mp4',
  '    rules:',
  `      - { name: count, type: line, line: ${line(traffic.countLine)} }`,
  `      - { name: stop, type: stop-line, line: ${line(traffic.stopLine)}, direction: a-b, light: { input: ${POINT} } }`,
  'alarms:',
  `  listen: "127.0.0.1:${port}"`,
  '  inputs:',
  `    - http: { name: lights, token: ${TOKEN} }`,
  '  points:',
  '    - { id: sos-1, cameras: [junction] }',
  '',
].join('\n')

/** A gate in front of a frame: `reached` when the source gets there, the frame goes on once `open()` is called. */
function gate() {
  let reach!: () => void, open!: () => void
  const reached = new Promise<void>((r) => (reach = r))
  const opened = new Promise<void>((r) => (open = r))
  return { reached, reach, opened, open }
}

/** The real source, held before the frames that have a gate. */
function gated(source: FrameSource, gates: ReadonlyMap<number, ReturnType<typeof gate>>): FrameSource {
  return {
    cameraId: source.cameraId,
    live: source.live,
    async *frames(options): AsyncGenerator<Frame> {
      for await (const frame of source.frames(options)) {
        const g = gates.get(frame.seq)
        if (g) {
          g.reach()
          await g.opened
        }
        yield frame
      }
    },
    close: () => source.close(),
    [Symbol.asyncDispose]: () => source.close(),
  }
}

describe('a stop line\'s light from an HTTP alarm input (oko run)', () => {
  it('maps light signals onto the stop line\'s states', () => {
    expect((['red', 'amber', 'green', 'on', 'off', 'active', 'inactive', 'heartbeat'] as const).map(lightStateOf)).toEqual(['red', 'amber', 'green', 'red', 'green', 'red', 'green', undefined])
  })

  it('the posted states set the light: exactly one violation, for the car crossing after red was posted', async () => {
    const port = await freePort()
    const parsed = parseDeployment(config(port), { baseDir: dir })
    const gates = new Map([[1, gate()], [traffic.redFromFrame, gate()]])
    const seen: OkoEvent[] = []
    let alarms: DeploymentAlarms | undefined
    const post = (body: object) => fetch(`http://127.0.0.1:${port}/alarms/lights`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } })
    const running = runDeployment(parsed, {
      stdout: bytesSink([]),
      openSource: async (camera) => gated(await Source.open(camera.url, { id: camera.id }), gates),
      onEvent: (e) => seen.push(e),
      onStart: (_d, _del, a) => void (alarms = a),
    })
    try {
      await until(() => alarms !== undefined, 20_000, 'the alarm inputs')
      await gates.get(1)!.reached
      const green = await post({ point: POINT, state: 'green' })
      expect(green.status).toBe(202)
      expect(await green.json()).toEqual({ ok: true, accepted: 'light', state: 'green', rules: 1 })
      // a light's state on a call point, and an unknown point, are refused
      expect((await post({ point: 'sos-1', state: 'red' })).status).toBe(400)
      expect((await post({ point: 'nowhere', state: 'red' })).status).toBe(404)
      expect((await post({ point: POINT, state: 'blue' })).status).toBe(400)
      gates.get(1)!.open()
      await gates.get(traffic.redFromFrame)!.reached
      const red = await post({ point: POINT, state: 'on' })
      expect(await red.json()).toEqual({ ok: true, accepted: 'light', state: 'red', rules: 1 })
      gates.get(traffic.redFromFrame)!.open()
    } finally {
      for (const g of gates.values()) g.open()
      await running
    }
    expect(seen.filter((e) => e.type === 'error')).toEqual([])
    const rules = seen.filter((e): e is RuleEvent => e.type === 'rule')
    const lights = rules.flatMap((e) => (e.kind === 'light' ? [e] : []))
    expect(lights.map((e) => [e.state, e.source])).toEqual([['green', 'input'], ['red', 'input']])
    const crossings = rules.flatMap((e) => (e.kind === 'line' ? [e] : []))
    expect(crossings.map((e) => e.direction)).toEqual(['a-b', 'b-a', 'a-b'])
    // a posted state applies from the next frame the rules see (frames already queued before the held one included)
    expect(lights[1]!.seq).toBeGreaterThan(crossings[0]!.seq)
    expect(lights[1]!.seq).toBeLessThan(crossings[2]!.seq)
    const violations = rules.flatMap((e) => (e.kind === 'red-light' ? [e] : []))
    expect(violations.map((e) => e.trackId)).toEqual([crossings[2]!.trackId])
    expect(violations[0]!.light).toBe('red')
    expect(seen.some((e) => e.type === 'alarm')).toBe(false)
    console.log(`rules-light-input: red posted at frame ${traffic.redFromFrame}, applied at frame ${lights[1]!.seq}; violation at frame ${violations[0]!.seq}, ${violations[0]!.redForSeconds.toFixed(1)} s into red`)
  })

  it('bad light inputs are refused at load with the line and the fix', () => {
    const bad = (text: string) => () => parseDeployment(text, { baseDir: dir })
    const noAlarms = config(1).split('\nalarms:')[0]!
    expect(bad(noAlarms)).toThrow(/cameras\[0\]\.rules\[1\]\.light\.input \(line 7\): a light set from outside needs an alarm input/)
    expect(bad(config(1).replace('id: sos-1', `id: ${POINT}`))).toThrow(/alarms\.points\[0\]\.id \(line 13\): "junction-7\/light" is also the light input of a stop line \(cameras\[0\]\.rules\[1\]\.light\.input\)/)
    expect(bad(config(1).replace(`input: ${POINT}`, 'input: "no spaces allowed"'))).toThrow(/rules\[1\]\.light\.input \(line 7\): expected the point id/)
    // a deployment whose alarm inputs only carry lights needs no call point
    expect(parseDeployment(config(1).replace('  points:\n    - { id: sos-1, cameras: [junction] }\n', ''), { baseDir: dir }).alarms?.lights).toEqual([POINT])
  })
})

describe('a stop line\'s light from an MQTT alarm input (a real mosquitto on 127.0.0.1)', () => {
  it('a state published on the topic sets the light (a `light` event from the input), and raises no alarm', async () => {
    const broker = await TestBroker.mosquitto(dir)
    if (!broker) return void console.warn('rules-light-input: MQTT skipped, mosquitto not installed')
    const pub = await mqtt.connectAsync(broker.url)
    const stop = new AbortController()
    const seen: OkoEvent[] = []
    let running: Promise<unknown> | undefined
    try {
      writeSampleClip(join(dir, 'street.mp4'), streetScene({ width: 160, height: 90, fps: 10 }), { gopFrames: 10 })
      const parsed = parseDeployment([
        'stages: [motion, { tracking: { fromMotion: true, snapshots: false } }, { rules: { snapshots: false } }]',
        'cameras:',
        '  - { id: street, url: street.mp4, loop: true, realtime: true, rules: [{ name: stop, type: stop-line, line: [[0.5, 0], [0.5, 1]], light: { input: signal-3 } }] }',
        'alarms:',
        `  inputs: [{ mqtt: { name: lights, url: "${broker.url}", topic: "lights/+" } }]`,
        '',
      ].join('\n'), { baseDir: dir })
      running = runDeployment(parsed, { signal: stop.signal, stdout: bytesSink([]), onEvent: (e) => seen.push(e) })
      const red = () => seen.some((e) => e.type === 'rule' && e.kind === 'light' && e.state === 'red' && e.source === 'input')
      // the input subscribes as the deployment starts: publish until the light turns
      for (let i = 0; i < 50 && !red(); i++) {
        await pub.publishAsync('lights/3', JSON.stringify({ point: 'signal-3', state: 'red' }), { qos: 1 })
        await new Promise((r) => setTimeout(r, 200))
      }
      expect(red()).toBe(true)
      expect(seen.some((e) => e.type === 'alarm')).toBe(false)
    } finally {
      await pub.endAsync()
      stop.abort()
      await running?.catch(() => undefined)
      await broker.stop()
    }
  })
})
