import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { evaluationDataDir } from '../helpers/data.js'

describe('evaluationDataDir', () => {
  const present = mkdtempSync(join(tmpdir(), 'oko-data-'))
  const absent = join(present, 'nope')

  it('reads OKO_DATA, else ../shared/data from the working directory', () => {
    expect(evaluationDataDir({ OKO_DATA: present }, '/')).toBe(present)
    expect(evaluationDataDir({ OKO_DATA: '.' }, present)).toBe(present)
    expect(evaluationDataDir({}, join(present, 'repo'))).toBeUndefined()
  })

  it('skips (undefined) where the folder is missing, fails under CI=true naming the fix', () => {
    expect(evaluationDataDir({ OKO_DATA: absent })).toBeUndefined()
    expect(() => evaluationDataDir({ OKO_DATA: absent, CI: 'true' })).toThrow(/evaluation data not found at .*nope: set OKO_DATA/)
  })
})
