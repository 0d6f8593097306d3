import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Scaler } from 'node-av/api'
import { AV_PIX_FMT_GRAY8 } from 'node-av/constants'
import { Frame } from 'node-av/lib'
import { ExitCode } from '@oko/cli'
import { oko } from '../helpers/cli.js'

// `oko eval motion` as a user runs it, on a small CDnet-layout sequence made here: a textured
// background with a bright box moving across it (JPEG input and PNG ground truth encoded with
// node-av, the ROI as a hand-written BMP).

const W = 160
const H = 120
const FRAMES = 90
let dir: string

/** Writes one grey picture as JPEG or PNG (by extension) with node-av's encoders. */
function writeImage(path: string, pixels: Uint8Array): void {
  const frame = Frame.fromVideoBuffer(Buffer.from(pixels), { width: W, height: H, format: AV_PIX_FMT_GRAY8 })
  const scaler = new Scaler()
  try {
    writeFileSync(path, path.endsWith('.png') ? scaler.toPngSync(frame, { format: 'gray' }) : scaler.toJpegSync(frame, { quality: 95 }))
  } finally {
    scaler.close()
    frame.free()
  }
}

/** A 24-bit BMP of a grey picture (rows bottom-up, padded to 4 bytes). */
function bmp(pixels: Uint8Array): Buffer {
  const rowBytes = (W * 3 + 3) & ~3
  const out = Buffer.alloc(54 + rowBytes * H)
  out.write('BM', 0)
  out.writeUInt32LE(out.length, 2)
  out.writeUInt32LE(54, 10)
  out.writeUInt32LE(40, 14)
  out.writeInt32LE(W, 18)
  out.writeInt32LE(H, 22)
  out.writeUInt16LE(1, 26)
  out.writeUInt16LE(24, 28)
  out.writeUInt32LE(rowBytes * H, 34)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) out.fill(pixels[y * W + x]!, 54 + (H - 1 - y) * rowBytes + x * 3, 54 + (H - 1 - y) * rowBytes + x * 3 + 3)
  }
  return out
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oko-cdnet-'))
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
  const name = (f: number) => String(f + 1).padStart(6, '0')
  for (let f = 0; f < FRAMES; f++) {
    writeImage(join(dir, 'input', `in${name(f)}.jpg`), input.subarray(f * W * H, (f + 1) * W * H))
    writeImage(join(dir, 'groundtruth', `gt${name(f)}.png`), truth.subarray(f * W * H, (f + 1) * W * H))
  }
  writeFileSync(join(dir, 'ROI.bmp'), bmp(new Uint8Array(W * H).fill(255)))
  writeFileSync(join(dir, 'temporalROI.txt'), `41 ${FRAMES}\n`)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('oko eval motion', () => {
  it('scores a CDnet-layout folder and prints JSON', async () => {
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

  it('prints a table with the metrics', async () => {
    const { code, stdout } = await oko('eval', 'motion', dir, '--no-peer')
    expect(code).toBe(ExitCode.ok)
    expect(stdout).toMatch(/recall +precision +F +FPR +FNR +PWC %/)
    expect(stdout).toMatch(/oko motion/)
  })

  it('passes --threshold and --processing-height to the detector, and names a bad value', async () => {
    const coarse = await oko('eval', 'motion', dir, '--json', '--no-peer', '--processing-height', '60', '--threshold', '40')
    expect(coarse.code).toBe(ExitCode.ok)
    const fine = await oko('eval', 'motion', dir, '--json', '--no-peer')
    expect(JSON.parse(coarse.stdout).metrics).not.toEqual(JSON.parse(fine.stdout).metrics)
    const bad = await oko('eval', 'motion', dir, '--threshold', '300')
    expect(bad.code).toBe(ExitCode.usage)
    expect(bad.stderr).toMatch(/options.threshold: expected an integer in \[1, 254\], received 300/)
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
