import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OkoEvent } from '@oko/core'
import type { RuleEvent } from '@oko/rules'
import { crowdScene, trafficScene, writeSampleClip } from '@oko/samples'
import { EventEncoder } from '@oko/sinks'
import { setFfmpegLogLevel } from '@oko/source'
import { oko } from '../helpers/cli.js'

// A generated road with its truth, encoded to H.264; `oko run` decodes it, gates it with motion,
// tracks what moved and applies the camera's rules from the deployment file.
const traffic = trafficScene()
const pt = (p: readonly number[]) => `[${p.join(', ')}]`
const line = (l: readonly (readonly number[])[]) => `[${l.map(pt).join(', ')}]`

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oko-rules-'))
  setFfmpegLogLevel('quiet')
  writeSampleClip(join(dir, 'road.mp4'), traffic.scene)
  writeFileSync(join(dir, 'deploy.yaml'), [
    'stages:',
    '  - motion',
    '  - tracking: { fromMotion: true, snapshots: false }',
    '  - rules: { snapshots: false }',
    'cameras:',
    '  - id: road',
    '    url: road.mp4',
    '    timeZone: Europe/Kyiv',
    '    rules:',
    `      - { name: count, type: line, line: ${line(traffic.countLine)}, countEveryMinutes: 60 }`,
    `      - { name: radar, type: speed, lines: [${traffic.speedLines.map(line).join(', ')}], distanceMetres: ${traffic.speedLinesMetres}, limitKmh: 60 }`,
    `      - { name: no-parking, type: zone, polygon: ${line(traffic.noParking)}, dwellSeconds: 5, events: [] }`,
    `      - { name: stop, type: stop-line, line: ${line(traffic.stopLine)}, direction: a-b, light: { lamp: ${line(traffic.lamp)} } }`,
    '      - { name: one-way, type: zone, polygon: [[0, 0.56], [1, 0.56], [1, 1], [0, 1]], direction: [1, 0], events: [] }',
    'output: events.jsonl',
    '',
  ].join('\n'))
})
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

