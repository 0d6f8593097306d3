import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { LineEvaluation } from '@oko/cli'
import { evaluationDataDir } from '../helpers/data.js'
import { oko } from '../helpers/cli.js'

// CDnet 2014 "highway", scored frames 470–1100. The line lies across the whole road at mid-frame
// (y = 0.5, x 0.1–0.9), chosen from the scene (the road spans x ≈ 0.15–0.85 at that height), not
// tuned. The visible road carries traffic towards the camera only, so every truth crossing is
// b-a (from above the line to below). Measured: truth 12 b-a / 0 a-b from 24 mask tracks; oko
// (motion → tracking fromMotion → line rule) 12 / 0, each 1–3 frames before the truth's. A check
// independent of the blob tracker (runs of moving pixels on the masks' row y = 120) also finds 12.
const data = evaluationDataDir()
const dir = data && join(data, 'motion', 'cdnet2014-highway')
const present = dir !== undefined && existsSync(dir)
if (!present) console.warn(`lines-cdnet: skipped, ${dir ?? 'the evaluation data folder'} not found (set OKO_DATA)`)

describe.skipIf(!present)('line counts on CDnet highway', () => {
  it('oko eval lines: oko counts every vehicle of the truth once, in its direction', async () => {
    const run = await oko('eval', 'lines', dir!, '--line', '0.1,0.5,0.9,0.5', '--json')
    expect(run.code, run.stderr).toBe(0)
    const r = JSON.parse(run.stdout) as LineEvaluation
    expect([r.first, r.last]).toEqual([470, 1100])
    expect(r.truth.counts).toEqual({ 'a-b': 0, 'b-a': 12 })
    expect(r.oko.counts).toEqual(r.truth.counts)
    // one to one, in order: each oko crossing within 5 frames of the truth's, same direction
    expect(r.oko.crossings).toHaveLength(r.truth.crossings.length)
    r.truth.crossings.forEach((t, i) => {
      const o = r.oko.crossings[i]!
      expect(o.direction).toBe(t.direction)
      expect(Math.abs(o.frame - t.frame)).toBeLessThanOrEqual(5)
    })
    expect(new Set(r.oko.crossings.map((c) => c.trackId)).size).toBe(r.oko.crossings.length)
    console.log(`lines-cdnet: truth ${JSON.stringify(r.truth.counts)} (${r.truthTracks} mask tracks), oko ${JSON.stringify(r.oko.counts)}`)
  })
})
