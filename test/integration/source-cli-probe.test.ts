import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExitCode } from '@oko/cli'
import { streetScene, writeSampleClip } from '@oko/samples'
import { oko } from '../helpers/cli.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oko-probe-'))
  writeSampleClip(join(dir, 'gate.mkv'), { ...streetScene({ width: 320, height: 240, fps: 25 }), frames: 50 }, { gopFrames: 25 })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('oko probe', () => {
  it('prints codecs, resolution, fps and duration', async () => {
    const { code, stdout } = await oko('probe', join(dir, 'gate.mkv'))
    expect(code).toBe(ExitCode.ok)
    expect(stdout).toContain('(matroska,webm, file)')
    expect(stdout).toMatch(/#0 video h264 {2}320x240 {2}25 fps {2}yuv420p/)
    expect(stdout).toContain('duration: 2.00 s')
  })

  it('prints JSON lines with --json', async () => {
    const { code, stdout } = await oko('probe', join(dir, 'gate.mkv'), '--json')
    expect(code).toBe(ExitCode.ok)
    const result = JSON.parse(stdout.trim())
    expect(result).toMatchObject({ live: false, durationMs: 2000, videoStream: 0 })
    expect(result.streams[0]).toMatchObject({ codec: 'h264', width: 320, height: 240, fps: 25 })
  })

  it('exits 3 naming a missing file, 2 without a URL', async () => {
    const missing = await oko('probe', join(dir, 'nope.mp4'))
    expect(missing.code).toBe(ExitCode.input)
    expect(missing.stderr).toContain('nope.mp4')
    expect((await oko('probe')).code).toBe(ExitCode.usage)
    expect((await oko('probe', 'x.mp4', '--transport', 'http')).code).toBe(ExitCode.usage)
  })
})
