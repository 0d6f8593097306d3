import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { drawPlate, streetScene, writeSampleClip, writeStillClip } from '@oko/samples'

const run = promisify(execFile)
const root = join(import.meta.dirname, '../..')

describe('the README example', () => {
  it('is examples/embed-motion.ts, word for word', () => {
    const code = readFileSync(join(root, 'examples/embed-motion.ts'), 'utf8').trim()
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain(code)
  })

  it('runs on a generated clip and prints motion in the door zone', async () => {
    const clip = join(mkdtempSync(join(tmpdir(), 'oko-example-')), 'street.mp4')
    writeSampleClip(clip, streetScene({ width: 320, height: 180, fps: 10 }))
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'embed-motion.ts', clip], { cwd: join(root, 'examples') })
    const motion = stdout.split('\n').filter((l) => l.startsWith('gate-1 motion'))
    expect(motion.length).toBeGreaterThan(3)
    expect(motion.some((l) => l.endsWith('zones [door]'))).toBe(true)
    expect(stdout).toMatch(/framesIn: 120/)
    expect(stdout).toMatch(/droppedTotal: 0/)
  })

  it('is examples/embed-plates.ts, word for word', () => {
    const code = readFileSync(join(root, 'examples/embed-plates.ts'), 'utf8').trim()
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain(code)
  })

  it('reads the plate of a car that drives through a generated clip, with its watchlist hit', async () => {
    const clip = join(mkdtempSync(join(tmpdir(), 'oko-example-')), 'entry.mp4')
    const car = drawPlate('AB1234CE', 240, 120, 20, 40, 4, 60)
    writeStillClip(clip, [{ image: car, motion: { from: { x: -240, y: 100 }, to: { x: 640, y: 100 }, seconds: 3 } }], { size: { width: 640, height: 360 }, fps: 10, seconds: 5 })
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'embed-plates.ts', clip], { cwd: join(root, 'examples') })
    expect(stdout.split('\n').filter((l) => l.includes(' plate '))).toEqual([expect.stringMatching(/^entry-1 plate AB1234CE \(UA\) read in \d+ frames, on stolen$/)])
    expect(stdout).toMatch(/framesIn: 25/)
    expect(stdout).toMatch(/droppedTotal: 0/)
  })
})
