// The vehicle register as a CSV file: lookups by normalised plate, reload when the file changes,
// errors that name the file and line but never a plate. Plates here are made up.
import { mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidOptionError, type Frame, type OkoEvent, type Track } from '@oko/core'
import { parseDeployment } from '@oko/deploy'
import { csvRegistry, parseCsvRegistry, vehicleAttributeStage } from '@oko/objects'
import { testContext } from '../helpers/stage.js'

const CSV = [
  'plate,make,model,colour,type,status',
  'A123BC77,Lada,Vesta,White,car,ok',
  '"К 777 КК 99",GAZ,"Gazelle, Next",silver,van,stolen',
  '',
  'AA-1234-BB,,,,,wanted',
].join('\n')
const PLATES = ['A123BC77', 'K777KK99', 'AA1234BB', 'К 777 КК 99', 'AA-1234-BB']

let dir: string
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'oko-csv-registry-')) })
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const signal = new AbortController().signal
const write = (name: string, text: string, mtimeS?: number): string => {
  const file = join(dir, name)
  writeFileSync(file, text)
  if (mtimeS !== undefined) utimesSync(file, mtimeS, mtimeS)
  return file
}
const noPlate = (message: string) => { for (const p of PLATES) expect(message).not.toContain(p) }
const errorOf = (f: () => unknown): string => {
  try { f() } catch (e) { return (e as Error).message }
  throw new Error('expected an error')
}

