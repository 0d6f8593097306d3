import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { trafficScene, writeSampleClip } from '@oko/samples'
import { setFfmpegLogLevel } from '@oko/source'
import { oko } from '../helpers/cli.js'

// oko count --line and --config on a generated road (H.264, decoded by node-av): three cars pass
// one at a time, east, west, east; the count line's side A is the west, so eastbound is a-b.
const traffic = trafficScene()
const passing = traffic.cars.filter((c) => c.heading !== 'parked')
const truth = { 'a-b': passing.filter((c) => c.heading === 'east').length, 'b-a': passing.filter((c) => c.heading === 'west').length }
const pt = (p: readonly number[]) => `[${p.join(', ')}]`
const line = (l: readonly (readonly number[])[]) => `[${l.map(pt).join(', ')}]`
const lineOption = traffic.countLine.flat().join(',')

interface LineJson {
  line: number[][]
  direction: string
  crossings: { seq: number; ptsUs: number; trackId: string; class: string; direction: string }[]
  counts: Record<string, Record<string, number>>
  frames: number
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oko-count-lines-'))
  setFfmpegLogLevel('quiet')
  writeSampleClip(join(dir, 'road.mp4'), traffic.scene)
})
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

describe('oko count --line / --config on a generated road', () => {
  it('--line counts each passing car once, in its direction (both directions, then a-b only)', async () => {
    const both = await oko('count', join(dir, 'road.mp4'), '--line', lineOption, '--from-motion', '--json')
    expect(both.stderr).toBe('')
    expect(both.code).toBe(0)
    const b = JSON.parse(both.stdout) as LineJson
    expect(b.frames).toBe(traffic.scene.frames)
    expect(b.direction).toBe('both')
    expect(b.line).toEqual(traffic.countLine)
    expect(b.counts).toEqual({ 'a-b': { object: truth['a-b'] }, 'b-a': { object: truth['b-a'] } })
    expect(b.crossings.map((c) => c.direction)).toEqual(passing.map((c) => (c.heading === 'east' ? 'a-b' : 'b-a')))
    expect(new Set(b.crossings.map((c) => c.trackId)).size).toBe(passing.length)

    const east = await oko('count', join(dir, 'road.mp4'), '--line', lineOption, '--direction', 'a-b', '--from-motion', '--json')
    expect(east.code, east.stderr).toBe(0)
    const e = JSON.parse(east.stdout) as LineJson
    expect(e.counts).toEqual({ 'a-b': { object: truth['a-b'] } })
    expect(e.crossings.map((c) => c.direction)).toEqual(['a-b', 'a-b'])

    const text = await oko('count', join(dir, 'road.mp4'), '--line', lineOption, '--direction', 'b-a', '--from-motion')
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(new RegExp(`road\\.mp4: ${traffic.scene.frames} frames, 1 crossings of ${lineOption}\\nb-a +object +1\\n$`))
    console.log(`cli-count-lines: --line ${lineOption}: ${JSON.stringify(b.counts)} (truth a-b ${truth['a-b']}, b-a ${truth['b-a']})`)
  })

  it('--config counts every line rule of each camera of the deployment file', async () => {
    writeFileSync(join(dir, 'deploy.yaml'), [
      'stages: [motion, { tracking: { fromMotion: true, snapshots: false } }, { rules: { snapshots: false } }]',
      'cameras:',
      '  - id: road-east',
      '    url: road.mp4',
      '    rules:',
      `      - { name: middle, type: line, line: ${line(traffic.countLine)} }`,
      `      - { name: eastbound, type: line, line: ${line(traffic.speedLines[0])}, direction: a-b }`,
      `      - { name: no-parking, type: zone, polygon: ${line(traffic.noParking)}, dwellSeconds: 5 }`,
      '  - id: road-west',
      '    url: road.mp4',
      '    rules:',
      `      - { name: westbound, type: line, line: ${line(traffic.speedLines[1])}, direction: b-a }`,
      '  - id: no-rules',
      '    url: road.mp4',
      '',
    ].join('\n'))
    const r = await oko('count', '--config', join(dir, 'deploy.yaml'), '--json')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout) as { cameras: { cameraId: string; rules: { rule: string; direction: string; counts: Record<string, Record<string, number>> }[] }[]; frames: number }
    expect(out.frames).toBe(3 * traffic.scene.frames)
    expect(out.cameras).toEqual([
      { cameraId: 'road-east', rules: [
        { rule: 'middle', direction: 'both', counts: { 'a-b': { object: truth['a-b'] }, 'b-a': { object: truth['b-a'] } } },
        { rule: 'eastbound', direction: 'a-b', counts: { 'a-b': { object: truth['a-b'] } } },
      ] },
      { cameraId: 'road-west', rules: [{ rule: 'westbound', direction: 'b-a', counts: { 'b-a': { object: truth['b-a'] } } }] },
    ])
    const text = await oko('count', '--config', join(dir, 'deploy.yaml'))
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain('road-west / westbound\n  b-a   object           1\n')
  })

  it('bad options: errors name the option and say the fix', async () => {
    const clip = join(dir, 'road.mp4')
    const cases: [string[], RegExp][] = [
      [[clip, '--line', '0.5,0.5'], /--line: expected x1,y1,x2,y2 \(four numbers, fractions of the frame in \[0, 1\]\)/],
      [[clip, '--line', '0.5,0.5,0.5,0.5'], /--line: the line has zero length/],
      [[clip, '--line', '0.5,0,1.5,1'], /--line\[1\]\[0\]: .*1\.5/],
      [[clip, '--line', lineOption, '--direction', 'north'], /--direction: expected a-b, b-a or both/],
      [[clip, '--direction', 'a-b'], /--direction goes with --line/],
      [[clip, '--from-motion', '--class', 'car'], /--from-motion tracks motion regions/],
      [['--config', join(dir, 'deploy.yaml'), '--line', lineOption], /--line does not go with --config/],
      [['--config', join(dir, 'deploy.yaml'), clip], /--config: the cameras come from the file/],
    ]
    for (const [argv, message] of cases) {
      const r = await oko('count', ...argv)
      expect(r.code, argv.join(' ')).toBe(2)
      expect(r.stderr, argv.join(' ')).toMatch(message)
    }
    writeFileSync(join(dir, 'no-rules-stage.yaml'), 'stages: [motion]\ncameras:\n  - url: road.mp4\n')
    const noStage = await oko('count', '--config', join(dir, 'no-rules-stage.yaml'))
    expect(noStage.code).toBe(2)
    expect(noStage.stderr).toMatch(/no-rules-stage\.yaml: stages: has no `rules` stage/)
    writeFileSync(join(dir, 'no-lines.yaml'), ['stages: [motion, { tracking: { fromMotion: true } }, rules]', 'cameras:', '  - url: road.mp4', '    rules:', `      - { name: z, type: zone, polygon: ${line(traffic.noParking)} }`, ''].join('\n'))
    const noLines = await oko('count', '--config', join(dir, 'no-lines.yaml'))
    expect(noLines.code).toBe(2)
    expect(noLines.stderr).toMatch(/no-lines\.yaml: cameras: no camera has a line rule/)
    expect((await oko('count', '--config', join(dir, 'missing.yaml'))).code).toBe(3)
  })
})
