import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineStage, type Frame, type Rect } from '@oko/core'
import { FacePool, faceStage } from '@oko/faces'
import { redactionStage } from '@oko/imaging'
import { motionStage } from '@oko/motion'
import { Pipeline } from '@oko/pipeline'
import { writeStillClip } from '@oko/samples'
import { Source, decodeImage, setFfmpegLogLevel } from '@oko/source'
import { evaluationDataDir } from '../helpers/data.js'

// End to end with real parts: a face photo walks into a scene (H.264 made at run time), decoded
// frames go through motion, the face stage (face-api models in a worker thread) and the redaction
// stage; every frame that leaves is compared with the decoded original.
const data = evaluationDataDir()
if (!data) console.warn('e2e-redaction: skipped, evaluation data not found (set OKO_DATA to the shared data folder)')

const PAD = 0.15 // redactionStage's default paddingFrac

let dir: string
let clip: string

beforeAll(() => {
  if (!data) return
  dir = mkdtempSync(join(tmpdir(), 'oko-e2e-redaction-'))
  setFfmpegLogLevel('quiet')
  const face = decodeImage(join(data, 'faces/identities/howard/howard2.png'), { format: 'rgb24' })
  clip = join(dir, 'hall.mp4')
  writeStillClip(clip, [{ image: face, motion: { from: { x: 60, y: 120 }, to: { x: 360, y: 90 }, seconds: 2 } }], { fps: 5, seconds: 2 })
})
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

describe.skipIf(!data)('e2e: redaction of frames leaving the pipeline', () => {
  it('pixelates every face region and leaves every other pixel identical', async () => {
    const pool = await FacePool.create({ threads: 1 })
    const source = await Source.open(clip, { id: 'hall' })
    const left: { faces: Rect[]; original: Uint8Array[]; frame: Frame }[] = []
    try {
      const faces = await faceStage({ analysis: pool, snapshots: false })
      // Keep a copy of the frame's pixels (the owned copy the face stage read: it is whole, since
      // the last stage reads whole pictures), then redact, then collect what leaves.
      const originals = new Map<number, Uint8Array[]>()
      const keep = defineStage({ name: 'keep-original', process: (e) => { originals.set(e.frame.seq, e.frame.planes.map((p) => new Uint8Array(p))); return e } })
      const collect = defineStage({
        name: 'leave',
        wholeFrame: true,
        process: (e) => {
          left.push({ faces: e.detections.filter((d) => d.label === 'face').map((d) => d.box), original: originals.get(e.frame.seq)!, frame: { cameraId: e.frame.cameraId, seq: e.frame.seq, ptsUs: e.frame.ptsUs, wallMs: e.frame.wallMs, width: e.frame.width, height: e.frame.height, format: e.frame.format, planes: e.frame.planes.map((p) => new Uint8Array(p)), strides: [...e.frame.strides] } })
          return undefined
        },
      })
      const run = Pipeline.from(source).pipe(() => motionStage()).pipe(faces).pipe(keep).pipe(redactionStage()).pipe(collect).run()
      for await (const _ of run.events) { /* drain */ }
      const summary = await run.completion
      expect(summary.errors).toBe(0)
      await faces.close()
    } finally {
      await source.close()
      await pool.close()
    }
    const withFaces = left.filter((l) => l.faces.length > 0)
    expect(withFaces.length).toBeGreaterThanOrEqual(3)
    for (const l of left) {
      const { frame, original } = l
      expect(frame.format).toBe('yuv420p')
      frame.planes.forEach((plane, i) => {
        const scale = i === 0 ? 1 : 2
        const stride = frame.strides[i]!
        const w = Math.ceil(frame.width / scale), h = Math.ceil(frame.height / scale)
        // Boxes as redacted (padding), one pixel wider for rounding, in this plane's pixels.
        const boxes = l.faces.map((b) => ({
          x0: Math.floor((b.x - b.width * PAD) / scale) - 1, y0: Math.floor((b.y - b.height * PAD) / scale) - 1,
          x1: Math.ceil((b.x + b.width * (1 + PAD)) / scale) + 1, y1: Math.ceil((b.y + b.height * (1 + PAD)) / scale) + 1,
        }))
        let outsideChanged = 0
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
          if (boxes.some((b) => x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1)) continue
          if (plane[y * stride + x] !== original[i]![y * stride + x]) outsideChanged++
        }
        expect(outsideChanged, `frame ${frame.seq} plane ${i}: pixels changed outside the faces`).toBe(0)
      })
      // Inside each face box (luma), most pixels are replaced by their block's mean.
      for (const b of l.faces) {
        const Y = frame.planes[0]!, O = original[0]!, stride = frame.strides[0]!
        let changed = 0, total = 0
        for (let y = Math.ceil(b.y); y < Math.floor(b.y + b.height); y++) for (let x = Math.ceil(b.x); x < Math.floor(b.x + b.width); x++) {
          total++
          if (Y[y * stride + x] !== O[y * stride + x]) changed++
        }
        expect(changed / total, `frame ${frame.seq}: share of the face changed`).toBeGreaterThan(0.5)
      }
    }
  })
})
