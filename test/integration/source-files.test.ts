import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OkoError, type Frame, type SourceNotice } from '@oko/core'
import { SceneRenderer, streetScene, writeSampleClip } from '@oko/samples'
import { Source, probe, setFfmpegLogLevel, type SourceFrame, type SourceOptions } from '@oko/source'
import { Codec, CodecContext, FormatContext, Frame as AvFrame, Packet } from 'node-av/lib'
import { AVMEDIA_TYPE_VIDEO } from 'node-av/constants'
import { evaluationDataDir } from '../helpers/data.js'

// 100 frames at 25 fps, a keyframe every 25 frames (4 keyframes), no B-frames.
const SCENE = { ...streetScene({ width: 320, height: 240, fps: 25 }), frames: 100 }
let dir: string
const clip = (name: string): string => join(dir, name)

beforeAll(() => {
  setFfmpegLogLevel('quiet')
  dir = mkdtempSync(join(tmpdir(), 'oko-source-'))
  for (const ext of ['mp4', 'mkv', 'ts']) writeSampleClip(clip(`street.${ext}`), SCENE, { gopFrames: 25 })
  writeSampleClip(clip('small.ts'), { ...streetScene({ width: 160, height: 120, fps: 25 }), frames: 30 }, { gopFrames: 25 })
  writeSampleClip(clip('main.mp4'), { ...streetScene({ width: 640, height: 480, fps: 25 }), frames: 50 }, { gopFrames: 25 })
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Run { frames: Pick<Frame, 'seq' | 'ptsUs' | 'width' | 'height' | 'format'>[]; events: SourceNotice[]; source: Source }

async function readAll(url: string, options: SourceOptions = {}, check?: (frame: Frame) => void): Promise<Run> {
  const source = await Source.open(url, options)
  const events: SourceNotice[] = []
  const frames: Run['frames'] = []
  try {
    for await (const frame of source.frames({ onEvent: (e) => events.push(e) })) {
      check?.(frame)
      frames.push({ seq: frame.seq, ptsUs: frame.ptsUs, width: frame.width, height: frame.height, format: frame.format })
    }
  } finally {
    await source.close()
  }
  return { frames, events, source }
}

/** Every frame of a file decoded with node-av directly: Y, U, V packed to their widths. */
function decodeWithNodeAv(path: string): Buffer[][] {
  const fc = new FormatContext()
  fc.allocContext()
  const frames: Buffer[][] = []
  if (fc.openInputSync(path, null, null) < 0 || fc.findStreamInfoSync(null) < 0) throw new Error(`cannot open ${path}`)
  const index = fc.findBestStream(AVMEDIA_TYPE_VIDEO)
  const par = fc.streams[index]!.codecpar
  const codec = Codec.findDecoder(par.codecId)!
  const cc = new CodecContext()
  cc.allocContext3(codec)
  cc.parametersToContext(par)
  cc.open2Sync(codec, null)
  const pkt = new Packet()
  pkt.alloc()
  const frame = new AvFrame()
  frame.alloc()
  for (let end = false; !end;) {
    end = fc.readFrameSync(pkt) < 0
    if (!end && pkt.streamIndex !== index) { pkt.unref(); continue }
    cc.sendPacketSync(end ? null : pkt)
    pkt.unref()
    while (cc.receiveFrameSync(frame) >= 0) {
      const whole = frame.toBuffer() // av_image_copy_to_buffer, align 1
      const y = frame.width * frame.height
      const c = (frame.width / 2) * (frame.height / 2)
      frames.push([whole.subarray(0, y), whole.subarray(y, y + c), whole.subarray(y + c, y + 2 * c)])
      frame.unref()
    }
  }
  frame.free()
  pkt.free()
  cc.freeContext()
  fc.closeInputSync()
  fc.freeContext()
  return frames
}

const states = (events: SourceNotice[]): string[] => events.flatMap((e) => (e.type === 'source' ? [e.state] : []))
const increasing = (xs: number[]): boolean => xs.every((x, i) => i === 0 || x > xs[i - 1]!)

describe('Source on generated H.264 files', () => {
  it.each(['mp4', 'mkv', 'ts'])('decodes every frame of a .%s with increasing timestamps', async (ext) => {
    const { frames, events, source } = await readAll(clip(`street.${ext}`))
    expect(frames).toHaveLength(100)
    expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    expect(increasing(frames.map((f) => f.ptsUs))).toBe(true)
    expect(frames[1]!.ptsUs - frames[0]!.ptsUs).toBe(40_000)
    expect(frames[0]).toMatchObject({ width: 320, height: 240, format: 'yuv420p' })
    expect(states(events)).toEqual(['playing', 'ended'])
    expect(source.stats()).toMatchObject({ framesDecoded: 100, framesDelivered: 100, corruptPackets: 0, state: 'ended' })
    expect(source.cameraId).toBe(`street.${ext}`)
  })

  it('yields the decoded planes: the Y plane matches the rendered scene', async () => {
    const renderer = new SceneRenderer(SCENE)
    const expected = new Uint8Array(320 * 240)
    let worst = 0
    await readAll(clip('street.mp4'), { id: 'cam-1' }, (frame) => {
      expect(frame.cameraId).toBe('cam-1')
      expect(frame.planes).toHaveLength(3)
      expect(frame.strides[0]).toBeGreaterThanOrEqual(320)
      expect(frame.planes[0]!.length).toBe(frame.strides[0]! * 240)
      expect(frame.planes[1]!.length).toBe(frame.strides[1]! * 120)
      renderer.renderLuma(frame.seq - 1, expected)
      let error = 0
      const y = frame.planes[0]!
      for (let r = 0; r < 240; r++) for (let c = 0; c < 320; c++) error += Math.abs(y[r * frame.strides[0]! + c]! - expected[r * 320 + c]!)
      worst = Math.max(worst, error / (320 * 240))
    })
    expect(worst).toBeLessThan(8)
  })

  it('yields every plane byte for byte as the decoder made it, in memory that outlives the source', async () => {
    const decoded = decodeWithNodeAv(clip('street.mkv'))
    const source = await Source.open(clip('street.mkv'))
    let i = 0
    let last: Frame | undefined
    for await (const frame of source.frames()) {
      const want = decoded[i++]!
      for (let p = 0; p < 3; p++) {
        const rows = p === 0 ? 240 : 120
        const cols = p === 0 ? 320 : 160
        for (let r = 0; r < rows; r++) {
          const got = frame.planes[p]!.subarray(r * frame.strides[p]!, r * frame.strides[p]! + cols)
          expect(Buffer.compare(got, want[p]!.subarray(r * cols, (r + 1) * cols))).toBe(0)
        }
      }
      last = frame
    }
    expect(i).toBe(100)
    await source.close()
    // borrowed, yet never freed memory: a frame kept past close() still reads (the last frame's pixels)
    expect(Buffer.compare(last!.planes[0]!.subarray(0, 320), decoded[99]![0]!.subarray(0, 320))).toBe(0)
  })

  it('copies the luma straight into memory the reader owns (copyLumaTo), while the frame is current', async () => {
    const decoded = decodeWithNodeAv(clip('street.mp4'))
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 2 })
    const dst = new Uint8Array(memory.buffer, 4096, 320 * 240)
    const source = await Source.open(clip('street.mp4'))
    let i = 0
    let previous: SourceFrame | undefined
    for await (const f of source.frames()) {
      const frame = f as SourceFrame
      expect(previous?.copyLumaTo(dst) ?? false).toBe(false) // no longer current
      expect(frame.copyLumaTo(new Uint8Array(100))).toBe(false) // too small
      expect(frame.copyLumaTo.call(Object.create(frame) as SourceFrame, dst)).toBe(false) // only the frame itself
      expect(frame.copyLumaTo(dst)).toBe(true)
      expect(Buffer.compare(dst, decoded[i++]![0]!)).toBe(0)
      // copies of the frame are plain data (the planes read, no copyLumaTo); reading the planes
      // makes them the frame: from then on they are read instead
      const copy: Record<string, unknown> = { ...frame }
      expect(copy.copyLumaTo).toBeUndefined()
      const cloned = structuredClone(frame) as unknown as SourceFrame
      expect({ ...cloned, planes: [] }).toEqual({ ...copy, planes: [] })
      // (byte comparison: a deep toEqual of three planes per frame takes seconds on a loaded machine)
      expect(cloned.planes.every((p, k) => Buffer.compare(p, frame.planes[k]!) === 0)).toBe(true)
      expect(frame.copyLumaTo(dst)).toBe(false)
      expect(Buffer.compare(frame.planes[0]!, dst)).toBe(0)
      previous = frame
    }
    expect(i).toBe(100)
    await source.close()
    expect(previous!.copyLumaTo(dst)).toBe(false)
  })

  it('drops frames over the fps target before conversion, and counts them', async () => {
    const { frames, source } = await readAll(clip('street.mp4'), { fps: 5 })
    expect(frames).toHaveLength(20)
    expect(frames.map((f) => f.seq).slice(0, 3)).toEqual([1, 6, 11])
    expect(source.stats()).toMatchObject({ framesDecoded: 100, framesDelivered: 20, framesDroppedByRate: 80 })
    const ten = await readAll(clip('street.ts'), { fps: 10 })
    expect(ten.frames).toHaveLength(40)
    expect(ten.source.stats().framesDroppedByRate).toBe(60)
  })

  it('decodes keyframes only, skipping the other packets before the decoder', async () => {
    const { frames, source } = await readAll(clip('street.mp4'), { keyframesOnly: true })
    expect(frames).toHaveLength(4)
    expect(frames.map((f) => f.ptsUs)).toEqual([0, 1_000_000, 2_000_000, 3_000_000])
    expect(source.stats()).toMatchObject({ framesDecoded: 4, packetsSkipped: 96 })
  })

  it('scales and converts in FFmpeg', async () => {
    const scaled = await readAll(clip('street.mp4'), { scale: { height: 120 } }, (f) => {
      expect(f.planes).toHaveLength(3)
      expect(f.strides[0]).toBeGreaterThanOrEqual(160)
    })
    expect(scaled.frames[0]).toMatchObject({ width: 160, height: 120, format: 'yuv420p' })
    const gray = await readAll(clip('street.mp4'), { scale: { height: 60, width: 80 }, format: 'gray8', fps: 5 }, (f) => {
      expect(f.planes).toHaveLength(1)
    })
    expect(gray.frames).toHaveLength(20)
    expect(gray.frames[0]).toMatchObject({ width: 80, height: 60, format: 'gray8' })
    const luma = await readAll(clip('street.mp4'), { format: 'gray8', fps: 5 }, (f) => {
      expect(f.planes).toHaveLength(1)
      expect(f.planes[0]!.length).toBe(f.strides[0]! * 240)
    })
    expect(luma.frames[0]).toMatchObject({ width: 320, height: 240, format: 'gray8' })
    const rgb = await readAll(clip('street.ts'), { format: 'rgb24', keyframesOnly: true }, (f) => {
      expect(f.planes[0]!.length).toBeGreaterThanOrEqual(320 * 3 * 240)
    })
    expect(rgb.frames[0]).toMatchObject({ width: 320, height: 240, format: 'rgb24' })
  })

  it('decodes the same on the thread pool (asyncDecode)', async () => {
    const { frames } = await readAll(clip('street.mkv'), { asyncDecode: true, threads: 2 })
    expect(frames).toHaveLength(100)
  })

  it('loops a file with timestamps that keep increasing', async () => {
    const source = await Source.open(clip('small.ts'), { loop: true })
    const pts: number[] = []
    const events: SourceNotice[] = []
    for await (const frame of source.frames({ onEvent: (e) => events.push(e) })) {
      pts.push(frame.ptsUs)
      if (pts.length === 75) break
    }
    expect(increasing(pts)).toBe(true)
    expect(pts[30]! - pts[29]!).toBe(40_000)
    expect(states(events)).toEqual(['playing'])
    await source.close()
  })

  it('runs many sources at once in one process', async () => {
    const runs = await Promise.all(['mp4', 'mkv', 'ts', 'mp4', 'ts', 'mkv'].map((ext, i) => readAll(clip(`street.${ext}`), { id: `cam-${i}` })))
    expect(runs.map((r) => r.frames.length)).toEqual([100, 100, 100, 100, 100, 100])
  })

  it('reports a resolution change mid-stream and frames carry the new size', async () => {
    writeFileSync(clip('change.ts'), Buffer.concat([readFileSync(clip('small.ts')), readFileSync(clip('street.ts'))]))
    const { frames, events, source } = await readAll(clip('change.ts'))
    expect(frames).toHaveLength(130)
    expect(frames[29]).toMatchObject({ width: 160, height: 120 })
    expect(frames[30]).toMatchObject({ width: 320, height: 240 })
    expect(increasing(frames.map((f) => f.ptsUs))).toBe(true)
    expect(source.stats().resolutionChanges).toBe(1)
    expect(events.some((e) => e.type === 'source' && e.detail === 'resolution changed from 160x120 to 320x240')).toBe(true)
  })

  it('stops cleanly when the reader breaks, and close() is idempotent', async () => {
    const source = await Source.open(clip('street.mp4'))
    let n = 0
    for await (const _ of source.frames()) if (++n === 10) break
    expect(source.stats().framesDelivered).toBe(10)
    await Promise.all([source.close(), source.close()])
    await source[Symbol.asyncDispose]()
    await expect(async () => { for await (const _ of source.frames()) break }).rejects.toMatchObject({ code: 'ERR_CLOSED' })
  })

  it('ends a suspended reader when the source closes under it', async () => {
    const source = await Source.open(clip('street.mp4'), { scale: { height: 60 } })
    const it = source.frames()[Symbol.asyncIterator]()
    expect((await it.next()).value).toMatchObject({ seq: 1, height: 60 })
    await source.close()
    expect((await it.next()).done).toBe(true)
  })

  it('allows one reader at a time and stops on abort', async () => {
    const source = await Source.open(clip('street.mp4'))
    const controller = new AbortController()
    const it1 = source.frames({ signal: controller.signal })[Symbol.asyncIterator]()
    await it1.next()
    await expect(source.frames()[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    controller.abort()
    expect((await it1.next()).done).toBe(true)
    await source.close()
  })
})

describe('Source main stream (sharp crops)', () => {
  it('snapshots the latest main-stream frame, cropped from detect-stream coordinates', async () => {
    const source = await Source.open(clip('street.mp4'), { main: clip('main.mp4') })
    const main = source.main!
    expect(main).toBeDefined()
    for (let i = 0; i < 200 && main.stats().gopPackets === 0; i++) await new Promise((r) => setTimeout(r, 10))
    const crop = await main.snapshot({ rect: { x: 40, y: 30, width: 100, height: 50 }, relativeTo: { width: 320, height: 240 } })
    expect(crop).toMatchObject({ width: 200, height: 100, format: 'rgb24' })
    expect(crop!.data.length).toBe(200 * 100 * 3)
    const full = await main.snapshot({ format: 'gray8' })
    expect(full).toMatchObject({ width: 640, height: 480 })
    expect(full!.data.length).toBe(640 * 480)
    expect(main.stats().snapshots).toBe(2)
    await source.close()
    await expect(main.snapshot()).rejects.toMatchObject({ code: 'ERR_CLOSED' })
  })
})

describe('Source on bad input', () => {
  it('names a missing file', async () => {
    const missing = join(dir, 'nope.mp4')
    await expect(Source.open(missing)).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND', message: expect.stringContaining(missing) })
    await expect(probe(missing)).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND' })
  })

  it('rejects a file that is not a video, and one whose codec has no decoder', async () => {
    writeFileSync(clip('notes.mp4'), 'this is not a video\n'.repeat(100))
    await expect(Source.open(clip('notes.mp4'), { id: 'gate' })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', message: expect.stringMatching(/camera "gate": cannot read .*notes\.mp4/) })
    const bytes = readFileSync(clip('street.mp4'))
    const at = bytes.lastIndexOf('avc1')
    expect(at).toBeGreaterThan(0)
    bytes.write('zzzz', at, 'latin1')
    writeFileSync(clip('unknown.mp4'), bytes)
    await expect(Source.open(clip('unknown.mp4'))).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED', message: expect.stringContaining('which this FFmpeg build cannot decode') })
  })

  it('rejects a truncated mp4 (no index) clearly, and decodes a truncated ts up to where it stops', async () => {
    const mp4 = readFileSync(clip('street.mp4'))
    writeFileSync(clip('half.mp4'), mp4.subarray(0, mp4.length >> 1))
    await expect(Source.open(clip('half.mp4'))).rejects.toBeInstanceOf(OkoError)
    await expect(Source.open(clip('half.mp4'))).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    const ts = readFileSync(clip('street.ts'))
    writeFileSync(clip('half.ts'), ts.subarray(0, (ts.length >> 1) + 77))
    const { frames, events } = await readAll(clip('half.ts'))
    expect(frames.length).toBeGreaterThan(30)
    expect(frames.length).toBeLessThan(80)
    expect(states(events).at(-1)).toBe('ended')
  })

  it('counts corrupt data as non-fatal error events and keeps decoding', async () => {
    const ts = Buffer.from(readFileSync(clip('street.ts')))
    let seed = 12345
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let k = 0; k < 40; k++) {
      const at = 4000 + Math.floor(random() * (ts.length - 8000))
      for (let i = 0; i < 64; i++) ts[at + i] = Math.floor(random() * 256)
    }
    writeFileSync(clip('corrupt.ts'), ts)
    const { frames, events, source } = await readAll(clip('corrupt.ts'))
    expect(frames.length).toBeGreaterThan(50)
    const errors = events.filter((e) => e.type === 'error')
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((e) => e.type === 'error' && !e.fatal && e.error.code === 'ERR_DECODE')).toBe(true)
    const s = source.stats()
    expect(s.corruptPackets + s.damagedFrames).toBeGreaterThan(0)
    expect(states(events).at(-1)).toBe('ended')
  })
})

describe('probe', () => {
  it('lists container, duration and streams', async () => {
    const result = await probe(clip('street.mp4'))
    expect(result).toMatchObject({ live: false, container: expect.stringContaining('mp4'), durationMs: 4000, videoStream: 0 })
    expect(result.streams[0]).toMatchObject({ type: 'video', codec: 'h264', width: 320, height: 240, fps: 25, pixelFormat: 'yuv420p', frames: 100 })
  })
})

const data = evaluationDataDir()
describe.skipIf(!data)('Source on the shared camera footage', () => {
  it.each([
    ['opencv-vtest.avi', 'msmpeg4v3', 795, 768, 576, 'yuv420p'],
    ['opencv-tree.avi', 'cinepak', 68, 320, 240, 'yuv420p'], // decoded as rgb24, converted once for the stages
    ['ru-yard-cam-1.ts', 'h264', 120, 1920, 1080, 'yuv420p'],
  ])('%s (%s): %i frames', async (name, codec, count, width, height, format) => {
    const { frames, source } = await readAll(join(data!, 'video', name))
    expect(source.info).toMatchObject({ codec, width, height })
    expect(frames).toHaveLength(count)
    expect(frames[0]).toMatchObject({ width, height, format })
    expect(increasing(frames.map((f) => f.ptsUs))).toBe(true)
  })

  it('converts Cinepak to yuv420p when asked, and keyframes-only on real H.264', async () => {
    const tree = await readAll(join(data!, 'video', 'opencv-tree.avi'), { format: 'yuv420p', scale: { height: 120 } })
    expect(tree.frames[0]).toMatchObject({ width: 160, height: 120, format: 'yuv420p' })
    const yard = await readAll(join(data!, 'video', 'ru-yard-cam-2.ts'), { keyframesOnly: true })
    expect(yard.frames.length).toBeGreaterThan(0)
    expect(yard.frames.length).toBe(yard.source.stats().framesDecoded)
    expect(yard.frames.length + yard.source.stats().packetsSkipped).toBeGreaterThanOrEqual(110)
  })
})
