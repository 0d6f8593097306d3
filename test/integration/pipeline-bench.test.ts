import { PassThrough } from 'node:stream'
import { benchDispatch, benchMemoryBounded } from '@oko/cli'
import { describe, expect, it } from 'vitest'
import { formatBenchReport, type BenchReport } from '@oko/cli'
import { main } from '@oko/cli'

// Behaviour only (what is counted and reported); the speeds themselves belong to bench/.
describe('bench functions', () => {
  it('benchDispatch measures shared-memory, copy and empty round trips of a frame', async () => {
    const r = await benchDispatch({ width: 64, height: 36, rounds: 5 })
    expect(r).toMatchObject({ width: 64, height: 36, rounds: 5 })
    for (const v of [r.sharedMs, r.copyMs, r.emptyMs]) expect(v).toBeGreaterThan(0)
  })

  it('benchMemoryBounded accounts for every frame of a camera faster than its stage', async () => {
    const r = await benchMemoryBounded({ seconds: 1, fps: 20, slowdown: 5, width: 64, height: 36 })
    expect(r.framesIn).toBe(20)
    expect(r.inferred + r.dropped).toBe(20)
    expect(r.accounted).toBe(true)
    expect(r.buffersAllocated).toBeLessThanOrEqual(7)
  })

  it('oko bench --only dispatch --quick --json prints a report with its target', async () => {
    const out = new PassThrough()
    let text = ''
    out.on('data', (d: Buffer) => (text += d.toString()))
    const code = await main(['bench', '--only', 'dispatch', '--quick', '--json'], { stdout: out, stderr: new PassThrough() })
    const report = JSON.parse(text) as BenchReport
    expect(report.decode).toEqual([])
    expect(report.cameras).toEqual([])
    expect(report.targets.map((t) => t.name)).toEqual(['720p frame dispatch round trip (shared memory), ms'])
    expect(code).toBe(report.targets[0]!.pass ? 0 : 1)
    expect(formatBenchReport(report)).toContain('dispatch 1280x720 gray frame')
  })

  it('oko bench rejects an unknown benchmark name', async () => {
    const err = new PassThrough()
    let text = ''
    err.on('data', (d: Buffer) => (text += d.toString()))
    expect(await main(['bench', '--only', 'gpu'], { stdout: new PassThrough(), stderr: err })).toBe(2)
    expect(text).toBe('oko bench: --only: unknown benchmark "gpu"; choose from decode, cameras, dispatch, memory\n')
  })
})
