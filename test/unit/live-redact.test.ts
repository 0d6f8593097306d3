import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Envelope, Frame, StageContext } from '@oko/core'
import { parseDeployment } from '@oko/deploy'
import { LiveFrames, type LivePicture } from '@oko/live'
import { Source, setFfmpegLogLevel } from '@oko/source'

const dir = mkdtempSync(join(tmpdir(), 'oko-live-redact-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const ctx = {} as StageContext
const W = 96, H = 64
/** A plate-sized box in the middle of the picture. */
const PLATE = { x: 32, y: 24, width: 32, height: 16 }

/** 8-pixel checkerboard (0 / 240): every region has detail a redaction must remove. */
function checkerFrame(seq: number): Frame {
  const y = new Uint8Array(W * H)
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) y[r * W + c] = ((r >> 3) + (c >> 3)) % 2 ? 240 : 0
  const uv = new Uint8Array((W / 2) * (H / 2)).fill(128)
  return { cameraId: 'cam', seq, ptsUs: seq * 100_000, wallMs: 1000 + seq * 100, width: W, height: H, format: 'yuv420p', planes: [y, uv, uv], strides: [W, W / 2, W / 2] }
}

/** The served JPEG decoded by FFmpeg (node-av), as gray pixels. */
async function decode(picture: LivePicture, name: string): Promise<Uint8Array> {
  const file = join(dir, name)
  writeFileSync(file, picture.jpeg)
  const source = await Source.open(file, { format: 'gray8' })
  try {
    for await (const frame of source.frames()) {
      const out = new Uint8Array(frame.width * frame.height)
      for (let r = 0; r < frame.height; r++) out.set(frame.planes[0]!.subarray(r * frame.strides[0]!, r * frame.strides[0]! + frame.width), r * frame.width)
      return out
    }
    throw new Error('no frame decoded')
  } finally {
    await source.close()
  }
}

/** Standard deviation of the pixels inside `r`. */
function spread(px: Uint8Array, r: { x: number; y: number; width: number; height: number }): number {
  let n = 0, sum = 0, sq = 0
  for (let y = r.y; y < r.y + r.height; y++) for (let x = r.x; x < r.x + r.width; x++) { const v = px[y * W + x]!; n++; sum += v; sq += v * v }
  return Math.sqrt(sq / n - (sum / n) ** 2)
}

/** Feeds frames (a plate found in the first) through the live-view stage and the boxes stage; returns the served picture and the envelopes passed on. */
/** Live frames whose clock is the frame time of the frame being fed (`clock.ms`). */
interface Clocked { frames: LiveFrames; clock: { ms: number } }
function liveFrames(options: ConstructorParameters<typeof LiveFrames>[0] = {}): Clocked {
  const clock = { ms: 0 }
  return { frames: new LiveFrames({ fps: 30, ...options, now: () => clock.ms }), clock }
}

async function run({ frames, clock }: Clocked, plateInFirst: boolean): Promise<{ picture: LivePicture; passed: Envelope[] }> {
  const live = frames.stage('cam'), boxes = frames.boxesStage('cam')
  const passed: Envelope[] = []
  const unwatch = frames.watch('cam', { send: () => true })
  for (let seq = 0; seq < 3; seq++) {
    const frame = checkerFrame(seq)
    clock.ms = frame.wallMs
    const e = (await live.process({ frame, detections: [], tracks: [] }, ctx))!
    if (seq === 0 && plateInFirst) e.detections.push({ label: 'plate', score: 0.9, box: PLATE } as Envelope['detections'][number])
    passed.push((await boxes.process(e, ctx))!)
  }
  unwatch()
  const picture = frames.lastPicture('cam')!
  await live.close()
  await boxes.close()
  return { picture, passed }
}

describe('redacted live pictures (http.live.redact)', () => {
  setFfmpegLogLevel('quiet')

  it('hides a plate the detectors found in the served JPEG; outside it and in the events nothing changes', async () => {
    const plain = await run(liveFrames(), true)
    const redacted = await run(liveFrames({ redact: { mode: 'pixelate', strength: 1, paddingFrac: 0.15 } }), true)
    const [a, b] = [await decode(plain.picture, 'plain.jpg'), await decode(redacted.picture, 'redacted.jpg')]
    // inside the plate: the checkerboard (spread ~120) is one flat block in the redacted picture
    expect(spread(a, PLATE)).toBeGreaterThan(80)
    expect(spread(b, PLATE)).toBeLessThan(12)
    // away from the padded box: the same picture
    const outside = { x: 0, y: 0, width: W, height: 16 }
    let diff = 0
    for (let y = outside.y; y < outside.height; y++) for (let x = 0; x < W; x++) diff += Math.abs(a[y * W + x]! - b[y * W + x]!)
    expect(diff / (W * 16)).toBeLessThan(3)
    // the frames passed on (to detectors, events, snapshots) are the decoded ones, untouched
    for (const e of redacted.passed) expect(e.frame.planes[0]).toEqual(checkerFrame(e.frame.seq).planes[0])
    expect(redacted.passed[0]!.detections.map((d) => d.label)).toEqual(['plate'])
  })

  it('hides only the labels asked for, and only for holdMs after the last detection', async () => {
    const faces = await run(liveFrames({ redact: { labels: ['face'], strength: 1 } }), true)
    expect(spread(await decode(faces.picture, 'faces.jpg'), PLATE)).toBeGreaterThan(80)
    // frames 1 and 2 are 100 and 200 ms after the detection: a hold of 50 ms has run out
    const short = liveFrames({ redact: { strength: 1, holdMs: 50 } })
    const shortRun = await run(short, true)
    expect(spread(await decode(shortRun.picture, 'short.jpg'), PLATE)).toBeGreaterThan(80)
    const held = liveFrames({ redact: { strength: 1 } })
    await run(held, true)
    expect(held.frames.stats('cam').redacted).toBeGreaterThan(0)
    expect(short.frames.stats('cam').redacted).toBe(0)
    expect(() => new LiveFrames({ redact: { holdMs: -1 } })).toThrow(/live\.redact\.holdMs/)
    expect(() => new LiveFrames({ redact: { mode: 'smudge' as 'blur' } })).toThrow(/options\.mode/)
  })

  it('is a key of http.live in the deployment file, checked with the fix', () => {
    const config = (stages: string, live: string) => parseDeployment(['cameras:', '  - { id: cam-a, url: "a.mp4" }', stages, 'http:', '  auth: { token: "token-0123456789abcdef" }', live, ''].join('\n'), { baseDir: dir })
    expect(config('stages: [motion, plates]', '  live: { redact: true }').http!.live).toEqual({ redact: {} })
    expect(config('stages: [motion, plates]', '  live: { redact: { mode: blur, holdMs: 1000 } }').http!.live).toEqual({ redact: { mode: 'blur', holdMs: 1000 } })
    expect(() => config('stages: [motion]', '  live: { redact: true }')).toThrow(/http\.live\.redact.*add `faces` or `plates`/)
    expect(() => config('stages: [motion, plates]', '  live: { redact: { mode: smudge } }')).toThrow(/http\.live\.redact\.mode/)
    expect(() => config('stages: [motion, plates]', '  live: { redact: { eyes: true } }')).toThrow(/http\.live\.redact/)
  })
})
