import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FormatContext, Packet } from 'node-av/lib'
import { AVERROR_EOF } from 'node-av/constants'
import { streetScene, writeSampleClip } from '@oko/samples'
import { PacketRing, Source, setFfmpegLogLevel, writeClip } from '@oko/source'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// A generated clip with a known moving object (the walker enters at 1.0 s), cut from the packet
// ring as a camera would: no re-encoding, checked by decoding the result with FFmpeg (node-av).
let dir: string
let clip: string
const FPS = 10

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oko-clips-'))
  setFfmpegLogLevel('quiet')
  clip = join(dir, 'street.mp4')
  writeSampleClip(clip, streetScene({ width: 320, height: 180, fps: FPS }), { gopFrames: 10 })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Every video packet of a file: time (µs from its start) and a hash of its bytes. */
async function packetsOf(path: string): Promise<{ ptsUs: number; hash: string }[]> {
  const fc = new FormatContext()
  fc.allocContext()
  expect(await fc.openInput(path)).toBeGreaterThanOrEqual(0)
  await fc.findStreamInfo(null)
  const tb = fc.streams[0]!.timeBase
  const pkt = new Packet()
  pkt.alloc()
  const out: { ptsUs: number; hash: string }[] = []
  while (fc.readFrameSync(pkt) !== AVERROR_EOF) {
    out.push({ ptsUs: Math.round((Number(pkt.pts) * tb.num * 1e6) / tb.den), hash: createHash('sha1').update(pkt.data!).digest('hex') })
    pkt.unref()
  }
  pkt.free()
  await fc.closeInput()
  fc.freeContext()
  return out
}

describe('clips from the packet ring', () => {
  it('an event at 2.5 s with 1.5 s before and 2 s after: the clip starts at or before the object appears, lasts as asked, decodes to its frame count, same packets', async () => {
    const source = await Source.open(clip, { id: 'street' })
    const ring = new PacketRing({ seconds: 4 })
    source.recordPackets(ring)
    const eventUs = 2_500_000, preUs = 1_500_000, postUs = 2_000_000
    let info
    try {
      for await (const frame of source.frames()) {
        // the camera moves on; once the ring holds the post-roll, the clip is cut
        if (frame.ptsUs >= eventUs + postUs) {
          const window = ring.window(eventUs - preUs, eventUs + postUs)
          try {
            info = await writeClip(join(dir, 'event.mp4'), window)
          } finally {
            window.free()
          }
          break
        }
      }
    } finally {
      ring.close()
      await source.close()
    }
    expect(info).toBeDefined()
    // GOPs of 1 s: the keyframe at or before 1.0 s starts it; the walker enters at 1.0 s
    expect(info!.startPtsUs).toBe(1_000_000)
    expect(info!.startPtsUs).toBeLessThanOrEqual(eventUs - preUs)
    expect(info!.endPtsUs).toBe(eventUs + postUs - 100_000)
    expect(info!.packets).toBe(35)
    // FFmpeg plays it back: every packet a frame
    const played = await Source.open(join(dir, 'event.mp4'), { id: 'clip' })
    let frames = 0
    for await (const _f of played.frames()) frames++
    await played.close()
    expect(frames).toBe(35)
    // not re-encoded: the clip's packets are the original's, byte for byte
    const original = await packetsOf(clip)
    const cut = await packetsOf(join(dir, 'event.mp4'))
    const from = original.findIndex((p) => p.ptsUs === info!.startPtsUs)
    expect(cut.map((p) => p.hash)).toEqual(original.slice(from, from + 35).map((p) => p.hash))
    expect(cut[0]!.ptsUs).toBe(0)
  })

  it('bounds the ring by seconds and bytes in whole GOPs, and says why a clip cannot be made', async () => {
    const ring = new PacketRing({ seconds: 2 })
    expect(() => ring.window(0, 1_000_000)).toThrow('no keyframe received yet')
    const source = await Source.open(clip, { id: 'street' })
    source.recordPackets(ring)
    let maxSpanUs = 0
    for await (const _f of source.frames()) maxSpanUs = Math.max(maxSpanUs, ring.spanUs)
    await source.close()
    // 2 s kept in GOPs of 1 s: never more than 2 s plus the GOP being filled
    expect(maxSpanUs).toBeLessThanOrEqual(2_900_000)
    const w = ring.window(0, 1_000_000)
    expect(w.packets[0]!.key).toBe(true)
    w.free()
    expect(() => ring.window(60_000_000, 61_000_000)).toThrow('before the clip\'s start')
    ring.close()
    expect(() => new PacketRing({ seconds: 0 })).toThrow('options.seconds')
  })
})
