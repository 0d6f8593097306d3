import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Frame, OkoEvent, Track } from '@oko/core'
import { RuleMetrics, deploymentMetrics, parseDeployment } from '@oko/deploy'
import type { RunStats } from '@oko/pipeline'
import { rulesStage, type RuleEvent } from '@oko/rules'
import { testContext } from '../helpers/stage.js'

const W = 200, H = 100
/** An rgb24 frame of grey road with a lamp at (170..180, 10..20) lit in `lamp` colour. */
function frameWith(seq: number, lamp: [number, number, number]): Frame {
  const data = new Uint8Array(W * H * 3).fill(60)
  for (let y = 10; y < 20; y++) for (let x = 170; x < 180; x++) data.set(lamp, (y * W + x) * 3)
  return { cameraId: 'x', seq, ptsUs: seq * 100_000, wallMs: 0, width: W, height: H, format: 'rgb24', planes: [data], strides: [W * 3] }
}
const car = (id: string, x: number, seq: number): Track => ({ id, label: 'car', box: { x: x - 10, y: 60, width: 20, height: 20 }, state: 'confirmed', score: 0.9, firstSeq: 0, lastSeenSeq: seq, velocity: { x: 0, y: 0 }, attributes: { plate: { value: 'AA1234BB', confidence: 0.9 } } })

describe('rulesStage', () => {
  it('reads the light from the lamp\'s pixels (with hysteresis) and reports the car that crosses on red, with its plate and a snapshot', async () => {
    const stage = rulesStage({ rules: [{ name: 'stop', type: 'stop-line', line: [{ x: 0.5, y: 0 }, { x: 0.5, y: 1 }], direction: 'a-b', light: { lamp: [{ x: 0.85, y: 0.1 }, { x: 0.9, y: 0.1 }, { x: 0.9, y: 0.2 }, { x: 0.85, y: 0.2 }] } }] })
    const events: OkoEvent[] = []
    const ctx = testContext('x', events)
    const red: [number, number, number] = [230, 30, 30], green: [number, number, number] = [30, 220, 90]
    for (let seq = 0; seq < 40; seq++) {
      // green, a one-frame red flicker at 5, red from 20; car A crosses at ~10 (green), car B at ~30 (red)
      const lamp = seq === 5 || seq >= 20 ? red : green
      const tracks = [seq < 18 ? car('A', 40 + seq * 10, seq) : undefined, seq >= 20 ? car('B', 40 + (seq - 20) * 10, seq) : undefined].filter((t): t is Track => !!t)
      await stage.process({ frame: frameWith(seq, lamp), detections: [], tracks }, ctx)
    }
    await stage.flush?.(ctx)
    const rules = events.filter((e): e is RuleEvent => e.type === 'rule')
    expect(rules.map((e) => (e.kind === 'light' ? `light:${e.state}` : `${e.kind}:${'trackId' in e ? e.trackId : ''}`))).toEqual(['light:green', 'light:red', 'red-light:B'])
    const violation = rules.find((e) => e.kind === 'red-light')!
    expect(violation).toMatchObject({ plate: 'AA1234BB', class: 'car', direction: 'a-b' })
    expect('snapshot' in violation && violation.snapshot!.jpeg[0]).toBe(0xff)
    await stage.close()
  })

  it('the README\'s intersection camera is a valid deployment', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('## Traffic and security rules'))
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!
    const config = parseDeployment(yaml, { baseDir: '/tmp' })
    expect(config.cameras[0]!.rules!.map((r) => r.type)).toEqual(['line', 'stop-line', 'zone', 'zone', 'zone', 'speed'])
    expect(config.cameras[0]!.timeZone).toBe('Europe/Kyiv')
    expect(config.order).toEqual(['motion', 'tracking', 'rules'])
  })

  it('rule events become Prometheus counters: per rule and kind, and line crossings per direction and class', async () => {
    const rules = new RuleMetrics()
    const base = { id: 'x', v: 1, timeMs: 0, type: 'rule', cameraId: 'crossing-7', seq: 1, ptsUs: 0, rule: 'northbound', trackId: 't', box: { x: 0, y: 0, width: 1, height: 1 } } as const
    for (const cls of ['car', 'car', 'bus']) rules.observe({ ...base, kind: 'line', direction: 'a-b', class: cls } as OkoEvent)
    rules.observe({ ...base, rule: 'bus-stop', kind: 'dwell', seconds: 130, class: 'car' } as OkoEvent)
    const stats = { cameras: {}, stages: {}, edges: {}, subscribers: [], events: 0 } as unknown as RunStats
    const text = await deploymentMetrics(() => stats, undefined, rules).metrics()
    expect(text).toContain('oko_line_crossings_total{camera="crossing-7",rule="northbound",direction="a-b",class="car"} 2')
    expect(text).toContain('oko_line_crossings_total{camera="crossing-7",rule="northbound",direction="a-b",class="bus"} 1')
    expect(text).toContain('oko_rule_events_total{camera="crossing-7",rule="bus-stop",kind="dwell"} 1')
  })
})
