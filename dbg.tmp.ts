import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_TIMINGS, applyEntries, cameraOfKey, createClusterStore, place, runWorker, snapshot, type LeaseValue } from '@oko/cluster'
import { connect } from 'nats'
const dir = mkdtempSync(join(tmpdir(), 'dbg-'))
const port = 14000 + Math.floor(Math.random() * 1000)
const server = spawn('/usr/sbin/nats-server', ['-js', '-sd', join(dir, 'nats'), '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' })
await new Promise((r) => setTimeout(r, 800))
const url = `nats://127.0.0.1:${port}`
const nc = await connect({ servers: url })
const store = await createClusterStore(nc, DEFAULT_TIMINGS, 1)
const ids = Array.from({ length: 100 }, (_, i) => `sim-${i}`)
await applyEntries(store, {}, ids.map((id) => ({ id, url: `rtsp://127.0.0.1:9/${id}` })))
const stop = new AbortController()
const ws = ['a', 'b', 'c', 'd']
for (const id of ws) {
  const c = await connect({ servers: url })
  void runWorker({ nc: c, servers: [url], id, capacity: 64, dataDir: join(dir, id), signal: stop.signal, log: (l) => { if (!/lease created|released/.test(l)) console.log(id, l) },
    openSource: async (cam) => ({ cameraId: cam.id, live: true, async *frames(o: { signal?: AbortSignal }) { await new Promise((r) => o?.signal?.addEventListener('abort', r)) }, async close() {}, async [Symbol.asyncDispose]() {} }) as never })
  await new Promise((r) => setTimeout(r, 1500))
}
for (let k = 0; k < 6; k++) {
  await new Promise((r) => setTimeout(r, 3000))
  const leases = await snapshot(store.leases)
  const o = new Map([...leases].map(([k2, e]) => [cameraOfKey(k2), e.json<LeaseValue>().worker]))
  const exp = place(ids, ws.map((id) => ({ id, capacity: 64 })))
  const wrong = ids.filter((c) => o.get(c) !== exp.get(c))
  console.log('owned', o.size, 'wrong', wrong.length, wrong.slice(0, 5).map((c) => `${c}:${o.get(c)}→${exp.get(c)}`).join(' '))
}
stop.abort(); await new Promise((r) => setTimeout(r, 1000)); server.kill(); process.exit(0)
