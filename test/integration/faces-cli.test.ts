import { mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from '@oko/cli'
import { FaceAnalyzer } from '@oko/faces'
import { type RgbImage } from '@oko/core'
import { toRgb } from '@oko/imaging'
import { decodeImage } from '@oko/source'
import { oko } from '../helpers/cli.js'

const demo = join(dirname(createRequire(join(process.cwd(), 'packages/faces/package.json')).resolve('@vladmandic/face-api/package.json')), 'demo')

describe('oko eval faces', () => {
  it('explains wrong arguments with usage and input exit codes', async () => {
    expect((await oko('eval', 'faces')).code).toBe(ExitCode.usage)
    const missing = await oko('eval', 'faces', '/nonexistent/faces')
    expect(missing.code).toBe(ExitCode.input)
    expect(missing.stderr).toMatch(/not found: \/nonexistent\/faces/)
    const bad = await oko('eval', 'faces', tmpdir(), '--threshold', 'abc')
    expect(bad.code).toBe(ExitCode.usage)
    expect(bad.stderr).toMatch(/--threshold expects a number/)
    expect((await oko('eval', 'faces', tmpdir(), '--detector', 'yolo')).stderr).toMatch(/--detector expects tiny or ssd/)
  })

  it('scores a pairs file and prints JSON without descriptors; unusable photos are listed, not fatal', async () => {
    // Face crops cut from a demo photo, written as PPM: the same person twice (shifted) is a "Yes" pair.
    const dir = mkdtempSync(join(tmpdir(), 'oko-faces-cli-'))
    const group = decodeImage(join(demo, 'sample1.jpg'), { format: 'rgb24' }) as RgbImage
    const analyzer = await FaceAnalyzer.create()
    const faces = (await analyzer.analyze(group)).filter((f) => f.descriptor)
    await analyzer.close()
    const crop = (i: number, shift: number, name: string) => {
      const b = faces[i]!.box
      const c = toRgb(group, { x: b.x - b.width / 2 + shift, y: b.y - b.height / 2, width: b.width * 2, height: b.height * 2 })
      writeFileSync(join(dir, name), Buffer.concat([Buffer.from(`P6\n${c.width} ${c.height}\n255\n`), Buffer.from(c.data)]))
    }
    crop(0, 0, 'a.ppm'); crop(0, 6, 'a2.ppm'); crop(1, 0, 'b.ppm')
    writeFileSync(join(dir, 'pairs.csv'), ['file_x,file_y,Decision', 'a.ppm,a2.ppm,Yes', 'a.ppm,b.ppm,No', `${join(demo, 'sample1.jpg')},a.ppm,Yes`, 'a.ppm,missing.png,No', ''].join('\n'))
    const r = await oko('eval', 'faces', join(dir, 'pairs.csv'), '--json')
    expect(r.code).toBe(ExitCode.ok)
    const report = JSON.parse(r.stdout)
    expect(report).toMatchObject({ mode: 'pairs', verification: { pairs: 2, genuine: 1, impostor: 1, accuracy: 1 } })
    expect(report.failed.map((f: { file: string }) => f.file.split('/').pop()).sort()).toEqual(['missing.png', 'sample1.jpg'])
    expect(r.stdout).not.toMatch(/descriptor/)
    const text = await oko('eval', 'faces', join(dir, 'pairs.csv'))
    expect(text.stdout).toMatch(/verification \(1 genuine, 1 impostor pairs\): accuracy 100.0%/)
  })
})
