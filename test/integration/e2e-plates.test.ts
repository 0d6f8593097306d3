import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EventOf, type OkoEvent } from '@oko/core'
import { EventEncoder } from '@oko/sinks'
import { writeStillClip } from '@oko/samples'
import { decodeImage, setFfmpegLogLevel } from '@oko/source'
import { oko } from '../helpers/cli.js'
import { evaluationDataDir } from '../helpers/data.js'

// End to end with real parts: a real plate photo (OpenALPR EU benchmark) slides into a static
// scene, encoded to H.264 at run time; `oko run` decodes it, gates it with motion and reads the
// plate with the PaddleOCR models in a worker thread. Nothing from the data folder is kept.
const data = evaluationDataDir()
if (!data) console.warn('e2e-plates: skipped, evaluation data not found (set OKO_DATA to the shared data folder)')

const PHOTO = 'plates/openalpr-eu/test_010.jpg' // 346×259, plate RK248AH
const PLATE = 'RK248AH'

let dir: string

beforeAll(() => {
  if (!data) return
  dir = mkdtempSync(join(tmpdir(), 'oko-e2e-plates-'))
  setFfmpegLogLevel('quiet')
  const car = decodeImage(join(data, PHOTO), { format: 'rgb24' })
  // 640×360 at 5 fps: 2 s sliding in from the left, then 1 s parked.
  writeStillClip(join(dir, 'gate.mp4'), [{ image: car, motion: { from: { x: -180, y: 60 }, to: { x: 220, y: 60 }, seconds: 2 } }], { fps: 5, seconds: 3 })
  // The same car drives through another camera's view and leaves: 2.4 s crossing, then 3 s of empty road.
  writeStillClip(join(dir, 'road.mp4'), [{ image: car, motion: { from: { x: -200, y: 50 }, to: { x: 660, y: 50 }, seconds: 2.4 } }], { fps: 5, seconds: 5.4 })
  writeFileSync(join(dir, 'stolen.txt'), `# stolen vehicles\nAA 1234 BB\nRK 248 AH   # the test car\n`)
  writeFileSync(join(dir, 'deploy.yaml'), [
    'cameras:',
    '  - id: gate',
    '    url: gate.mp4',
    '  - id: road # two cameras share one reader thread',
    '    url: road.mp4',
    '    realtime: true # paced like a camera (5 fps)',
    'stages:',
    '  - motion',
    '  - plates: { watchlist: stolen.txt, threads: 1 }',
    '',
  ].join('\n'))
})
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

describe.skipIf(!data)('e2e: oko run with motion + plates on a real plate photo', () => {
  it('emits a plate event with the text and a watchlist hit, as JSON lines on stdout', async () => {
    const r = await oko('run', join(dir, 'deploy.yaml'))
    expect(r.stderr).toMatch(/, 0 errors\n/)
    expect(r.code).toBe(0)
    const events: OkoEvent[] = EventEncoder.decode(r.stdoutBytes, 'jsonl')
    expect(events.filter((e) => e.type === 'error')).toEqual([])
    expect(events.some((e) => e.type === 'motion')).toBe(true)
    for (const camera of ['gate', 'road']) {
      const plates = events.filter((e): e is EventOf<'plate'> => e.type === 'plate' && e.cameraId === camera)
      const best = plates.find((p) => p.text === PLATE)
      expect(best, `${camera}: plate texts read: ${plates.map((p) => p.text).join(', ')}`).toBeDefined()
      expect(best!.watchlist).toEqual([{ list: 'stolen', entry: PLATE, distance: 0 }])
      expect(best!.readings).toBeGreaterThanOrEqual(2)
      expect(best!.snapshot).toBeUndefined() // snapshots are opt-in in configs (personal data)
    }
    // The car that left is reported while the road camera still runs (still frames move the voting
    // clock on); the parked one when its camera's frames end.
    const at = (pred: (e: OkoEvent) => boolean) => events.findIndex(pred)
    const ended = (camera: string) => at((e) => e.type === 'source' && e.cameraId === camera && e.state === 'ended')
    expect(at((e) => e.type === 'plate' && e.cameraId === 'road')).toBeLessThan(ended('road'))
    expect(at((e) => e.type === 'plate' && e.cameraId === 'gate')).toBeGreaterThan(ended('gate'))
  })
})
