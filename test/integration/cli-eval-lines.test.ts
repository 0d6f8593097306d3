import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { oko } from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'oko-eval-lines-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('oko eval lines: bad input', () => {
  it('needs --line, a valid line and a CDnet folder, and says which', async () => {
    const noLine = await oko('eval', 'lines', dir)
    expect(noLine.code).toBe(2)
    expect(noLine.stderr).toMatch(/--line x1,y1,x2,y2 is required/)
    const badLine = await oko('eval', 'lines', dir, '--line', '0.1,0.5,0.9')
    expect(badLine.code).not.toBe(0)
    expect(badLine.stderr).toMatch(/--line/)
    const notCdnet = await oko('eval', 'lines', dir, '--line', '0.1,0.5,0.9,0.5')
    expect(notCdnet.code).not.toBe(0)
    expect(notCdnet.stderr).toMatch(/is not a CDnet sequence: input is missing/)
    const missing = await oko('eval', 'lines', join(dir, 'absent'), '--line', '0.1,0.5,0.9,0.5')
    expect(missing.code).toBe(3)
  })
})
