import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExitCode } from '@oko/cli'
import { oko } from '../helpers/cli.js'

// `oko eval motion` as a user runs it, on a small CDnet-layout sequence made here: a textured
// background with a bright box moving across it (JPEG input, PNG ground truth via the ffmpeg CLI).

const W = 160
const H = 120
const FRAMES = 90
let dir: string
const ffmpeg = spawnSync('ffmpeg', ['-version']).status === 0

function writeImages(pattern: string, pixels: Uint8Array, count: number): void {
  const raw = join(dir, 'tmp.raw')
  writeFileSync(raw, pixels)
  const args = ['-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${W}x${H}`, '-i', raw]
  const r = spawnSync('ffmpeg', [...args, ...(count > 1 ? ['-start_number', '1'] : ['-frames:v', '1']), '-q:v', '2', pattern])
  if (r.status !== 0) throw new Error(r.stderr.toString())
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oko-cdnet-'))
  if (!ffmpeg) return
  mkdirSync(join(dir, 'input'))
  mkdirSync(join(dir, 'groundtruth'))
  const input = new Uint8Array(W * H * FRAMES)
  const truth = new Uint8Array(W * H * FRAMES)
  for (let f = 0; f < FRAMES; f++) {
    const bx = (f - 45) * 2
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = f * W * H + y * W + x
        const inBox = f >= 45 && x >= bx && x < bx + 24 && y >= 40 && y < 80
        input[i] = inBox ? 230 : 70 + ((x * 7 + y * 13) % 40)
        truth[i] = inBox ? 255 : 0
      }
    }
  }
  writeImages(join(dir, 'input', 'in%06d.jpg'), input, FRAMES)
  writeImages(join(dir, 'groundtruth', 'gt%06d.png'), truth, FRAMES)
  writeImages(join(dir, 'ROI.bmp'), new Uint8Array(W * H).fill(255), 1)
  writeFileSync(join(dir, 'temporalROI.txt'), `41 ${FRAMES}\n`)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('oko eval motion', () => {
  it.skipIf(!ffmpeg)('scores a CDnet-layout folder and prints JSON', async () => {
    const { code, stdout, stderr } = await oko('eval', 'motion', dir, '--json', '--no-peer')
    expect(stderr).toBe('')
    expect(code).toBe(ExitCode.ok)
    const r = JSON.parse(stdout)
    expect(r).toMatchObject({ frames: FRAMES, scoredFrames: 50, width: W, height: H })
    expect(r.metrics.recall).toBeGreaterThan(0.9)
    // the 3×3 blur before the background test grows a moving edge by one pixel: 1088 vs 960 px
    expect(r.metrics.precision).toBeGreaterThan(0.85)
    expect(r.metrics.pwc).toBeLessThan(2)
    expect(r.fps).toBeGreaterThan(0)
    expect(r.mog2).toBeUndefined()
  })

  it.skipIf(!ffmpeg)('prints a table with the metrics', async () => {
    const { code, stdout } = await oko('eval', 'motion', dir, '--no-peer')
    expect(code).toBe(ExitCode.ok)
    expect(stdout).toMatch(/recall +precision +F +FPR +FNR +PWC %/)
    expect(stdout).toMatch(/oko motion/)
  })

  it('names what is missing in a folder that is not a CDnet sequence', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'oko-empty-'))
    const notCdnet = await oko('eval', 'motion', empty)
    expect(notCdnet.code).toBe(ExitCode.input)
    expect(notCdnet.stderr).toMatch(/is not a CDnet sequence: input is missing/)
    rmSync(empty, { recursive: true })
    const missing = await oko('eval', 'motion', join(empty, 'nope'))
    expect(missing.code).toBe(ExitCode.input)
    expect(missing.stderr).toMatch(/folder not found/)
    const usage = await oko('eval', 'motion')
    expect(usage.code).toBe(ExitCode.usage)
    expect(usage.stderr).toMatch(/expected exactly one folder/)
  })
})
