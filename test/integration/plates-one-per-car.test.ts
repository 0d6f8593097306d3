// One car, one plate event: a plate drawn by the project's renderer (@oko/samples' drawPlate, as a
// plate photo: no licensed real photo is available) on a car that crawls across the frame for 12 s,
// so the plate stage reads it in ~60 frames (more than the voter's maxReadings, 30), and one that
// crosses fast. The README's plate example (from dist/) must print exactly one plate line each.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { drawPlate, writeStillClip } from '@oko/samples'

const run = promisify(execFile)
const root = join(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'oko-one-plate-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const plateLines = async (seconds: number, clipSeconds: number): Promise<string[]> => {
  const clip = join(dir, `car-${seconds}.mp4`)
  const car = drawPlate('AB1234CE', 240, 120, 20, 40, 4, 60)
  writeStillClip(clip, [{ image: car, motion: { from: { x: -240, y: 100 }, to: { x: 640, y: 100 }, seconds } }], { size: { width: 640, height: 360 }, fps: 10, seconds: clipSeconds })
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'embed-plates.ts', clip], { cwd: join(root, 'examples') })
  return stdout.split('\n').filter((l) => l.includes(' plate '))
}

describe('a car that passes once', () => {
  it('gives one plate event when it crawls through the frame for 12 s', async () => {
    expect(await plateLines(12, 14)).toEqual([expect.stringMatching(/^entry-1 plate AB1234CE \(UA\) read in 30 frames, on stolen$/)])
  }, 180_000)

  it('gives one plate event when it crosses in 1.5 s', async () => {
    expect(await plateLines(1.5, 4)).toEqual([expect.stringMatching(/^entry-1 plate AB1234CE \(UA\) read in \d+ frames, on stolen$/)])
  }, 180_000)
})
