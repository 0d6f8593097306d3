// Rule evaluation cost: microseconds per frame for 20 rules (5 counting lines, 5 zones with dwell,
// occupancy and wrong way, 5 speed rules (3 two-line, 2 calibrated), 5 stop lines) on 50 moving
// tracks of a 1920×1080 camera. Pure track geometry (no pixels, no snapshots).
// Writes bench/results/rules.json. Run: nice node --conditions oko-source --import tsx bench/rules.ts
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Track } from '@oko/core'
import { RuleEngine, checkRules, type RuleClock } from '@oko/rules'

const W = 1920, H = 1080, FPS = 25, TRACKS = 50, FRAMES = 5000
const rules = checkRules('rules', [
  ...Array.from({ length: 5 }, (_, i) => ({ name: `line-${i}`, type: 'line', line: [[0.1 + i * 0.18, 0.05], [0.1 + i * 0.18, 0.95]], countEveryMinutes: 1 })),
  ...Array.from({ length: 5 }, (_, i) => ({ name: `zone-${i}`, type: 'zone', polygon: [[i * 0.2, 0.1], [i * 0.2 + 0.15, 0.1], [i * 0.2 + 0.18, 0.9], [i * 0.2 - 0.02 < 0 ? 0 : i * 0.2 - 0.02, 0.9]], dwellSeconds: 5, maxOccupancy: 8, direction: [1, 0] })),
  ...Array.from({ length: 3 }, (_, i) => ({ name: `speed-${i}`, type: 'speed', lines: [[[0.2 + i * 0.2, 0], [0.2 + i * 0.2, 1]], [[0.3 + i * 0.2, 0], [0.3 + i * 0.2, 1]]], distanceMetres: 20, limitKmh: 60 })),
  ...Array.from({ length: 2 }, (_, i) => ({ name: `calibrated-${i}`, type: 'speed', calibration: { image: [[0.3, 0.2], [0.7, 0.2], [0.95, 0.95], [0.05, 0.95]], ground: [[0, 60], [12, 60], [12, 0], [0, 0]] }, polygon: [[0, 0.1 + i * 0.4], [1, 0.1 + i * 0.4], [1, 0.5 + i * 0.4], [0, 0.5 + i * 0.4]] })),
  ...Array.from({ length: 5 }, (_, i) => ({ name: `stop-${i}`, type: 'stop-line', line: [[0.15 + i * 0.17, 0.1], [0.15 + i * 0.17, 0.9]], direction: 'a-b', light: { input: `signal-${i}` } })),
])
const engine = new RuleEngine({ rules })
// 50 tracks going east and west at 2–30 px/frame, in 50 rows; they wrap around (new ids) at the edge
const lanes = Array.from({ length: TRACKS }, (_, i) => ({ y: 40 + i * 20, vx: (i % 2 ? -1 : 1) * (2 + (i * 7) % 29), x0: (i * 137) % W, gen: 0 }))
let events = 0
const timesUs: number[] = []
for (let seq = 0; seq < FRAMES; seq++) {
  if (seq % 250 === 0) for (let i = 0; i < 5; i++) engine.setLight(`signal-${i}`, (seq / 250 + i) % 2 ? 'red' : 'green')
  const tracks: Track[] = lanes.map((l, i) => {
    const travelled = l.x0 + l.vx * seq
    const x = ((travelled % W) + W) % W
    const lap = Math.floor(travelled / W)
    return { id: `t${i}-${lap}`, label: i % 5 ? 'car' : 'person', box: { x: x - 40, y: l.y - 60, width: 80, height: 60 }, state: 'confirmed', score: 0.9, firstSeq: 0, lastSeenSeq: seq, velocity: { x: l.vx * FPS, y: 0 }, attributes: {} }
  })
  const clock: RuleClock = { cameraId: 'bench', seq, ptsUs: Math.round((seq * 1e6) / FPS), wallMs: 1_767_600_000_000 + (seq * 1000) / FPS, width: W, height: H }
  const t0 = process.hrtime.bigint()
  events += engine.update(tracks, clock).length
  const t1 = process.hrtime.bigint()
  if (seq >= 500) timesUs.push(Number(t1 - t0) / 1000) // after warm-up (JIT)
}
timesUs.sort((a, b) => a - b)
const q = (p: number) => timesUs[Math.min(timesUs.length - 1, Math.floor(p * timesUs.length))]!
const result = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadAverage1m: loadavg()[0] },
  setup: { rules: rules.length, tracks: TRACKS, frame: `${W}x${H}`, fps: FPS, framesMeasured: timesUs.length },
  usPerFrame: { p50: q(0.5), p90: q(0.9), p99: q(0.99), mean: timesUs.reduce((a, b) => a + b, 0) / timesUs.length },
  usPerRuleTrack: q(0.5) / (rules.length * TRACKS),
  eventsPerFrame: events / FRAMES,
}
const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'results')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, 'rules.json'), `${JSON.stringify(result, null, 2)}\n`)
console.log(`rules: ${rules.length} rules × ${TRACKS} tracks: p50 ${result.usPerFrame.p50.toFixed(1)} µs/frame (p90 ${result.usPerFrame.p90.toFixed(1)}, p99 ${result.usPerFrame.p99.toFixed(1)}), ${result.eventsPerFrame.toFixed(2)} events/frame`)
