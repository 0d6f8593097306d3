import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Watchlist } from '@oko/faces'
import { streetScene, writeSampleClip } from '@oko/samples'
import { writeFormatClip } from '../helpers/format-clips.js'
import type { Seeds } from './inputs.js'

/**
 * The pristine inputs the corruptions start from, all made here (nothing from ../shared): short
 * H.264 clips in mp4, ts and mkv, MJPEG and raw AVI (their headers carry the frame size), stills
 * in JPEG, PNG and BMP, and a face watchlist file.
 */
export function makeSeeds(): Seeds {
  const dir = mkdtempSync(join(tmpdir(), 'oko-fuzz-seeds-'))
  try {
    const scene = { ...streetScene({ width: 160, height: 96, fps: 10 }), frames: 15 }
    for (const ext of ['mp4', 'ts', 'mkv']) writeSampleClip(join(dir, `clip.${ext}`), scene, { gopFrames: 5 })
    writeFormatClip(join(dir, 'mjpeg.avi'), { encoder: 'mjpeg', pixelFormat: 'yuvj420p', width: 64, height: 48, frames: 6 })
    writeFormatClip(join(dir, 'raw.avi'), { encoder: 'rawvideo', pixelFormat: 'bgr24', width: 32, height: 24, frames: 4 })
    writeFormatClip(join(dir, 'still.jpg'), { encoder: 'mjpeg', pixelFormat: 'yuvj420p', width: 64, height: 48, frames: 1 })
    writeFormatClip(join(dir, 'still.png'), { encoder: 'png', pixelFormat: 'rgb24', width: 64, height: 48, frames: 1 })
    writeFormatClip(join(dir, 'still.bmp'), { encoder: 'bmp', pixelFormat: 'bgr24', width: 32, height: 24, frames: 1 })
    const media: Record<string, Uint8Array> = {}
    for (const name of ['clip.mp4', 'clip.ts', 'clip.mkv', 'mjpeg.avi', 'raw.avi', 'still.jpg', 'still.png', 'still.bmp']) media[name] = new Uint8Array(readFileSync(join(dir, name)))
    const watchlist = Watchlist.create({ modelId: 'face-api-128' })
    watchlist.enrol('alice', [Float32Array.from({ length: 128 }, (_, i) => Math.sin(i))])
    watchlist.enrol('bob', [Float32Array.from({ length: 128 }, (_, i) => Math.cos(i)), Float32Array.from({ length: 128 }, (_, i) => Math.cos(i + 1))])
    return { media, faceWatchlist: watchlist.toBytes() }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
