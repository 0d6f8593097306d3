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

// End to end with real parts: people enrolled with `oko faces enrol` from their photos, then a
// clip (made at run time) where one enrolled person and one stranger walk in; `oko run` gates it
// with motion and runs the face models in a worker thread against the watchlist.
const data = evaluationDataDir()
if (!data) console.warn('e2e-faces: skipped, evaluation data not found (set OKO_DATA to the shared data folder)')

let dir: string
let ids: string

beforeAll(() => {
  if (!data) return
  dir = mkdtempSync(join(tmpdir(), 'oko-e2e-faces-'))
  ids = join(data, 'faces/identities')
  setFfmpegLogLevel('quiet')
  const known = decodeImage(join(ids, 'leonard/leonard1.png'), { format: 'rgb24' }) // not enrolled: the other four are
  const stranger = decodeImage(join(ids, 'penny/penny1.png'), { format: 'rgb24' }) // penny is not on the list
  // 640×360 at 5 fps: the known person comes in from the left, the stranger from the right, 1.6 s, then both stand.
  writeStillClip(join(dir, 'door.mp4'), [
    { image: known, motion: { from: { x: -100, y: 100 }, to: { x: 80, y: 100 }, seconds: 1.6 } },
    { image: stranger, motion: { from: { x: 590, y: 110 }, to: { x: 410, y: 110 }, seconds: 1.6 } },
  ], { fps: 5, seconds: 2.4, background: [120, 120, 120] })
  writeFileSync(join(dir, 'deploy.yaml'), [
    'cameras:',
    '  - id: door',
    '    url: door.mp4',
    'stages:',
    '  - motion',
    '  - faces: { watchlist: staff.watchlist, threads: 1 }',
    '',
  ].join('\n'))
})
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

const photos = (name: string, numbers: number[]) => `${name}=${numbers.map((n) => join(ids, `${name}/${name}${n}.png`)).join(',')}`

describe.skipIf(!data)('e2e: oko faces enrol, then oko run with motion + faces', () => {
  it('enrol names the photo that has no face or several faces, and writes nothing', async () => {
    const blank = join(dir, 'wall.ppm')
    writeFileSync(blank, Buffer.concat([Buffer.from('P6\n160 120\n255\n'), Buffer.alloc(160 * 120 * 3, 128)]))
    const none = await oko('faces', 'enrol', join(dir, 'none.watchlist'), `wall=${blank}`)
    expect(none.code).toBe(1)
    expect(none.stderr).toContain(`${blank}: no face found`)
    const group = join(data!, 'faces/groups/bbt1.jpg')
    const several = await oko('faces', 'enrol', join(dir, 'group.watchlist'), photos('amy', [1]), `crowd=${group}`)
    expect(several.code).toBe(1)
    expect(several.stderr).toMatch(new RegExp(`${group.replace(/[.]/g, '\\.')}: \\d+ faces found`))
    const missing = await oko('faces', 'enrol', join(dir, 'x.watchlist'), `bob=${join(dir, 'bob.png')}`)
    expect(missing.code).toBe(3)
    expect(missing.stderr).toContain(`photo not found: ${join(dir, 'bob.png')} (for bob)`)
    expect((await oko('run', join(dir, 'deploy.yaml'), '--check')).stderr).toMatch(/stages\[1\]\.faces\.watchlist \(line 6\): cannot read face watchlist .*staff\.watchlist .*oko faces enrol/)
  })

  it('matches the enrolled person (from other photos) and leaves the stranger unmatched', async () => {
    const enrol = await oko('faces', 'enrol', join(dir, 'staff.watchlist'), photos('leonard', [2, 3, 4, 5]), photos('amy', [1, 2, 3, 4, 5]), photos('howard', [1, 2, 3]))
    expect(enrol.stderr).toBe('')
    expect(enrol.code).toBe(0)
    expect(enrol.stdout.toString()).toMatch(/staff\.watchlist: 3 identities, threshold 0\.550/)
    // --append adds people (and photos) to an existing list; the file stays checked and versioned.
    const more = await oko('faces', 'enrol', join(dir, 'staff.watchlist'), photos('howard', [4, 5]), photos('raj', [1, 2]), '--append')
    expect(more.code).toBe(0)
    expect(more.stdout.toString()).toMatch(/staff\.watchlist: 4 identities/)

    const r = await oko('run', join(dir, 'deploy.yaml'))
    expect(r.stderr).toMatch(/, 0 errors\n/)
    expect(r.code).toBe(0)
    const events: OkoEvent[] = EventEncoder.decode(r.stdoutBytes, 'jsonl')
    const faces = events.filter((e): e is EventOf<'face'> => e.type === 'face')
    const seen = JSON.stringify(faces.map((f) => ({ seq: f.seq, x: Math.round(f.box.x), match: f.match?.identity, nearest: f.nearestDistance?.toFixed(3), skipped: f.skipped })))
    const left = faces.filter((f) => f.box.x + f.box.width / 2 < 320)
    const right = faces.filter((f) => f.box.x + f.box.width / 2 >= 320)
    expect(left.some((f) => f.match?.identity === 'leonard'), seen).toBe(true)
    expect(right.length, seen).toBeGreaterThan(0)
    expect(right.some((f) => f.nearestDistance !== undefined), seen).toBe(true) // described and compared
    expect(right.filter((f) => f.match !== undefined)).toEqual([])
    expect(faces.filter((f) => f.match && f.match.identity !== 'leonard')).toEqual([])
  })
})
