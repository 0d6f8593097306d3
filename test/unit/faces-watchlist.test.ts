import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { OkoError } from '@oko/core'
import {
  Watchlist, WATCHLIST_FORMAT_VERSION, calibrateOpenSet, calibrateThreshold, evaluateIdentification, evaluateVerification,
} from '@oko/faces'

/** Deterministic unit-ish vectors: identity i sits on axis i, samples jitter around it. */
function vec(identity: number, jitter: number, dims = 8): Float32Array {
  const v = new Float32Array(dims)
  v[identity % dims] = 1
  v[(identity + 1) % dims] = jitter
  return v
}

describe('Watchlist', () => {
  const make = () => {
    const w = Watchlist.create({ modelId: 'test-model', dimensions: 8, threshold: 0.5 })
    w.enrol('ann', [vec(0, 0), vec(0, 0.1)])
    w.enrol('bob', [vec(2, 0)])
    return w
  }

  it('matches the nearest identity under the threshold and rejects strangers (open set)', () => {
    const w = make()
    expect(w.match(vec(0, 0.05))).toMatchObject({ identity: 'ann', nearest: 'ann' })
    expect(w.match(vec(0, 0.05)).distance).toBeCloseTo(0.05, 5)
    const stranger = w.match(vec(5, 0))
    expect(stranger.identity).toBeUndefined()
    expect(stranger.distance).toBeCloseTo(Math.SQRT2, 5)
    expect(w.match(vec(2, 0.3), 0.2).identity).toBeUndefined()
  })

  it('round-trips through its file format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oko-faces-'))
    const w = make()
    await w.save(join(dir, 'list.okofaces'))
    const back = await Watchlist.load(join(dir, 'list.okofaces'), { expectModelId: 'test-model' })
    expect(back.identities).toEqual(['ann', 'bob'])
    expect(back.threshold).toBeCloseTo(0.5, 6)
    expect(back.descriptorsOf('ann')).toEqual([vec(0, 0), vec(0, 0.1)])
  })

  it('rejects tampered, truncated, foreign, other-version and other-model files with clear errors', () => {
    const bytes = Buffer.from(make().toBytes())
    const flipped = Buffer.from(bytes)
    flipped[40] = flipped[40]! ^ 1
    expect(() => Watchlist.fromBytes(flipped)).toThrow(/checksum mismatch/)
    expect(() => Watchlist.fromBytes(bytes.subarray(0, bytes.length - 5))).toThrow(/checksum mismatch/)
    expect(() => Watchlist.fromBytes(Buffer.from('hello world, not a watchlist at all, no no no no no no no no'))).toThrow(/not an oko face watchlist/)
    const v2 = Buffer.from(bytes)
    v2.writeUInt16LE(WATCHLIST_FORMAT_VERSION + 1, 8)
    try {
      Watchlist.fromBytes(v2)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(OkoError)
      expect((e as OkoError).code).toBe('ERR_UNSUPPORTED')
      expect((e as Error).message).toMatch(/format version 2, this oko reads version 1/)
    }
    expect(() => Watchlist.fromBytes(bytes, { expectModelId: 'other-model' })).toThrow(/from model "test-model".*re-enrol/)
  })

  it('reports a missing file, an empty list and bad descriptors clearly', async () => {
    await expect(Watchlist.load('/nonexistent/list.okofaces')).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND' })
    const empty = Watchlist.create({ modelId: 'm', dimensions: 8 })
    expect(() => empty.match(vec(0, 0))).toThrow(/watchlist is empty/)
    expect(() => empty.enrol('x', [])).toThrow(/no descriptors/)
    expect(() => empty.enrol('x', [new Float32Array(3)])).toThrow(/Float32Array of 8 values/)
    expect(() => empty.enrol('x', [Float32Array.from([NaN, 0, 0, 0, 0, 0, 0, 0])])).toThrow(/non-finite/)
    expect(() => Watchlist.create({ modelId: 'm', threshold: -1 })).toThrow(/options.threshold/)
  })

  it('keeps descriptors out of logs', () => {
    const w = make()
    expect(JSON.stringify(w)).not.toMatch(/0\.1|Float32/)
    expect(JSON.parse(JSON.stringify(w))).toEqual({ modelId: 'test-model', threshold: 0.5, identities: [{ identity: 'ann', descriptors: 2 }, { identity: 'bob', descriptors: 1 }] })
    expect(inspect(w)).toBe('Watchlist(2 identities, model test-model, threshold 0.5)')
  })
})

describe('threshold calibration and evaluation', () => {
  it('calibrates the largest threshold within the target false-match rate', () => {
    const impostors = Array.from({ length: 200 }, (_, i) => 0.5 + i * 0.001)
    const c = calibrateThreshold(impostors, 0.01)
    expect(c.threshold).toBeCloseTo(0.502, 9)
    expect(c.falseMatchRate).toBe(0.01)
    expect(calibrateThreshold(impostors, 0).falseMatchRate).toBe(0)
    expect(() => calibrateThreshold([], 0.01)).toThrow(/impostor distances/)
  })

  it('calibrates open-set on nearest distances (each identity as a stranger)', () => {
    const ids = [0, 2, 4].map((i) => [0, 0.1].map((j) => ({ identity: `p${i}`, descriptor: vec(i, j) })))
    const c = calibrateOpenSet(ids, 0)
    expect(c.impostors).toBe(6)
    expect(c.threshold).toBeCloseTo(Math.SQRT2, 5)
  })

  it('evaluates leave-one-identity-out identification and pair verification', () => {
    const samples = [0, 2, 4, 6].flatMap((i) => [0, 0.1, 0.2].map((j) => ({ identity: `p${i}`, descriptor: vec(i, j) })))
    const r = evaluateIdentification(samples, { threshold: 0.5 })
    expect(r).toMatchObject({ identities: 4, probes: 4 * 3 * 2, rank1: 1, openSetIdentificationRate: 1, strangers: 12, strangerMatchRate: 0 })
    const strict = evaluateIdentification(samples, { threshold: 0.15 })
    expect(strict.openSetIdentificationRate).toBe(0.5)
    expect(() => evaluateIdentification(samples.slice(0, 3))).toThrow(/at least 2 identities/)
    const v = evaluateVerification([{ distance: 0.2, same: true }, { distance: 0.7, same: true }, { distance: 0.9, same: false }, { distance: 0.4, same: false }], 0.5)
    expect(v).toMatchObject({ pairs: 4, accuracy: 0.5, trueMatchRate: 0.5, falseMatchRate: 0.5 })
    expect(v.roc.length).toBeGreaterThan(10)
  })
})

describe('watchlist file on disk', () => {
  it('writes atomically and reads what it wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oko-faces-'))
    const w = Watchlist.create({ modelId: 'm', dimensions: 8 })
    w.enrol('ünïcødé name', [vec(1, 0)])
    await w.save(join(dir, 'a'))
    writeFileSync(join(dir, 'b'), readFileSync(join(dir, 'a')))
    expect((await Watchlist.load(join(dir, 'b'))).identities).toEqual(['ünïcødé name'])
  })
})
