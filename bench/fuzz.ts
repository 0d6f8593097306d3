// Fuzz benchmark: 10,000 generated hostile inputs (configs, watchlists, options, library option
// objects, corrupt media and stills) run the way a user runs them, one process restarted after
// any hang or crash. Reports inputs tried, clean runs, clear errors, crashes, hangs, peak memory.
// Writes bench/results/fuzz.json. Not part of `pnpm bench`:
//   nice -n 19 node --conditions oko-source --import tsx bench/fuzz.ts [--runs 10000] [--seed N]
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { allInputs } from '../test/fuzz/inputs.js'
import { runFuzz } from '../test/fuzz/runner.js'
import { makeSeeds } from '../test/fuzz/seeds.js'

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const runs = Number(arg('runs') ?? 10_000)
const seed = Number(arg('seed') ?? 1)
const inputs = fc.sample(allInputs(makeSeeds()), { numRuns: runs, seed })
const report = await runFuzz(inputs, {
  timeoutMs: 30_000,
  onResult: (r, done) => {
    if (r.outcome === 'crash' || r.outcome === 'hang') process.stderr.write(`\n${r.outcome} (${r.input.kind}): oko ${r.input.argv.join(' ')}\n  ${r.message}\n`)
    if (done % 100 === 0) process.stderr.write(`\r[${done}/${runs}]`)
  },
})
process.stderr.write('\n')
const out = {
  date: new Date().toISOString(), node: process.version, seed, ...report,
  failures: report.failures.map((f) => ({ outcome: f.outcome, kind: f.input.kind, argv: f.input.argv, message: f.message })),
}
console.log(JSON.stringify({ ...out, byKind: undefined }, null, 2))
const dir = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(dir, { recursive: true })
writeFileSync(`${dir}fuzz.json`, `${JSON.stringify(out, null, 2)}\n`)
