import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { evaluateMotion } from '@oko/motion/eval'
import { evaluationDataDir } from '../helpers/data.js'

// CDnet 2014 "highway" (baseline): frames 1–1100, scored over the temporal ROI 470–1100 by CDnet
// rules. Measured: F 0.908, recall 0.928, precision 0.889 (OpenCV 4.6 MOG2 in the same run:
// F 0.645). The floors sit just below, over the whole set (never tuned on single frames).
const data = evaluationDataDir()
const dir = data && join(data, 'motion', 'cdnet2014-highway')
const present = dir !== undefined && existsSync(dir)
if (!present) console.warn(`motion-cdnet: skipped, ${dir ?? 'the evaluation data folder'} not found (set OKO_DATA)`)

describe.skipIf(!present)('motion on CDnet highway', () => {
  it('reaches F ≥ 0.90 over the scored frames', async () => {
    const r = await evaluateMotion(dir!, { mog2: false })
    expect(r.scoredFrames).toBe(631)
    expect(r.metrics.fMeasure).toBeGreaterThanOrEqual(0.9)
    expect(r.metrics.recall).toBeGreaterThanOrEqual(0.9)
    expect(r.metrics.precision).toBeGreaterThanOrEqual(0.87)
    expect(r.metrics.pwc).toBeLessThan(1.2)
  })
})
