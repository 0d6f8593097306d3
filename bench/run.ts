// Runs every bench/*.bench.ts in turn (each writes bench/results/<area>.json and prints a table).
// `pnpm bench` (from the root) or `tsx bench/run.ts [--quick] [name ...]`. Build first: `pnpm build`.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('.', import.meta.url))
const args = process.argv.slice(2)
const names = args.filter((a) => !a.startsWith('-'))
const flags = args.filter((a) => a.startsWith('-'))
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts') && (names.length === 0 || names.some((n) => f.startsWith(n)))).sort()
let failed = 0
for (const file of files) {
  console.log(`\n=== ${file} ===`)
  const r = spawnSync(process.execPath, ['--conditions', 'oko-source', '--import', 'tsx', `${dir}${file}`, ...flags], { stdio: 'inherit', cwd: dir })
  if (r.status !== 0) {
    failed++
    console.error(`${file} failed (exit ${r.status ?? r.signal})`)
  }
}
process.exitCode = failed > 0 ? 1 : 0
