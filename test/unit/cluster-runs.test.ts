import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CameraRuns } from '@oko/cluster'
import type { FrameSource } from '@oko/core'
import { parseDeployment, runDeployment, type Deployment } from '@oko/deploy'

/** A camera that makes no frame and ends when it is stopped (as the cluster's scale bench uses). */
function idleSource(cameraId: string): FrameSource {
  let wake!: () => void
  const closed = new Promise<void>((r) => (wake = r))
  return {
    cameraId, live: true,
    async *frames(options) {
      if (options?.signal?.aborted) return
      await new Promise<void>((resolve) => { void closed.then(resolve); options?.signal?.addEventListener('abort', () => resolve(), { once: true }) })
    },
    async close() { wake() },
    async [Symbol.asyncDispose]() { wake() },
  }
}

/** A deployment whose adds and removes take a while and that rejects a second add, as @oko/deploy does. */
function fakeHost(owned: Set<string>) {
  const running = new Set<string>()
  const calls: string[] = []
  const lines: string[] = []
  const pause = () => new Promise((r) => setTimeout(r, 5))
  return {
    running, calls, lines,
    host: {
      entry: async (id: string) => { await pause(); return { config: { id }, revision: 7 } },
      addCamera: async (config: Record<string, unknown>) => {
        const id = String(config.id)
        calls.push(`add ${id}`)
        await pause()
        if (running.has(id)) throw new Error(`camera "${id}" is already running`)
        running.add(id)
      },
      removeCamera: async (id: string) => {
        calls.push(`remove ${id}`)
        await pause()
        if (!running.delete(id)) throw new Error(`no camera "${id}" is running`)
      },
      owns: (id: string) => owned.has(id),
      log: (line: string) => { lines.push(line) },
    },
  }
}

describe('a worker\'s camera runs: start and stop of one camera never overlap', () => {
  it('a fence between a claim and its start leaves the camera stopped, and the next claim starts it cleanly', async () => {
    const owned = new Set(['cam-1'])
    const f = fakeHost(owned)
    const runs = new CameraRuns(f.host)
    // the fence comes while the claim is still on its way to the start (the race of the 6,500-camera run)
    owned.delete('cam-1')
    const fenced = runs.stop('cam-1')
    const started = runs.start('cam-1')
    await Promise.all([fenced, started])
    expect(f.running.has('cam-1')).toBe(false)
    expect(runs.get('cam-1')).toBeUndefined()
    // claimed again: starts, not "already running"
    owned.add('cam-1')
    await runs.start('cam-1')
    expect(f.running.has('cam-1')).toBe(true)
    expect(runs.get('cam-1')).toMatchObject({ state: 'starting', revision: 7 })
    expect(f.lines).toEqual([])
  })

  it('a stop issued while the start is under way runs after it: the camera ends stopped, its add and remove in order', async () => {
    const owned = new Set(['cam-2'])
    const f = fakeHost(owned)
    const runs = new CameraRuns(f.host)
    const started = runs.start('cam-2')
    const stopped = runs.stop('cam-2')
    await Promise.all([started, stopped])
    expect(f.running.has('cam-2')).toBe(false)
    expect(f.calls).toEqual(['add cam-2', 'remove cam-2'])
    expect(runs.size).toBe(0)
  })

  it('a failed start is kept as its state with a retry time; a restart stops what part of it runs and starts it again', async () => {
    const owned = new Set(['cam-3'])
    const f = fakeHost(owned)
    f.running.add('cam-3') // left over: the deployment says "already running"
    const runs = new CameraRuns(f.host)
    await runs.start('cam-3')
    const run = runs.get('cam-3')
    expect(run?.state).toBe('failed')
    expect(run?.reason).toMatch(/already running/)
    expect(run?.retryAtMs).toBeGreaterThan(Date.now())
    expect(f.lines).toEqual(['camera cam-3: cannot start: camera "cam-3" is already running'])
    await runs.restart('cam-3')
    expect(runs.get('cam-3')?.state).toBe('starting')
    expect(f.calls).toEqual(['add cam-3', 'remove cam-3', 'add cam-3'])
  })

  it('a start after a restart that started the camera does nothing (it runs once, not "already running")', async () => {
    const owned = new Set(['cam-4'])
    const f = fakeHost(owned)
    const runs = new CameraRuns(f.host)
    await Promise.all([runs.restart('cam-4'), runs.start('cam-4')])
    expect(f.calls).toEqual(['remove cam-4', 'add cam-4'])
    expect(f.lines).toEqual([])
  })

  it('on a real @oko/deploy deployment: 2,000 random starts, stops and restarts of 30 cameras, each ends running exactly when its lease is held, with no failed start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oko-runs-'))
    const stop = new AbortController()
    let deployment!: Deployment
    const config = parseDeployment(JSON.stringify({ name: 'runs', cameras: [], outputs: [{ file: join(dir, 'events.jsonl') }] }), { allowNoCameras: true })
    const started = new Promise<void>((resolve) => {
      void runDeployment(config, { keepOpen: true, signal: stop.signal, stdout: { write: () => true } as unknown as NodeJS.WritableStream, openSource: async (c) => idleSource(c.id), onStart: (d) => { deployment = d; resolve() } })
    })
    try {
      await started
      const owned = new Set<string>()
      const lines: string[] = []
      let seed = 12345
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
      const runs = new CameraRuns({
        entry: async (id) => { await new Promise((r) => setTimeout(r, random() * 3)); return { config: { id, url: `rtsp://127.0.0.1:9/${id}` }, revision: 1 } },
        addCamera: (c) => deployment.addCamera(c),
        removeCamera: (id) => deployment.removeCamera(id),
        owns: (id) => owned.has(id),
        log: (line) => { lines.push(line) },
      })
      const ids = Array.from({ length: 30 }, (_, i) => `c${i}`)
      const all: Promise<void>[] = []
      for (let k = 0; k < 2000; k++) {
        const id = ids[Math.floor(random() * ids.length)]!
        const r = random()
        // as the worker does: the lease changes first, then the camera is started or stopped
        if (r < 0.4) { owned.add(id); all.push(runs.start(id)) }
        else if (r < 0.8) { owned.delete(id); all.push(runs.stop(id)) }
        else all.push(runs.restart(id))
        if (k % 20 === 0) await new Promise((r) => setTimeout(r, random() * 3))
      }
      await Promise.all(all)
      expect(lines).toEqual([])
      expect(deployment.cameras().map((c) => c.id).sort()).toEqual([...owned].sort())
      for (const id of ids) expect(runs.get(id) !== undefined).toBe(owned.has(id))
    } finally {
      stop.abort()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it('many interleaved starts and stops of many cameras: each ends as its last call says, with no failed start', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `c${i}`)
    const owned = new Set(ids)
    const f = fakeHost(owned)
    const runs = new CameraRuns(f.host)
    const all: Promise<void>[] = []
    for (let round = 0; round < 5; round++) {
      for (const [i, id] of ids.entries()) all.push((i + round) % 2 === 0 ? runs.start(id) : runs.stop(id))
    }
    await Promise.all(all)
    // the last round (4): even i started, odd stopped
    for (const [i, id] of ids.entries()) expect(f.running.has(id)).toBe(i % 2 === 0)
    expect(f.lines).toEqual([])
    expect(f.calls.filter((c) => c.startsWith('add')).length).toBe((ids.length / 2) * 3 + (ids.length / 2) * 2)
  })
})
