import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { streetScene, writeSampleClip } from '@oko/samples'

const run = promisify(execFile)
const root = join(import.meta.dirname, '../..')

describe('the README example', () => {
  it('is examples/embed-motion.ts, word for word', () => {
    const code = readFileSync(join(root, 'examples/embed-motion.ts'), 'utf8').trim()
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain(code)
  })

  it('runs on a generated clip and prints motion in the door zone', async () => {
    const clip = join(mkdtempSync(join(tmpdir(), 'oko-example-')), 'street.mp4')
    writeSampleClip(clip, streetScene({ width: 320, height: 180, fps: 10 }))
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'embed-motion.ts', clip], { cwd: join(root, 'examples') })
    const motion = stdout.split('\n').filter((l) => l.startsWith('gate-1 motion'))
    expect(motion.length).toBeGreaterThan(3)
    expect(motion.some((l) => l.endsWith('zones [door]'))).toBe(true)
    expect(stdout).toMatch(/framesIn: 120/)
    expect(stdout).toMatch(/droppedTotal: 0/)
  })
})
