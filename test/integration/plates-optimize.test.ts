import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import ort from 'onnxruntime-node'
import { optimizeModel } from '@oko/onnx'
import { defaultModelPaths, plateClassesOf } from '@oko/plates'

// The rewritten default models must compute what the originals do (up to float rounding).
const paths = defaultModelPaths()
const options = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' } as const

async function run(bytes: Uint8Array, dims: number[]): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes, options)
  try {
    const input = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i * 0.37) * Math.cos(i * 0.011) * 0.9)
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) })
    return out[session.outputNames[0]!]!
  } finally {
    await session.release()
  }
}

describe('optimizeModel', () => {
  it('folds the recogniser and keeps only the plate classes, with the same restricted probabilities', async () => {
    const bytes = readFileSync(paths.recognizer)
    const dictionary = ['', ...readFileSync(paths.dictionary, 'utf8').split(/\r?\n/).filter((l, i, a) => i < a.length - 1 || l !== ''), ' ']
    const classOf = plateClassesOf(dictionary)
    const keep = [0, ...classOf]
    const { bytes: optimized, report } = optimizeModel(bytes, keep)
    expect(report).toEqual({ foldedAffine: 56, hardSwish: 28, keptClasses: 37 })
    const dims = [1, 3, 48, 200]
    const [full, pruned] = [await run(bytes, dims), await run(optimized, dims)]
    const [, steps, classes] = full.dims as number[]
    expect(pruned.dims).toEqual([1, steps, 37])
    const a = full.data as Float32Array
    const b = pruned.data as Float32Array
    let worst = 0
    for (let t = 0; t < steps!; t++) {
      let sum = 0
      for (const c of keep) sum += a[t * classes! + c]!
      keep.forEach((c, j) => { worst = Math.max(worst, Math.abs(a[t * classes! + c]! / sum - b[t * 37 + j]!)) })
    }
    expect(worst).toBeLessThan(1e-5)
  })

  it('folds the detector without changing its probability map', async () => {
    const bytes = readFileSync(paths.detector)
    const { bytes: optimized, report } = optimizeModel(bytes)
    expect(report.foldedAffine).toBeGreaterThan(0)
    expect(report.hardSwish).toBe(24)
    expect(report.keptClasses).toBeUndefined()
    const dims = [1, 3, 96, 160]
    const [a, b] = [(await run(bytes, dims)).data as Float32Array, (await run(optimized, dims)).data as Float32Array]
    expect(b.length).toBe(a.length)
    let worst = 0
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!))
    expect(worst).toBeLessThan(1e-4)
  })

  it('leaves a graph without the patterns as it was', () => {
    const bytes = readFileSync(paths.recognizer)
    const { bytes: once } = optimizeModel(bytes)
    const { report } = optimizeModel(once)
    expect(report).toEqual({ foldedAffine: 0, hardSwish: 0 })
  })

  it('throws on bytes that are not a model', () => {
    expect(() => optimizeModel(new TextEncoder().encode('not a model at all, just text'))).toThrow()
  })
})
