// The soak's verdict on memory: warm-up (growth that settles) or a leak (growth that persists).
// Run on its own to re-judge a stored run: node --import tsx bench/soak-trend.ts bench/results/soak.json
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface SoakSample { readonly s: number; readonly rssMiB: number; readonly heapMiB: number }

/**
 * A leak keeps growing after warm-up: the GC'd heap (what oko holds in JavaScript) by more than
 * 0.05 MiB/min (3 MiB/hour) after warm-up, or RSS (native memory too) by more than that over the
 * run's last third, when warm-up has long settled. Warm-up is the first third, at most 10 minutes.
 */
export function soakTrend(samples: readonly SoakSample[], minutes: number) {
  const slope = (key: 'rssMiB' | 'heapMiB', fromMin: number, toMin: number): number => {
    const pts = samples.filter((p) => p.s >= fromMin * 60 && p.s < toMin * 60).map((p) => [p.s / 60, p[key]] as const)
    if (pts.length < 3) return NaN
    const mx = pts.reduce((a, [x]) => a + x, 0) / pts.length
    const my = pts.reduce((a, [, y]) => a + y, 0) / pts.length
    return round(pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / pts.reduce((a, [x]) => a + (x - mx) ** 2, 0), 3)
  }
  const warm = Math.min(10, minutes / 3)
  const lastThird = (minutes * 2) / 3
  const at = (min: number): SoakSample => samples.reduce((best, p) => (Math.abs(p.s - min * 60) < Math.abs(best.s - min * 60) ? p : best))
  const trend = {
    warmUpMinutes: warm,
    rssMiBPerMinWarmUp: slope('rssMiB', 0, warm),
    rssMiBPerMinAfter: slope('rssMiB', warm, minutes + 1),
    rssMiBPerMinLast40: slope('rssMiB', Math.max(warm, minutes - 40), minutes + 1),
    rssMiBPerMinLastThird: slope('rssMiB', lastThird, minutes + 1),
    heapMiBPerMinAfter: slope('heapMiB', warm, minutes + 1),
    heapMiBPerMinLast40: slope('heapMiB', Math.max(warm, minutes - 40), minutes + 1),
    rssMiB: { start: samples[0]!.rssMiB, atWarmUp: at(warm).rssMiB, end: samples.at(-1)!.rssMiB, max: Math.max(...samples.map((p) => p.rssMiB)) },
    heapMiB: { start: samples[0]!.heapMiB, atWarmUp: at(warm).heapMiB, end: samples.at(-1)!.heapMiB, max: Math.max(...samples.map((p) => p.heapMiB)) },
  }
  const leak = trend.heapMiBPerMinAfter > 0.05 || trend.rssMiBPerMinLastThird > 0.05
  return { trend, verdict: leak ? 'leak: memory still grows after warm-up' : 'warm-up: flat after the first minutes' }
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? fileURLToPath(new URL('./results/soak.json', import.meta.url))
  const run = JSON.parse(readFileSync(file, 'utf8')) as { minutes: number; samples: SoakSample[]; trend: unknown; verdict: string }
  const { trend, verdict } = soakTrend(run.samples, run.minutes)
  writeFileSync(file, `${JSON.stringify({ ...run, trend, verdict, verdictRule: 'heap after warm-up or RSS over the last third > 0.05 MiB/min' }, null, 2)}\n`)
  console.log(JSON.stringify({ trend, verdict }, null, 2))
}
