import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OkoError } from '@oko/core'
import { SceneRenderer, streetScene } from '@oko/samples'

export interface BenchClip {
  readonly path: string
  readonly width: number
  readonly height: number
  readonly frames: number
  readonly fps: number
}

/**
 * A street-scene clip (the samples' scene: a walker, a car, a lighting change) rendered in JS and
 * encoded to H.264 by the ffmpeg command line (libx264, no B-frames, keyframe every 2 s, like a
 * camera). Cached in the temp folder by size and length.
 */
export async function benchClip(height: 1080 | 720 | 360, frames: number, dir = join(tmpdir(), 'oko-bench')): Promise<BenchClip> {
  const width = Math.round((height * 16) / 9 / 2) * 2
  const fps = 25
  const path = join(dir, `street-${height}p-${frames}.mp4`)
  const clip = { path, width, height, frames, fps }
  if (existsSync(path)) return clip
  mkdirSync(dir, { recursive: true })
  const scene = { ...streetScene({ width, height, fps }), frames }
  const renderer = new SceneRenderer(scene)
  const partial = `${path}.part.mp4`
  const ffmpeg = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-r', String(fps), '-i', '-',
    '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', String(fps * 2), '-b:v', `${Math.round((width * height * fps * 0.1) / 1000)}k`, partial,
  ], { stdio: ['pipe', 'ignore', 'pipe'] })
  let stderr = ''
  ffmpeg.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  let gone = false
  const exited = new Promise<number>((resolve, reject) => {
    ffmpeg.once('error', (e) => { gone = true; reject(new OkoError('ERR_UNSUPPORTED', `the bench clips are encoded with the ffmpeg command line: install it (apt-get install ffmpeg); ${e.message}`, { cause: e })) })
    ffmpeg.once('close', (code) => { gone = true; resolve(code ?? 1) })
  })
  // `exited` is awaited after the writes; until then a missing or failed ffmpeg must not be an
  // unhandled rejection or an unhandled EPIPE on its stdin (both killed the process)
  exited.catch(() => undefined)
  ffmpeg.stdin.on('error', () => undefined)
  const pixels = Buffer.alloc((width * height * 3) / 2)
  for (let i = 0; i < frames && !gone; i++) {
    renderer.renderYuv420(i, pixels)
    if (!ffmpeg.stdin.write(pixels)) await Promise.race([new Promise((resolve) => ffmpeg.stdin.once('drain', resolve)), exited.catch(() => undefined)])
  }
  ffmpeg.stdin.end()
  const code = await exited
  if (code !== 0) throw new OkoError('ERR_DATA', `ffmpeg could not encode the bench clip ${path}: ${stderr.trim()}`)
  renameSync(partial, path)
  return clip
}
