import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { streetScene, writeSampleClip } from '@oko/samples'
import { Source, captureFfmpegLog, type FfmpegMessage } from '@oko/source'

// FFmpeg prints hundreds of lines to stderr for one damaged clip; through oko they are
// attributed to the camera, rate-limited and counted.
let dir: string
const BIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url))

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oko-ffmpeg-log-'))
  writeSampleClip(join(dir, 'clean.ts'), { ...streetScene({ width: 320, height: 240, fps: 25 }), frames: 100 })
  // bytes flipped in the frame data (never in a TS packet header), at fixed places
  const bytes = readFileSync(join(dir, 'clean.ts'))
  let x = 7
  for (let i = 0; i < 300; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    const at = 4000 + (x % (bytes.length - 4000))
    if (at % 188 > 4) bytes[at]! ^= 0x55
  }
  writeFileSync(join(dir, 'damaged.ts'), bytes)
  writeFileSync(join(dir, 'deploy.yaml'), 'cameras:\n  - { id: clean, url: clean.ts }\n  - { id: broken, url: damaged.ts }\n')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function readAll(source: Source): Promise<number> {
  let n = 0
  for await (const _ of source.frames()) n++
  await source.close()
  return n
}

describe("FFmpeg's own log through oko", () => {
  it('attributes each line to its camera, rate-limits it and counts it', async () => {
    const messages: FfmpegMessage[] = []
    const started = Date.now()
    const capture = captureFfmpegLog({ level: 'warning', onMessage: (m) => messages.push(m) })
    try {
      expect(() => captureFfmpegLog({ onMessage: () => {} })).toThrow(/already captured in this process/)
      // opened one after the other (two opens in flight at once could not be told apart), read side by side
      const clean = await Source.open(join(dir, 'clean.ts'), { id: 'clean' })
      const broken = await Source.open(join(dir, 'damaged.ts'), { id: 'broken' })
      await Promise.all([readAll(clean), readAll(broken)])
      await new Promise((resolve) => setTimeout(resolve, 100)) // the last lines cross threads
    } finally {
      capture.close()
    }
    const counts = capture.counts()
    expect(Object.keys(counts)).toEqual(['broken'])
    const total = Object.values(counts.broken!).reduce((a, n) => a + n!, 0)
    expect(total).toBeGreaterThan(10)
    expect(messages.every((m) => m.cameraId === 'broken' && m.text.length > 0)).toBe(true)
    // at most one a second per camera and level, the rest folded in and counted
    const seconds = Math.ceil((Date.now() - started) / 1000)
    expect(messages.length).toBeLessThanOrEqual(2 * seconds)
    expect(messages.length + messages.reduce((a, m) => a + m.suppressed, 0)).toBeLessThanOrEqual(total)
    // closed: stderr gets FFmpeg's log back, and a new capture may start
    captureFfmpegLog({ onMessage: () => {} }).close()
  })

  it('oko run prints them as its own lines, by camera, with counts in the summary: nothing raw on stderr', () => {
    const r = spawnSync(process.execPath, [BIN, 'run', join(dir, 'deploy.yaml')], { encoding: 'utf8', env: { PATH: process.env.PATH } })
    expect(r.status).toBe(0)
    const lines = r.stderr.trimEnd().split('\n')
    const ours = /^(oko run: ffmpeg (error|fatal) \[broken\]: |done after |dropped: |latency ms: |  (clean|broken): \d+ frames|ffmpeg messages: broken \d+ error$)/
    expect(lines.filter((l) => !ours.test(l))).toEqual([])
    expect(lines.filter((l) => l.startsWith('oko run: ffmpeg')).length).toBeGreaterThan(0)
    expect(lines.filter((l) => l.startsWith('oko run: ffmpeg')).length).toBeLessThan(5)
    expect(r.stderr).toMatch(/\nffmpeg messages: broken \d+ error\n$/)
  })

  it('a capture closed with lines still queued: the process exits cleanly, no marker of its own on stderr', () => {
    // node-av aborts a process that exits (or resets the callback) with a line still in its queue
    // the capture closes while the source's first read is still out on libuv's pool
    const script = `import { Source, captureFfmpegLog } from '@oko/source'
      const capture = captureFfmpegLog({ onMessage: () => {} })
      const source = await Source.open(${JSON.stringify(join(dir, 'clean.ts'))}, { id: 'cam-a' })
      let n = 0
      for await (const _ of source.frames()) { if (n++ === 0) capture.close() }
      await source.close()
      console.log(n)`
    const r = spawnSync(process.execPath, ['--conditions', 'oko-source', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout.trim()).toBe('100')
  })

  it('a capture closed right after FFmpeg logged a line: the process still exits cleanly', () => {
    const script = `import { captureFfmpegLog } from '@oko/source'
      import { Log } from 'node-av'
      const capture = captureFfmpegLog({ onMessage: () => {} })
      Log.log(16, 'a line as FFmpeg logs it')
      capture.close()`
    const cwd = fileURLToPath(new URL('../../packages/source', import.meta.url))
    const r = spawnSync(process.execPath, ['--conditions', 'oko-source', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })
})
