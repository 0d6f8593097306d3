import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ExitCode, main } from '@oko/cli'

describe('oko demo', () => {
  it('finds every moving object of the generated clips and nothing else', async () => {
    const out = new PassThrough()
    let text = ''
    out.on('data', (c) => (text += c))
    const code = await main(['demo', '--json'], { stdout: out, stderr: new PassThrough(), env: {} })
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; [k: string]: unknown })
    const truth = lines.filter((l) => l.type === 'truth')
    expect(truth.map((t) => t.cameraId)).toEqual(['street', 'rain'])
    for (const t of truth) {
      expect(t.objects).toEqual([{ id: 'walker', found: true }, { id: 'car', found: true }])
      expect(t.falseEvents).toBe(0)
    }
    expect(lines.filter((l) => l.type === 'source' && l.state === 'ended')).toHaveLength(2)
    expect(lines.some((l) => l.type === 'error' || l.type === 'dropped')).toBe(false)
    expect(code).toBe(ExitCode.ok)
  })
})
