import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { allInputs } from './inputs.js'
import { runFuzz } from './runner.js'
import { makeSeeds } from './seeds.js'

// Hostile configs, watchlists, options and corrupt media, generated (fast-check) and run the way
// a user runs them: every input must end in bounded time with exit 0-3 and a message that names
// the problem, no stack trace, no crash. CI runs a bounded number with a fixed seed (OKO_FUZZ_SEED
// and OKO_FUZZ_RUNS change them); `bench/fuzz.ts` runs 10,000.
const SEED = Number(process.env.OKO_FUZZ_SEED ?? 20_261_201)
const RUNS = Number(process.env.OKO_FUZZ_RUNS ?? 800)

describe('fuzz: hostile inputs end cleanly', () => {
  it(`${RUNS} generated inputs (seed ${SEED}): 0 crashes, 0 hangs`, async () => {
    const inputs = fc.sample(allInputs(makeSeeds()), { numRuns: RUNS, seed: SEED })
    const report = await runFuzz(inputs, { timeoutMs: 30_000 })
    const failures = report.failures.map((f) => `${f.outcome} (${f.input.kind}): oko ${f.input.argv.join(' ')}\n  ${f.message}`)
    expect(failures, failures.join('\n')).toEqual([])
    expect(report.inputs).toBe(RUNS)
    // the generators reach every kind of input, and most of them are refused
    expect(Object.keys(report.byKind).sort()).toEqual(expect.arrayContaining(['config', 'watchlist', 'options', 'api source', 'api motion', 'media mp4', 'media ts', 'media mkv', 'media avi', 'image jpg', 'image png', 'image bmp']))
    expect(report.clearErrors).toBeGreaterThan(RUNS / 2)
  }, 300_000)
})