describe('CSV vehicle register', () => {
  it('looks plates up as the plate stage normalises them: Latin capitals and digits, Cyrillic look-alikes mapped', async () => {
    const lookup = csvRegistry({ csv: write('vehicles.csv', CSV) })
    expect(await lookup('A123BC77', signal)).toEqual({ make: 'lada', model: 'vesta', colour: 'white', type: 'car', status: 'ok' })
    expect(await lookup('а123вс77', signal)).toEqual({ make: 'lada', model: 'vesta', colour: 'white', type: 'car', status: 'ok' })
    expect(await lookup('K777KK99', signal)).toEqual({ make: 'gaz', model: 'gazelle, next', colour: 'silver', type: 'van', status: 'stolen' })
    expect(await lookup('AA1234BB', signal)).toEqual({ status: 'wanted' })
    expect(await lookup('X000XX00', signal)).toBeUndefined()
    // any order and subset of the columns; `color` for colour; CRLF and a byte-order mark
    const table = parseCsvRegistry('\uFEFFStatus, Color ,Plate\r\nstolen,Red,x 1\r\n', 'v.csv')
    expect([...table]).toEqual([['X1', { status: 'stolen', colour: 'red' }]])
  })

  it('refuses an unknown column, a missing plate column and bad lines, naming the file and line, never the plate', () => {
    const cases: [string, RegExp][] = [
      ['plate,make,owner\nA123BC77,Lada,Ivanov\n', /bad\.csv line 1: unknown column "owner" \(column 3\); known columns: plate, make, model, colour, type, status/],
      ['make,model\nLada,Vesta\n', /bad\.csv line 1: no "plate" column/],
      ['plate,make,make\n', /bad\.csv line 1: column "make" is given twice/],
      ['plate,make\nA123BC77,Lada\nK777KK99\n', /bad\.csv line 3: 1 fields, the header has 2/],
      ['plate,make\nA123BC77,Lada,Vesta\n', /bad\.csv line 2: 3 fields, the header has 2/],
      ['plate,make\n"A123BC77,Lada\n', /bad\.csv line 2: a quote is left open/],
      ['plate,make\n\n -- ,Lada\n', /bad\.csv line 3: the plate has no letters or digits/],
      ['plate,make\nA123BC77,Lada\nK777KK99,GAZ\na 123 bc 77,UAZ\n', /bad\.csv line 4: the plate of line 2 again; give each plate once/],
      ['\n\n', /bad\.csv is empty; its first line names the columns/],
    ]
    for (const [text, message] of cases) {
      const file = write('bad.csv', text)
      const error = errorOf(() => csvRegistry({ csv: file }, 'stages[3].attributes.registry'))
      expect(error).toMatch(message)
      expect(error).toMatch(/^stages\[3\]\.attributes\.registry\.csv: vehicle register .*bad\.csv/)
      noPlate(error)
    }
    expect(errorOf(() => csvRegistry({ csv: join(dir, 'nope.csv') }))).toMatch(/^options\.registry\.csv: cannot read vehicle register .*nope\.csv \(ENOENT\); give a CSV file whose first line names the columns/)
    expect(() => csvRegistry({ csv: write('ok.csv', CSV), checkEveryMs: -1 })).toThrow(/options\.registry\.checkEveryMs: expected a number in \[0, 86400000\]/)
    expect(() => csvRegistry({ csv: write('ok.csv', CSV), every: 5 } as never)).toThrow(InvalidOptionError)
  })

  it('reloads when the file changes (checked at most every checkEveryMs); a failed reload keeps the last good table and is reported once', async () => {
    const file = write('live.csv', 'plate,status\nA123BC77,ok\n', 1_000_000)
    // checked at most once a minute, and checked on every lookup
    const slow = csvRegistry({ csv: file, checkEveryMs: 60_000 })
    const lookup = csvRegistry({ csv: file, checkEveryMs: 0 })
    expect(await lookup('A123BC77', signal)).toEqual({ status: 'ok' })
    write('live.csv', 'plate,status\nA123BC77,stolen\nK777KK99,ok\n', 1_000_100)
    expect(await slow('A123BC77', signal)).toEqual({ status: 'ok' })
    expect(await lookup('A123BC77', signal)).toEqual({ status: 'stolen' })
    expect(await lookup('K777KK99', signal)).toEqual({ status: 'ok' })
    // same size and mtime: not read again
    write('live.csv', 'plate,status\nA123BC77,wanted\nK777KK99,ok\n', 1_000_100)
    expect(await lookup('A123BC77', signal)).toEqual({ status: 'stolen' })

    // a bad line: one lookup rejects with the file and line, the others answer from the last good table
    write('live.csv', 'plate,status\nA123BC77,ok\nK777KK99,ok,extra\n', 1_000_200)
    const reasons: string[] = []
    const answers: unknown[] = []
    for (let i = 0; i < 5; i++) await lookup('K777KK99', signal).then((r) => answers.push(r), (e: Error) => reasons.push(e.message))
    expect(reasons).toHaveLength(1)
    expect(reasons[0]).toMatch(/vehicle register .*live\.csv line 3: 3 fields, the header has 2; the last good table stays in use/)
    noPlate(reasons[0]!)
    expect(answers).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }, { status: 'ok' }])

    // the file gone: reported once, the table stays; back again: read
    unlinkSync(file)
    await expect(lookup('A123BC77', signal)).rejects.toThrow(/cannot read vehicle register .*live\.csv \(ENOENT\); the last good table stays in use/)
    expect(await lookup('A123BC77', signal)).toEqual({ status: 'stolen' })
    write('live.csv', 'plate,status\nA123BC77,ok\n', 1_000_300)
    expect(await lookup('A123BC77', signal)).toEqual({ status: 'ok' })
    expect(await lookup('K777KK99', signal)).toBeUndefined()
    // many lookups at once share one check
    const many = await Promise.all(Array.from({ length: 20 }, () => lookup('A123BC77', signal)))
    expect(many.every((r) => (r as { status: string }).status === 'ok')).toBe(true)
  })

  it('the attributes stage takes { csv }: a cloned plate flagged; a failed reload is one error event without the plate', async () => {
    const file = write('stage.csv', 'plate,make,model,colour,type\nA123BC77,Lada,Vesta,white,car\n', 2_000_000)
    const events: OkoEvent[] = []
    const ctx = testContext('gate', events)
    const stage = await vehicleAttributeStage({ registry: { csv: file, checkEveryMs: 0 } })
    const width = 200, height = 120
    const data = new Uint8Array(width * height * 3)
    for (let i = 0; i < width * height; i++) data.set([200, 20, 25], i * 3)
    const frame = (seq: number): Frame => ({ cameraId: 'gate', seq, ptsUs: seq * 200_000, wallMs: 0, width, height, format: 'rgb24', planes: [data], strides: [width * 3] })
    const t: Track = {
      id: 't1', label: 'car', box: { x: 10, y: 10, width: 180, height: 100 }, state: 'confirmed', score: 0.9, firstSeq: 1, lastSeenSeq: 1,
      velocity: { x: 0, y: 0 }, attributes: { plate: { value: 'A123BC77', confidence: 0.93, source: 'plates' } },
    }
    const run = async (seq: number) => {
      t.lastSeenSeq = seq
      await stage.process({ frame: frame(seq), detections: [], tracks: [t] }, ctx)
      await new Promise((resolve) => setTimeout(resolve, 30))
    }
    await run(1)
    await run(2)
    expect(t.attributes.colour?.value).toBe('red')
    expect(t.attributes.make).toMatchObject({ value: 'lada vesta', source: 'registry' })
    expect(t.attributes.registryMismatch?.value).toBe('colour')
    // a bad reload while another plate is read: one error event, the plate's record still comes from the last good table
    write('stage.csv', 'plate,colour\nA123BC77,red,oops\n', 2_000_100)
    t.attributes.plate = { value: 'a123вс77', confidence: 0.95, source: 'plates' }
    for (let seq = 3; seq <= 6; seq++) await run(seq)
    await stage.close?.()
    expect(events.map((e) => e.type)).toEqual(['error'])
    expect(JSON.stringify(events)).toMatch(/stage\.csv line 2: 3 fields/)
    expect(JSON.stringify(events)).not.toMatch(/A123BC77|a123вс77/)
    expect(t.attributes.registeredColour?.value).toBe('white')
  })

  it('in deploy.yaml: the path resolves against the config folder and the file is read when the config is checked', () => {
    write('register.csv', CSV)
    const yaml = (registry: string) => ['cameras:', '  - { id: c, url: x.mp4 }', 'stages:', '  - motion', '  - objects', '  - tracking', `  - attributes: { registry: ${registry} }`].join('\n')
    const config = parseDeployment(yaml('{ csv: register.csv, checkEveryMs: 1000 }'), { baseDir: dir })
    expect(config.stages.find((s) => s.name === 'attributes')!.options.registry).toEqual({ csv: join(dir, 'register.csv'), checkEveryMs: 1000 })
    expect(() => parseDeployment(yaml('{ csv: missing.csv }'), { baseDir: dir })).toThrow(/stages\[3\]\.attributes\.registry\.csv \(line 7\): cannot read vehicle register .*missing\.csv \(ENOENT\)/)
    write('cols.csv', 'plate,owner\nA123BC77,Ivanov\n')
    const error = errorOf(() => parseDeployment(yaml('{ csv: cols.csv }'), { baseDir: dir }))
    expect(error).toMatch(/stages\[3\]\.attributes\.registry\.csv \(line 7\): vehicle register .*cols\.csv line 1: unknown column "owner"/)
    noPlate(error)
    expect(() => parseDeployment(yaml('{ csv: register.csv, cacheMinutes: 5 }'), { baseDir: dir })).toThrow(/cacheMinutes/)
    expect(() => parseDeployment(['cameras:', '  - { id: c, url: x.mp4 }', 'stages:', '  - motion', '  - attributes: { module: wasm }'].join('\n'), { baseDir: dir })).toThrow(/stages\[1\]\.attributes\.module .*leave this option out/)
  })
})