describe('rules on a generated road through oko run', () => {
  it('a square filling with walkers: one occupancy event over the limit, at the truth\'s peak, and its end', async () => {
    const crowd = crowdScene()
    writeSampleClip(join(dir, 'square.mp4'), crowd.scene)
    writeFileSync(join(dir, 'square.yaml'), [
      'stages: [motion, { tracking: { fromMotion: true, snapshots: false } }, { rules: { snapshots: false } }]',
      'cameras:',
      '  - url: square.mp4',
      '    rules:',
      `      - { name: square, type: zone, polygon: ${line(crowd.square)}, maxOccupancy: ${crowd.peak - 1}, events: [] }`,
      'output: square.jsonl',
    ].join('\n'))
    const r = await oko('run', join(dir, 'square.yaml'), '--quiet')
    expect(r.code, r.stderr).toBe(0)
    const rules = EventEncoder.decode(readFileSync(join(dir, 'square.jsonl')), 'jsonl').filter((e): e is RuleEvent => e.type === 'rule')
    const occupancy = rules.flatMap((e) => (e.kind === 'occupancy' ? [e] : []))
    expect(occupancy.map((e) => e.active)).toEqual([true, false])
    expect(occupancy[0]!.count).toBe(crowd.peak)
    expect(occupancy[0]!.seq).toBeGreaterThanOrEqual(crowd.peakFrames[0])
    expect(occupancy[0]!.seq).toBeLessThanOrEqual(crowd.peakFrames[1])
    console.log(`rules-traffic: square crowded from frame ${occupancy[0]!.seq} (truth ${crowd.peakFrames.join('–')}) to ${occupancy[1]!.seq}`)
  })

  it('counts every car once per direction, measures speed within 5% of the truth, and fires dwell only for the car over the limit', async () => {
    const r = await oko('run', join(dir, 'deploy.yaml'), '--quiet')
    expect(r.code, r.stderr).toBe(0)
    const events: OkoEvent[] = EventEncoder.decode(readFileSync(join(dir, 'events.jsonl')), 'jsonl')
    expect(events.filter((e) => e.type === 'error')).toEqual([])
    const rules = events.filter((e): e is RuleEvent => e.type === 'rule')
    if (process.env.OKO_DEBUG_RULES) console.log(rules.map((e) => JSON.stringify({ ...e, id: undefined, v: undefined, timeMs: undefined })).join('\n'))
    const passing = traffic.cars.filter((c) => c.heading !== 'parked')
    const crossings = rules.filter((e) => e.kind === 'line')
    expect(crossings.map((e) => e.kind === 'line' && e.direction)).toEqual(passing.map((c) => (c.heading === 'east' ? 'a-b' : 'b-a')))
    const count = rules.find((e) => e.kind === 'count')
    expect(count).toMatchObject({ totals: { 'a-b': { object: 2 }, 'b-a': { object: 1 } } })
    const speeds = rules.flatMap((e) => (e.kind === 'speed' ? [e] : []))
    expect(speeds.length).toBe(passing.length)
    speeds.forEach((s, i) => {
      const truth = passing[i]!.kmh
      expect(Math.abs(s.kmh - truth) / truth, `${passing[i]!.id}: measured ${s.kmh.toFixed(1)} km/h, truth ${truth.toFixed(1)}`).toBeLessThan(0.05)
      expect(s.speeding).toBe(truth > 60)
    })
    const dwell = rules.filter((e) => e.kind === 'dwell')
    expect(dwell.length).toBe(traffic.cars.filter((c) => c.zoneSeconds > 5).length)
    // the light turns red after the first eastbound car passed: the second one is the one violation
    const lights = rules.filter((e) => e.kind === 'light').map((e) => e.kind === 'light' && `${e.state}@${e.seq}`)
    expect(lights.map((l) => String(l).split('@')[0])).toEqual(['green', 'red'])
    const redAt = Number(String(lights[1]).split('@')[1])
    expect(redAt).toBeGreaterThanOrEqual(traffic.redFromFrame)
    const violations = rules.filter((e) => e.kind === 'red-light')
    expect(violations.map((e) => 'trackId' in e && e.trackId)).toEqual([crossings[2]!.kind === 'line' && crossings[2]!.trackId])
    const wrongWay = rules.filter((e) => e.kind === 'wrong-way')
    expect(wrongWay.map((e) => 'trackId' in e && e.trackId)).toEqual([crossings[1]!.kind === 'line' && crossings[1]!.trackId])
    console.log(`rules-traffic: light red from frame ${redAt} (drawn from ${traffic.redFromFrame}); speeds ${speeds.map((s, i) => `${s.kmh.toFixed(2)}/${passing[i]!.kmh.toFixed(2)}`).join(', ')} km/h (measured/truth); dwell ${dwell.map((e) => e.kind === 'dwell' && e.seconds.toFixed(1)).join(', ')} s`)
  })

  it('with evidence clips for rule events: each violation references its clip, and the clip is written', async () => {
    const yaml = readFileSync(join(dir, 'deploy.yaml'), 'utf8').replace('output: events.jsonl', 'output: clips.jsonl')
    writeFileSync(join(dir, 'clips.yaml'), `${yaml}evidence: { path: evidence, url: "http://10.0.0.4:9465/evidence", clips: { types: [rule], preSeconds: 1, postSeconds: 1 } }\n`)
    const r = await oko('run', join(dir, 'clips.yaml'), '--quiet')
    expect(r.code, r.stderr).toBe(0)
    const events: OkoEvent[] = EventEncoder.decode(readFileSync(join(dir, 'clips.jsonl')), 'jsonl')
    const violation = events.find((e): e is RuleEvent => e.type === 'rule' && e.kind === 'red-light')!
    const clip = violation.evidence?.find((ref) => ref.kind === 'clip')
    expect(clip).toBeDefined()
    const made = events.filter((e) => e.type === 'evidence' && (e as { evidenceId?: string }).evidenceId === clip!.id)
    expect(made).toEqual([expect.objectContaining({ kind: 'clip', ok: true, cause: violation.id, cameraId: 'road' })])
  })

  it('--check names the file line of a bad rule and says the fix', async () => {
    const bad = (name: string, rule: string) => {
      const file = join(dir, `${name}.yaml`)
      writeFileSync(file, ['stages: [motion, { tracking: { fromMotion: true } }, rules]', 'cameras:', '  - url: road.mp4', '    rules:', '      - name: ok', '        type: line', '        line: [[0.5, 0], [0.5, 1]]', rule, ''].join('\n'))
      return file
    }
    const cases: [string, string, RegExp][] = [
      ['polygon', '      - { name: z, type: zone, polygon: [[0, 0], [1, 0]] }', /cameras\[0\]\.rules\[1\]\.polygon \(line 8\): expected a polygon of at least 3 points/],
      ['crossed', '      - { name: z, type: zone, polygon: [[0, 0], [1, 1], [1, 0], [0, 1]] }', /rules\[1\]\.polygon \(line 8\): the polygon crosses itself/],
      ['zero', '      - { name: l, type: line, line: [[0.5, 0.5], [0.5, 0.5]] }', /rules\[1\]\.line \(line 8\): the line has zero length/],
      ['speed', '      - { name: s, type: speed, limitKmh: 50 }', /rules\[1\] \(line 8\): a speed rule needs a calibration/],
      ['zone', '      - { name: l, type: line, line: [[0, 0], [1, 1]], schedule: { from: "22:00", to: "06:00", timeZone: Mars/Olympus } }', /rules\[1\]\.schedule\.timeZone \(line 8\): unknown time zone/],
    ]
    for (const [name, rule, message] of cases) {
      const r = await oko('run', bad(name, rule), '--check')
      expect(r.code, `${name}: ${r.stderr}`).not.toBe(0)
      expect(r.stderr, name).toMatch(message)
    }
  })
})
