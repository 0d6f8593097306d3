import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { promisify } from 'node:util'
import type { OkoEvent } from '@oko/core'
import { motionStage } from '@oko/motion'
import { Pipeline } from '@oko/pipeline'
import { EventEncoder } from '@oko/sinks'
import { streetScene, writeSampleClip } from '@oko/samples'
import { Source, setFfmpegLogLevel } from '@oko/source'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '@oko/cli'

// Real parts: clips generated with @oko/samples, decoded by @oko/source (node-av), gated by @oko/motion (WASM).
let dir: string
let clip: string
let frames: number

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oko-pipeline-'))
  setFfmpegLogLevel('quiet')
  const scene = streetScene({ width: 320, height: 180, fps: 10 })
  clip = join(dir, 'street.mp4')
  writeSampleClip(clip, scene, { gopFrames: 20 })
  frames = scene.frames
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function capture(): { stream: PassThrough; bytes: () => Buffer } {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c))
  return { stream, bytes: () => Buffer.concat(chunks) }
}

describe('pipeline over real decoded clips', () => {
  it('Pipeline.from([two cameras]).pipe(motionStage) decodes every frame and reports motion per camera', async () => {
    const a = await Source.open(clip, { id: 'a' })
    const b = await Source.open(clip, { id: 'b' })
    try {
      const run = Pipeline.from([a, b]).pipe(() => motionStage()).run()
      const events: OkoEvent[] = []
      for await (const e of run.events) events.push(e)
      const summary = await run.completion
      expect(summary.cameras.a!.framesIn).toBe(frames)
      expect(summary.cameras.b!.framesIn).toBe(frames)
      expect(summary.errors).toBe(0)
      expect(summary.droppedTotal).toBe(0)
      // Same clip, own detector per camera: identical motion events per camera.
      const motion = (id: string) => events.filter((e) => e.type === 'motion' && e.cameraId === id).map((e) => (e as { seq?: number }).seq)
      expect(motion('a').length).toBeGreaterThan(0)
      expect(motion('a')).toEqual(motion('b'))
      expect(summary.cameras.a!.gated + summary.cameras.a!.outputs).toBe(frames)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('oko run writes JSON lines to stdout, and msgpack to a file, for a config of cameras', async () => {
    const config = join(dir, 'deploy.yaml')
    writeFileSync(config, `cameras:\n  - id: street\n    url: street.mp4\n  - id: missing\n    url: nope.mp4\nstages:\n  - motion: { threshold: 18 }\n`)
    const out = capture()
    const err = capture()
    const code = await main(['run', config], { stdout: out.stream, stderr: err.stream })
    expect(code).toBe(1) // one camera failed to open
    const events = EventEncoder.decode(out.bytes(), 'jsonl')
    expect(events.find((e) => e.type === 'error')).toMatchObject({ cameraId: 'missing', stage: 'source' })
    expect(events.filter((e) => e.type === 'motion' && e.cameraId === 'street').length).toBeGreaterThan(0)
    expect(err.bytes().toString()).toContain(`${frames} frames in`)

    const file = join(dir, 'events.msgpack')
    const code2 = await main(['run', config, '--output', file, '--format', 'msgpack', '--quiet'], { stdout: capture().stream, stderr: capture().stream })
    expect(code2).toBe(1)
    const packed = EventEncoder.decode(readFileSync(file), 'msgpack')
    expect(packed.filter((e) => e.type === 'motion').map((e) => e.seq)).toEqual(events.filter((e) => e.type === 'motion').map((e) => e.seq))
  })

  it('oko run gives every event a unique string id, also across two processes running at once', async () => {
    const config = join(dir, 'ids.yaml')
    writeFileSync(config, `cameras:\n  - id: street\n    url: street.mp4\nstages: [motion]\n`)
    const cli = join(import.meta.dirname, '../../packages/cli/dist/bin.js')
    const runOnce = () => promisify(execFile)(process.execPath, [cli, 'run', config, '--quiet'], { maxBuffer: 1 << 26 })
    const outputs = await Promise.all([runOnce(), runOnce()])
    const perProcess = outputs.map(({ stdout }) => EventEncoder.decode(Buffer.from(stdout), 'jsonl'))
    for (const events of perProcess) {
      expect(events.length).toBeGreaterThan(3)
      expect(events.every((e) => typeof e.id === 'string' && e.id.length === 26 && e.v === 1)).toBe(true)
    }
    const ids = perProcess.flat().map((e) => e.id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('oko run --check validates and says what would run', async () => {
    const config = join(dir, 'check.yaml')
    writeFileSync(config, `cameras:\n  - { id: a, url: street.mp4 }\n  - { id: b, url: "rtsp://10.0.0.9/sub" }\noutput: out.jsonl\n`)
    const out = capture()
    expect(await main(['run', config, '--check'], { stdout: out.stream, stderr: capture().stream })).toBe(0)
    expect(out.bytes().toString()).toBe(`${config}: ok, 2 camera(s) [a, b], stages [motion], events to ${join(dir, 'out.jsonl')} (jsonl)\n`)
  })

  it('oko run --stats prints live stats lines; a bad --stats is a usage error', async () => {
    const config = join(dir, 'stats.yaml')
    writeFileSync(config, `cameras:\n  - { id: a, url: street.mp4 }\n`)
    const err = capture()
    expect(await main(['run', config, '--stats', '0'], { stdout: capture().stream, stderr: err.stream })).toBe(2)
    expect(err.bytes().toString()).toBe('oko run: --stats: expected a number of seconds > 0, received "0"\n')
  })

  it('oko run names an events file it cannot write (exit 3) and a write that failed (exit 1), without crashing', async () => {
    const config = join(dir, 'out.yaml')
    writeFileSync(config, `cameras:\n  - { id: a, url: street.mp4 }\n`)
    const err = capture()
    const nowhere = join(dir, 'no-such-folder', 'events.jsonl')
    expect(await main(['run', config, '--output', nowhere], { stdout: capture().stream, stderr: err.stream })).toBe(3)
    expect(err.bytes().toString()).toBe(`oko run: cannot write events to ${nowhere} (ENOENT); give a file in an existing, writable folder (--output <file> or the config's output)\n`)
    const closed = new PassThrough()
    closed.write = () => { closed.emit('error', new Error('EPIPE')); return false }
    const err2 = capture()
    expect(await main(['run', config, '--quiet'], { stdout: closed, stderr: err2.stream })).toBe(1)
    expect(err2.bytes().toString()).toBe('oko run: cannot write events to stdout: EPIPE [ERR_DATA]\n')
  })

  it('oko run rejects a bad config with the line and the fix (exit 2)', async () => {
    const config = join(dir, 'bad.yaml')
    writeFileSync(config, `cameras:\n  - id: a\n    url: street.mp4\n  - id: b\n    url: 42\n`)
    const err = capture()
    expect(await main(['run', config], { stdout: capture().stream, stderr: err.stream })).toBe(2)
    expect(err.bytes().toString()).toBe('oko run: cameras[1].url (line 5): expected a non-empty string, received 42 (number); give the detect stream (the low-resolution sub-stream): rtsp://user:pass@host:554/path, or a video file path [ERR_INVALID_OPTION]\n')
  })
})
