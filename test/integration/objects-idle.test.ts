import { defineStage, type Envelope, type MotionRegion } from '@oko/core'
import { IDLE_AFTER_RUNS, ObjectDetectorPool, objectStage } from '@oko/objects'
import { Pipeline } from '@oko/pipeline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestSource, collect } from '../unit/pipeline-helpers.js'

// A grey 320×240 picture at 25 fps (the detector finds nothing in it) with what a motion gate
// would say moved: the detector's runs show its rate while it finds nothing where things move.
let pool: ObjectDetectorPool
beforeAll(async () => { pool = await ObjectDetectorPool.create({ threads: 1 }) })
afterAll(async () => { await pool?.close() })

const region = (x: number, y: number): MotionRegion => ({ x, y, width: 40, height: 40, pixels: 1600 })

/** Sets what moved in each frame (by seq). */
function motion(regionsAt: (seq: number) => MotionRegion[]) {
  return defineStage({
    name: 'motion',
    process: (e: Envelope) => { e.motion = { score: 0.02, regions: regionsAt(e.frame.seq), zones: [] }; return e },
  })
}

/**
 * The seqs the detector ran on. Each frame enters once the detector's last run is back (as on a
 * live camera, where a run takes less than a frame), so the rate does not depend on this machine's speed.
 */
async function detectorRuns(options: { fps: number; idleFps?: number }, regionsAt: (seq: number) => MotionRegion[]): Promise<number[]> {
  await using objects = await objectStage({ detector: pool, ...options })
  const runs: number[] = []
  const pending = new Set<Promise<unknown>>()
  const threads = pool.pool
  const tryRun = threads.tryRun
  threads.tryRun = (job, opts) => {
    const sent = tryRun.call(threads, job, opts)
    if (sent && job.kind === 'search') {
      runs.push(job.frame.info.seq)
      pending.add(sent)
      void sent.finally(() => pending.delete(sent))
    }
    return sent
  }
  try {
    const before = async () => {
      while (pending.size > 0) await Promise.allSettled([...pending])
      await new Promise((resolve) => setImmediate(resolve))
    }
    const source = new TestSource('cam', { frames: 50, width: 320, height: 240, value: () => 128, before })
    const run = Pipeline.from(source).pipe(motion(regionsAt)).pipe(objects).run()
    await collect(run.events)
    const summary = await run.completion
    expect(summary).toMatchObject({ framesIn: 50, outputs: 50, errors: 0, droppedTotal: 0 })
    return runs
  } finally {
    threads.tryRun = tryRun
  }
}

describe('objects: the detector runs less while it finds nothing where things move (idleFps)', () => {
  it('motion with nothing in it (leaves, shadows): at most idleFps, half of fps by default; idleFps = fps: every due frame', { timeout: 60_000 }, async () => {
    const still = () => [region(100, 100)]
    // 50 frames at 25 fps = 2 s; a run is due after 0.9 of its interval (clocks jitter): at 5 fps
    // every 5th frame (4.5), at 2.5 fps every 9th, at 1 fps every 23rd (22.5); the first
    // IDLE_AFTER_RUNS runs at fps (a car entering, cut off at first, is found in them)
    expect(IDLE_AFTER_RUNS).toBe(3)
    expect(await detectorRuns({ fps: 5 }, still)).toEqual([0, 5, 10, 19, 28, 37, 46])
    expect(await detectorRuns({ fps: 5, idleFps: 5 }, still)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45])
    expect(await detectorRuns({ fps: 5, idleFps: 1 }, still)).toEqual([0, 5, 10, 33])
  })

  it('motion away from what moved at the last run is searched at once, at fps', { timeout: 60_000 }, async () => {
    // from frame 27 something moves at the other side of the picture too: searched at once, then
    // IDLE_AFTER_RUNS runs at fps again before idle
    const runs = await detectorRuns({ fps: 5, idleFps: 1 }, (seq) => (seq < 27 ? [region(20, 20)] : [region(20, 20), region(260, 180)]))
    expect(runs).toEqual([0, 5, 10, 27, 32, 37])
  })

  it('a bad idleFps is named', async () => {
    await expect(objectStage({ detector: pool, idleFps: 0 })).rejects.toThrow(/options\.idleFps/)
    await expect(objectStage({ detector: pool, idleFps: 'slow' as unknown as number })).rejects.toThrow(/options\.idleFps/)
  })
})
