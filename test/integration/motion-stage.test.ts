import { describe, expect, it } from 'vitest'
import type { Frame, MotionEvent, OkoEvent, TamperEvent } from '@oko/core'
import { motionStage } from '@oko/motion'
import { SceneRenderer, streetScene, type SceneSpec } from '@oko/samples'
import { envelopeOf, testContext as context } from '../helpers/stage.js'

// The stage as a pipeline runs it: borrowed frames from two cameras, one detector per camera,
// still frames stopped, motion and tamper events emitted.

function frameOf(cameraId: string, seq: number, ptsUs: number, data: Uint8Array, width: number, height: number): Frame {
  return { cameraId, seq, ptsUs, wallMs: 0, width, height, format: 'gray8', planes: [data], strides: [width] }
}

describe('motionStage', () => {
  it('passes frames with motion, stops still ones, and emits throttled motion events per camera', async () => {
    const busy = streetScene({ width: 320, height: 180, fps: 10 })
    const still: SceneSpec = { ...busy, objects: [], lighting: [] }
    const renderers = { busy: new SceneRenderer(busy), still: new SceneRenderer(still) }
    const stage = await motionStage({ eventIntervalMs: 2000, tamper: false })
    const events: OkoEvent[] = []
    const passed: Record<string, number[]> = { busy: [], still: [] }
    const buffer = new Uint8Array(320 * 180)
    for (let i = 0; i < 80; i++) {
      for (const cam of ['busy', 'still'] as const) {
        renderers[cam].renderLuma(i, buffer)
        const frame = frameOf(cam, i, i * 100_000, buffer, 320, 180)
        const envelope = envelopeOf(frame)
        const out = await stage.process(envelope, context(cam, events))
        if (out) {
          expect(out).toBe(envelope)
          expect(out.frame).toBe(frame)
          expect(out.motion!.regions.length).toBeGreaterThan(0)
          passed[cam]!.push(i)
        }
      }
    }
    expect(passed.still).toEqual([])
    // the walker appears at frame 10 (fps × 1) and motion holds from its second frame (minFrames = 2)
    expect(passed.busy![0]).toBe(11)
    expect(passed.busy!.length).toBeGreaterThan(50)
    const motion = events.filter((e): e is MotionEvent => e.type === 'motion')
    expect(motion.every((e) => e.cameraId === 'busy')).toBe(true)
    // one at the start, then at most one per 2 s of stream time while motion goes on
    expect(motion[0]!.seq).toBe(11)
    for (let k = 1; k < motion.length; k++) expect(motion[k]!.ptsUs - motion[k - 1]!.ptsUs).toBeGreaterThanOrEqual(2_000_000)
    expect(motion.length).toBeLessThanOrEqual(5)
    await stage.close()
    await stage.close()
    expect(() => stage.process(envelopeOf(frameOf('busy', 99, 0, buffer, 320, 180)), context('busy', events))).toThrow(/closed/)
  })

  it('emits tamper events with start and clear', async () => {
    const scene: SceneSpec = { ...streetScene({ width: 160, height: 90, fps: 10 }), objects: [], lighting: [] }
    const renderer = new SceneRenderer(scene)
    const stage = await motionStage({ tamper: { coveredMs: 500 } })
    const events: OkoEvent[] = []
    const buffer = new Uint8Array(160 * 90)
    for (let i = 0; i < 60; i++) {
      renderer.renderLuma(i, buffer)
      if (i >= 20 && i < 40) buffer.fill(3)
      await stage.process(envelopeOf(frameOf('cam', i, i * 100_000, buffer, 160, 90)), context('cam', events))
    }
    const tamper = events.filter((e): e is TamperEvent => e.type === 'tamper')
    expect(tamper.map((e) => [e.reason, e.active, e.seq])).toEqual([['covered', true, 25], ['covered', false, 40]])
    expect(tamper[0]!.detail).toMatch(/mean 3/)
    await stage.close()
  })

  it('fails at creation, not per frame, when the kernels cannot be loaded', async () => {
    await expect(motionStage({ module: {} as never })).rejects.toThrow('options.module: expected a KernelModule')
  })

  it('forgets a camera that is done (flush), and starts afresh when it comes back', async () => {
    const stage = await motionStage({ tamper: false })
    const events: OkoEvent[] = []
    const a = new Uint8Array(64 * 48).fill(100)
    await stage.process(envelopeOf(frameOf('cam', 0, 0, a, 64, 48)), context('cam', events))
    await stage.flush!(context('cam', events))
    // a new detector: a frame of another size is no resolution change for it
    const b = new Uint8Array(80 * 60).fill(100)
    await expect(Promise.resolve(stage.process(envelopeOf(frameOf('cam', 1, 40_000, b, 80, 60)), context('cam', events)))).resolves.toBeUndefined()
    await stage.close()
  })

  it('starts a new detector when a camera changes resolution', async () => {
    const stage = await motionStage({ tamper: false })
    const events: OkoEvent[] = []
    const a = new Uint8Array(64 * 48).fill(100)
    const b = new Uint8Array(80 * 60).fill(100)
    await stage.process(envelopeOf(frameOf('cam', 0, 0, a, 64, 48)), context('cam', events))
    await expect(Promise.resolve(stage.process(envelopeOf(frameOf('cam', 1, 40_000, b, 80, 60)), context('cam', events)))).resolves.toBeUndefined()
    await stage.close()
  })
})
