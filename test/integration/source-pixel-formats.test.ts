import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineStage, type OkoEvent } from '@oko/core'
import { frameToImage } from '@oko/imaging'
import { motionStage } from '@oko/motion'
import { Pipeline } from '@oko/pipeline'
import { Source, probe, setFfmpegLogLevel } from '@oko/source'
import { oko } from '../helpers/cli.js'
import { writeFormatClip } from '../helpers/format-clips.js'

// Cameras and files send whatever pixel format their codec decodes to; every one must reach every
// stage with the planes it reads (motion: a luma plane; model stages: RGB from yuv420p).
const CLIPS = [
  { encoder: 'cinepak', pixelFormat: 'rgb24', ext: 'avi', auto: 'yuv420p' }, // like opencv-tree.avi
  { encoder: 'qtrle', pixelFormat: 'rgb24', ext: 'mov', auto: 'yuv420p' },
  { encoder: 'rawvideo', pixelFormat: 'bgr24', ext: 'avi', auto: 'yuv420p' },
  { encoder: 'rawvideo', pixelFormat: 'rgba', ext: 'nut', auto: 'yuv420p' },
  { encoder: 'png', pixelFormat: 'pal8', ext: 'mkv', auto: 'yuv420p' },
  { encoder: 'ffv1', pixelFormat: 'yuv422p', ext: 'mkv', auto: 'yuv420p' },
  { encoder: 'mjpeg', pixelFormat: 'yuvj422p', ext: 'avi', auto: 'yuv420p' }, // MJPEG cameras
  { encoder: 'mjpeg', pixelFormat: 'yuvj420p', ext: 'avi', auto: 'yuv420p' },
  { encoder: 'libx264', pixelFormat: 'yuv444p', ext: 'mp4', auto: 'yuv420p' },
  { encoder: 'libx265', pixelFormat: 'yuv420p10le', ext: 'mkv', auto: 'yuv420p' }, // 10-bit HEVC
  { encoder: 'ffv1', pixelFormat: 'gray', ext: 'mkv', auto: 'gray8' },
  { encoder: 'ffv1', pixelFormat: 'gray16le', ext: 'mkv', auto: 'gray8' }, // thermal cameras
  { encoder: 'rawvideo', pixelFormat: 'nv12', ext: 'nut', auto: 'nv12' },
] as const

let dir: string
const file = (c: (typeof CLIPS)[number]): string => join(dir, `${c.encoder}-${c.pixelFormat}.${c.ext}`)

beforeAll(() => {
  setFfmpegLogLevel('error')
  dir = mkdtempSync(join(tmpdir(), 'oko-formats-'))
  for (const c of CLIPS) writeFormatClip(file(c), c)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('every pixel format FFmpeg decodes reaches the stages', () => {
  it.each(CLIPS)('$pixelFormat ($encoder): frames in $auto, motion found, no errors', async (clip) => {
    const decoded = await probe(file(clip))
    expect(decoded.streams[decoded.videoStream]!.pixelFormat).toBe(clip.pixelFormat)
    const passThrough = clip.pixelFormat === clip.auto || clip.pixelFormat === 'yuvj420p' || (clip.pixelFormat === 'gray' && clip.auto === 'gray8')
    expect(decoded.decoding).toEqual(passThrough ? { decodable: true, format: clip.auto } : { decodable: true, format: clip.auto, from: clip.pixelFormat })

    const source = await Source.open(file(clip), { id: 'cam' })
    const formats = new Set<string>()
    const counted = { motion: 0, error: 0, moved: 0 }
    const run = Pipeline.from(source).pipe(defineStage({
      name: 'look',
      process: (e) => { formats.add(e.frame.format); return e },
    })).pipe(() => motionStage()).pipe(defineStage({
      name: 'rgb',
      // what the model stages do with a frame that passed the gate
      process: (e) => {
        expect(frameToImage(e.frame).format).toMatch(/^(rgb24|gray8)$/)
        counted.moved++
        return undefined
      },
    })).run()
    for await (const e of run.events as AsyncIterable<OkoEvent>) if (e.type === 'motion' || e.type === 'error') counted[e.type]++
    const summary = await run.completion
    await source.close()
    expect([...formats]).toEqual([clip.auto])
    expect(summary.framesIn).toBe(20)
    expect(counted.error).toBe(0)
    expect(counted.motion).toBeGreaterThan(0)
    expect(counted.moved).toBeGreaterThan(10) // the square moves in every frame
  })

  it('an explicit format is kept: rgb24 frames from an rgb24 decoder, gray8 from any', async () => {
    for (const [clip, format] of [[CLIPS[0], 'rgb24'], [CLIPS[5], 'gray8'], [CLIPS[4], 'bgr24']] as const) {
      const source = await Source.open(file(clip), { format })
      for await (const frame of source.frames()) {
        expect(frame.format).toBe(format)
        expect(frame.planes[0]!.byteLength).toBeGreaterThanOrEqual(frame.width * frame.height * (format === 'gray8' ? 1 : 3))
        break
      }
      await source.close()
    }
  })

  it('oko probe says when FFmpeg converts, and when oko cannot decode a stream at all', async () => {
    const rgb = await oko('probe', file(CLIPS[0]))
    expect(rgb.stdout).toContain('#0 video cinepak  160x120  10 fps  rgb24  20 frames  ← decoded by oko (rgb24 converted once by FFmpeg to yuv420p)')
    const nv12 = await oko('probe', file(CLIPS[12]))
    expect(nv12.stdout).toContain('#0 video rawvideo  160x120  10 fps  nv12  ← decoded by oko\n')
    // an AVI whose codec FFmpeg does not know: its FOURCC replaced
    writeFormatClip(join(dir, 'mpeg4.avi'), { encoder: 'mpeg4', pixelFormat: 'yuv420p' })
    const bytes = readFileSync(join(dir, 'mpeg4.avi'))
    for (let i = bytes.indexOf('FMP4'); i >= 0; i = bytes.indexOf('FMP4', i + 1)) bytes.write('ZZZZ', i)
    writeFileSync(join(dir, 'unknown.avi'), bytes)
    const unknown = await oko('probe', join(dir, 'unknown.avi'))
    expect(unknown.stdout).toContain('← oko cannot decode it: video codec unknown (tag "ZZZZ"), which this FFmpeg build cannot decode')
    expect(unknown.stdout).not.toContain('decoded by oko')
    await expect(Source.open(join(dir, 'unknown.avi'), { id: 'old-dvr' })).rejects.toMatchObject({
      code: 'ERR_UNSUPPORTED', message: `camera "old-dvr": ${join(dir, 'unknown.avi')} has video codec unknown (tag "ZZZZ"), which this FFmpeg build cannot decode`,
    })
  })
})
