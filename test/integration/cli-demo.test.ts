import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ExitCode, main } from '@oko/cli'
import { cityScene, streetScene } from '@oko/samples'

// `oko demo --json` runs the whole chain (motion → objects → tracking → attributes → plates →
// rules) on its two generated cameras; its truth lines are checked here against the scenes' own
// truth, read from @oko/samples: every object one track of its type, every plate read on its car's
// track, the line counts per direction, one red-light violation and one no-parking dwell.
interface Truth {
  cameraId: string
  ok: boolean
  falseEvents: number
  falseTracks: number
  objects: { id: string; found: boolean }[]
  checks: { name: string; ok: boolean; found: string[] }[]
  tracks: Record<string, { trackId: string; class: string; colour?: string }[]>
  plates?: { vehicle?: string; text: string }[]
  rules?: { crossings: Record<'a-b' | 'b-a', string[]>; redLight: string[]; dwell: string[] }
}

describe('oko demo', () => {
  it('finds every object, plate and rule event of the generated cameras as their truth says, and nothing else', async () => {
    const out = new PassThrough()
    let text = ''
    out.on('data', (c) => (text += c))
    const code = await main(['demo', '--json'], { stdout: out, stderr: new PassThrough(), env: {} })
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; [k: string]: unknown })
    const truth = lines.filter((l) => l.type === 'truth') as unknown as Truth[]
    expect(truth.map((t) => t.cameraId)).toEqual(['crossing', 'street'])
    const [crossing, street] = truth as [Truth, Truth]
    const city = cityScene()

    // motion: every moving object seen, no motion while nothing moved
    for (const t of truth) {
      expect(t.objects.every((o) => o.found), JSON.stringify(t.objects)).toBe(true)
      expect(t.falseEvents).toBe(0)
      expect(t.falseTracks).toBe(0)
    }
    // objects: each one track, of its type (and each car's colour)
    const kinds = (scene: typeof city.scene) => Object.fromEntries(scene.objects.map((o) => [o.id, o.kind]))
    for (const [t, scene] of [[crossing, city.scene], [street, streetScene()]] as const) {
      expect(Object.fromEntries(Object.entries(t.tracks).map(([id, tracks]) => [id, tracks.map((k) => k.class)]))).toEqual(
        Object.fromEntries(Object.entries(kinds(scene)).map(([id, kind]) => [id, [kind]])))
    }
    for (const v of city.vehicles) expect(crossing.tracks[v.id]![0]!.colour, v.id).toBe(v.colour)
    // plates: each car's plate read on its own track, nothing else read
    expect(new Set(crossing.plates!.map((p) => `${p.vehicle} ${p.text}`))).toEqual(new Set(city.vehicles.map((v) => `${v.id} ${v.plate}`)))
    // rules: crossings per direction, the red-light violation, the dwell over the limit
    const heading = (h: string) => city.vehicles.filter((v) => v.heading === h).map((v) => v.id)
    expect(crossing.rules!.crossings['a-b']).toEqual(heading('east'))
    expect(crossing.rules!.crossings['b-a']).toEqual(heading('west'))
    expect(crossing.rules!.redLight).toEqual(city.vehicles.filter((v) => v.lightAtStopLine === 'red').map((v) => v.id))
    expect(crossing.rules!.redLight).toHaveLength(1)
    expect(crossing.rules!.dwell).toEqual(city.vehicles.filter((v) => v.zoneSeconds > city.dwellSeconds).map((v) => v.id))
    expect(crossing.rules!.dwell).toHaveLength(1)
    const counts = lines.filter((l) => l.type === 'rule' && l.kind === 'count').at(-1) as unknown as { totals: Record<string, Record<string, number>> }
    expect(counts.totals).toEqual({ 'a-b': { car: heading('east').length }, 'b-a': { car: heading('west').length } })

    expect(truth.flatMap((t) => t.checks.filter((c) => !c.ok).map((c) => `${t.cameraId} ${c.name}: ${c.found.join('; ')}`))).toEqual([])
    expect(lines.filter((l) => l.type === 'source' && l.state === 'ended')).toHaveLength(2)
    expect(lines.some((l) => l.type === 'error' || l.type === 'dropped')).toBe(false)
    expect(lines.at(-1)).toMatchObject({ type: 'demo', ok: true })
    expect(code).toBe(ExitCode.ok)
  }, 300_000)
})
