import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidOptionError } from '@oko/core'
import { Watchlist } from '@oko/faces'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultStages, motionProvider, parseDeployment, type StageRegistry } from '@oko/deploy'
import { readPlateWatchlist } from '@oko/deploy'

let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oko-config-stages-'))
  writeFileSync(join(dir, 'stolen.txt'), '# stolen\nAA 1234 BB\n\nа123вс77  # Cyrillic look-alikes are fine\n')
  writeFileSync(join(dir, 'bad.txt'), 'AA1234BB\n  ---  \n')
  writeFileSync(join(dir, 'lists.json'), JSON.stringify([{ name: 'wanted', plates: ['KA 0001 AA'] }, { name: 'permits', plates: ['B123CD'], fuzzy: false }]))
  writeFileSync(join(dir, 'plain.json'), JSON.stringify(['AB1234CD']))
  writeFileSync(join(dir, 'broken.json'), '{"name": "x", "plates": [12]}')
  const list = Watchlist.create({ modelId: 'test-model', dimensions: 4 })
  list.enrol('alice', [Float32Array.of(0.1, 0.2, 0.3, 0.4)])
  await list.save(join(dir, 'staff.watchlist'))
  const bytes = readFileSync(join(dir, 'staff.watchlist'))
  bytes[bytes.length - 40]! ^= 1
  writeFileSync(join(dir, 'tampered.watchlist'), bytes)
  await Watchlist.create({ modelId: 'test-model', dimensions: 4 }).save(join(dir, 'empty.watchlist'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const parse = (text: string, registry?: StageRegistry) => parseDeployment(text, { baseDir: dir, ...(registry ? { registry } : {}) })

function errorOf(text: string, registry?: StageRegistry): string {
  try {
    parse(text, registry)
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError)
    return (error as Error).message
  }
  throw new Error('expected a validation error')
}

const cfg = (stages: string) => `cameras:\n  - url: a.mp4\nstages:\n${stages}`

describe('config stages: plates and faces', () => {
  it('knows motion, objects, tracking, attributes, rules, plates and faces; resolves watchlist paths against the config folder', () => {
    expect(Object.keys(defaultStages())).toEqual(['motion', 'objects', 'tracking', 'attributes', 'rules', 'plates', 'faces'])
    const config = parse(cfg('  - motion\n  - plates: { countries: [ua, europe], watchlist: stolen.txt, threads: 2 }\n  - faces: { watchlist: staff.watchlist, threshold: 0.5 }\n'))
    expect(config.stages.map((s) => s.name)).toEqual(['motion', 'plates', 'faces'])
    expect(config.stages[1]!.options).toEqual({ countries: ['ua', 'europe'], watchlist: [join(dir, 'stolen.txt')], threads: 2 })
    expect(config.stages[2]!.options).toEqual({ watchlist: join(dir, 'staff.watchlist'), threshold: 0.5 })
    // A single country and several watchlists are accepted too.
    expect(parse(cfg('  - motion\n  - plates: { countries: ua, watchlist: [stolen.txt, lists.json] }\n')).stages[1]!.options.countries).toEqual(['ua'])
  })

  it('rejects bad plate options with the path, the line and the fix', () => {
    expect(errorOf(cfg('  - motion\n  - plates:\n      threads: 0\n'))).toMatch(/^stages\[1\]\.plates\.threads \(line 6\): expected an integer in \[1, 64\], received 0 \(number\); worker threads/)
    expect(errorOf(cfg('  - motion\n  - plates: { watchlst: stolen.txt }\n'))).toMatch(/^stages\[1\]\.plates\.watchlst \(line 5\): unknown option; did you mean "watchlist"\?/)
    expect(errorOf(cfg('  - motion\n  - plates: { countries: [atlantis] }\n'))).toMatch(/^stages\[1\]\.plates\.countries \(line 5\): no format matches \["atlantis"\]; known ids: ua, .*; regions: cis, europe, north-america; format ids or country codes/)
    expect(errorOf(cfg('  - motion\n  - plates: { watchlist: nope.txt }\n'))).toMatch(/^stages\[1\]\.plates\.watchlist \(line 5\): cannot read plate watchlist .*nope\.txt \(ENOENT\); give a text file with one plate per line/)
    expect(errorOf(cfg('  - motion\n  - plates: { watchlist: bad.txt }\n'))).toMatch(/bad\.txt line 2: no letters or digits/)
    expect(errorOf(cfg('  - motion\n  - plates: { watchlist: broken.json }\n'))).toMatch(/^stages\[1\]\.plates\.watchlist \(line 5\): plate watchlist broken\.json\[0\]\.plates\[0\]: expected a non-empty string, received 12/)
  })

  it('keeps the shared model settings deployment-wide; cameras may set their own watchlist', () => {
    const perCamera = parse('cameras:\n  - url: a.mp4\n    stages:\n      plates: { watchlist: lists.json }\nstages: [motion, plates]\n')
    expect(perCamera.cameras[0]!.stages.plates).toEqual({ watchlist: [join(dir, 'lists.json')] })
    expect(errorOf('cameras:\n  - url: a.mp4\n    stages:\n      plates: { threads: 4 }\nstages: [motion, plates]\n')).toMatch(/^cameras\[0\]\.stages\.plates\.threads \(line 4\): unknown option/)
    expect(errorOf('cameras:\n  - url: a.mp4\n    stages:\n      faces: { detector: ssd }\nstages: [motion, faces]\n')).toMatch(/^cameras\[0\]\.stages\.faces\.detector \(line 4\): unknown option/)
  })

  it('checks face watchlists when the config is loaded: missing, tampered, empty', () => {
    expect(errorOf(cfg('  - motion\n  - faces: { watchlist: nobody.watchlist }\n'))).toMatch(/^stages\[1\]\.faces\.watchlist \(line 5\): cannot read face watchlist .*nobody\.watchlist \(ENOENT\); make one with: oko faces enrol/)
    expect(errorOf(cfg('  - motion\n  - faces: { watchlist: tampered.watchlist }\n'))).toMatch(/tampered\.watchlist: checksum mismatch: the file was modified or truncated/)
    expect(errorOf(cfg('  - motion\n  - faces: { watchlist: empty.watchlist }\n'))).toMatch(/empty\.watchlist is an empty watchlist; enrol someone with oko faces enrol/)
    expect(errorOf(cfg('  - motion\n  - faces: { watchlist: stolen.txt }\n'))).toMatch(/stolen\.txt: not an oko face watchlist/)
    expect(errorOf(cfg('  - motion\n  - faces: { threshold: 0 }\n'))).toMatch(/^stages\[1\]\.faces\.threshold \(line 5\): expected a number in \(0, 4\]/)
    expect(errorOf(cfg('  - motion\n  - faces: { detector: yolo }\n'))).toMatch(/^stages\[1\]\.faces\.detector \(line 5\): expected one of "tiny", "ssd"/)
  })

  it('puts the gate first; stages run in order, a list inside runs side by side', () => {
    expect(errorOf(cfg('  - plates\n  - motion\n'))).toMatch(/^stages\[1\] \(line 5\): motion must come first/)
    expect(errorOf(cfg('  - [motion, plates]\n'))).toMatch(/^stages\[0\]\[0\] \(line 4\): motion must come first, on its own/)
    expect(errorOf(cfg('  - motion\n  - [plates]\n'))).toMatch(/^stages\[1\] \(line 5\): a list of stages runs them side by side: give at least two/)
    expect(errorOf(cfg('  - motion\n  - [plates, plates]\n'))).toMatch(/^stages\[1\]\[1\] \(line 5\): stage "plates" is listed twice/)
    const registry: StageRegistry = { ...defaultStages(), zones: motionProvider }
    const config = parse(cfg('  - motion\n  - faces\n  - zones\n  - [plates, { faces2: {} }]\n'), { ...registry, faces2: registry.faces! })
    expect(config.order).toEqual(['motion', 'faces', 'zones', ['plates', 'faces2']])
  })
})

describe('plate watchlist files', () => {
  it('text: one plate per line, # comments, named after the file', () => {
    expect(readPlateWatchlist(join(dir, 'stolen.txt'), 'x')).toEqual([{ name: 'stolen', plates: ['AA 1234 BB', 'а123вс77'] }])
  })

  it('JSON: a list of plates, one list, or several lists', () => {
    expect(readPlateWatchlist(join(dir, 'plain.json'), 'x')).toEqual([{ name: 'plain', plates: ['AB1234CD'] }])
    expect(readPlateWatchlist(join(dir, 'lists.json'), 'x').map((l) => l.name)).toEqual(['wanted', 'permits'])
  })

  it('an empty list is an error', () => {
    writeFileSync(join(dir, 'none.txt'), '# nothing yet\n\n')
    expect(() => readPlateWatchlist(join(dir, 'none.txt'), 'stages[1].plates.watchlist')).toThrow(/^stages\[1\]\.plates\.watchlist: plate watchlist .*none\.txt has no plates/)
  })
})
