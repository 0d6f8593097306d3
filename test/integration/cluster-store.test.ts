import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, nanos } from 'nats'
import { BUCKETS, BUCKET_TTL_MS, DEFAULT_TIMINGS, createClusterStore } from '@oko/cluster'
import { describe, expect, it } from 'vitest'
import { TestBroker, brokerBinary } from '../helpers/brokers.js'

const have = brokerBinary('nats-server') !== undefined

describe.skipIf(!have)('the cluster store on a real nats-server', () => {
  it('`oko cluster apply` over buckets an earlier layout made sets their TTLs (camera keys that expired under a running worker could be run twice)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oko-cluster-store-'))
    const broker = (await TestBroker.nats(join(dir, 'nats')))!
    const nc = await connect({ servers: broker.url })
    try {
      const js = nc.jetstream()
      // the earlier layout: one lease key per camera, expiring by the bucket's TTL; heartbeats kept 5 s
      await js.views.kv(BUCKETS.leases, { history: 1, ttl: 30_000 })
      await js.views.kv(BUCKETS.workers, { history: 1, ttl: 5_000 })
      const leases = await js.views.kv(BUCKETS.leases)
      await leases.put('cam.kept', new TextEncoder().encode('{"worker":"w1","claimedMs":1}'))
      await createClusterStore(nc, DEFAULT_TIMINGS, 1)
      const jsm = await nc.jetstreamManager()
      const age = async (bucket: string) => (await jsm.streams.info(`KV_${bucket}`)).config.max_age
      expect(await age(BUCKETS.leases)).toBe(0)
      expect(await age(BUCKETS.workers)).toBe(nanos(BUCKET_TTL_MS.workers))
      expect(await age(BUCKETS.members)).toBe(0)
      expect(await age(BUCKETS.deploy)).toBe(0)
      // what the keys held is kept
      expect((await leases.get('cam.kept'))?.string()).toBe('{"worker":"w1","claimedMs":1}')
      // applied again: nothing to change, no error
      await createClusterStore(nc, DEFAULT_TIMINGS, 1)
      expect(await age(BUCKETS.leases)).toBe(0)
    } finally {
      await nc.close()
      await broker.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
