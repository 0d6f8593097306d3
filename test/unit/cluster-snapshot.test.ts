import type { KV } from 'nats'
import { snapshot } from '@oko/cluster'
import { describe, expect, it } from 'vitest'

// A bucket whose stream has no leader (a NATS node was lost, an election runs) answers nothing:
// the snapshot gives up with an error that says so, and stops the watch that opens too late.
describe('cluster snapshot', () => {
  it('fails within its timeout when the watch never opens, and stops it when it opens late', async () => {
    let stopped = 0
    let open!: (w: unknown) => void
    const kv = { watch: () => new Promise((r) => (open = r)) } as unknown as KV
    const t0 = Date.now()
    await expect(snapshot(kv, undefined, 200)).rejects.toThrow(/did not answer within 200 ms .*electing a leader.*try again/)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190)
    open({ stop: () => stopped++, [Symbol.asyncIterator]: async function* () {} })
    await new Promise((r) => setTimeout(r, 10))
    expect(stopped).toBe(1)
  })

  it('fails within its timeout when the watch opens but never reports its initial values', async () => {
    let stopped = 0
    const watch = { stop: () => stopped++, [Symbol.asyncIterator]: async function* () { await new Promise(() => {}) } }
    const kv = { watch: async () => watch } as unknown as KV
    await expect(snapshot(kv, undefined, 100)).rejects.toThrow(/did not answer within 100 ms/)
    expect(stopped).toBeGreaterThanOrEqual(1)
  })
})
