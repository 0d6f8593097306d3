import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lumaOf, type Frame } from '@oko/core'
import { MotionDetector } from '@oko/motion'
import { streetScene, writeSampleClip } from '@oko/samples'
import { Source, setFfmpegLogLevel } from '@oko/source'
import { KernelModule } from '@oko/wasm'

// detectFrame on real decoded frames: the luma copied straight from the decoder into the
// detector's memory (copyLumaTo) must give exactly what the frame's planes give.

let dir: string
const clip = (): string => join(dir, 'street.mp4')

beforeAll(() => {
  setFfmpegLogLevel('quiet')
  dir = mkdtempSync(join(tmpdir(), 'oko-motion-source-'))
  // odd processing width (342 → 128 × 72 at processingHeight 72), so the planes' stride is the width itself
  writeSampleClip(clip(), { ...streetScene({ width: 342, height: 192, fps: 25 }), frames: 80 }, { gopFrames: 25 })
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('MotionDetector.detectFrame on @oko/source frames', () => {
  it('gives the same results as detect(lumaOf(frame)) on every frame', async () => {
    const module = await KernelModule.load()
    const direct = await MotionDetector.create({ module, processingHeight: 72 })
    const planes = await MotionDetector.create({ module, processingHeight: 72 })
    const source = await Source.open(clip())
    let frames = 0
    let moving = 0
    for await (const frame of source.frames()) {
      expect(typeof (frame as { copyLumaTo?: unknown }).copyLumaTo).toBe('function')
      const a = direct.detectFrame(frame)
      const b = planes.detect(lumaOf(frame), frame)
      expect(a).toEqual(b)
      expect(Buffer.compare(direct.foreground!.data, planes.foreground!.data)).toBe(0)
      frames++
      if (a.motion) moving++
    }
    await source.close()
    expect(frames).toBe(80)
    expect(moving).toBeGreaterThan(10)
  })

  it('reads the planes of frames that cannot copy their luma, and of plain frames', async () => {
    const module = await KernelModule.load()
    const detector = await MotionDetector.create({ module })
    const data = new Uint8Array(64 * 48).fill(90)
    const plain: Frame = { cameraId: 'c', seq: 1, ptsUs: 0, wallMs: 0, width: 64, height: 48, format: 'gray8', planes: [data], strides: [64] }
    const refusing = { ...plain, seq: 2, ptsUs: 40_000, copyLumaTo: () => false }
    expect(detector.detectFrame(plain).seq).toBe(1)
    expect(detector.detectFrame(refusing).seq).toBe(2)
    expect(() => detector.detectFrame({ ...refusing, width: 65, seq: 3 })).toThrow(/frame: this detector works on 64×48 frames, received 65×48/)
  })
})
