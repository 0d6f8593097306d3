import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { OkoError } from '@oko/core'
import { loadOnnxRuntime, onnxEngine, optimizeModel, sessionOptions, type Ort } from '@oko/onnx'
import { defaultModelPaths } from '@oko/plates'
import { drawPlate } from '@oko/samples'

// @oko/onnx runs onnxruntime-node when it is installed and onnxruntime-web otherwise (npm drops the
// optional native package where its install script cannot download). Both engines must compute the
// same thing. The drop itself, and the one line it prints, are checked on a real npm install in
// pack-install.test.ts.
const run = promisify(execFile)
const root = join(import.meta.dirname, '../..')
const paths = defaultModelPaths()

/** A drawn plate as the models take it: NCHW, each channel scaled to -1..1. */
function plateInput(dims: readonly number[]): Float32Array {
  const [, , h, w] = dims as [number, number, number, number]
  const image = drawPlate('AB1234CE', w, h, 2, 2, Math.max(1, Math.min(Math.floor((h - 4) / 11), Math.floor((w - 4) / 51))))
  const input = new Float32Array(3 * h * w)
  for (let c = 0; c < 3; c++) for (let i = 0; i < h * w; i++) input[c * h * w + i] = image.data[i * 3 + c]! / 127.5 - 1
  return input
}

async function output(ort: Ort, bytes: Uint8Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, sessionOptions())
  try {
    const input = plateInput(dims)
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) })
    return out[session.outputNames[0]!]!.data as Float32Array
  } finally {
    await session.release()
  }
}

describe('the ONNX engine', () => {
  it('is onnxruntime-node when it is installed, with nothing to say', () => {
    expect(onnxEngine).toBe('onnxruntime-node')
    const runtime = loadOnnxRuntime({})
    expect({ engine: runtime.engine, warning: runtime.fallbackWarning }).toEqual({ engine: 'onnxruntime-node', warning: undefined })
  })

  it('is onnxruntime-web when OKO_ONNX_ENGINE asks for it, without a warning', () => {
    const runtime = loadOnnxRuntime({ OKO_ONNX_ENGINE: 'onnxruntime-web' })
    expect({ engine: runtime.engine, warning: runtime.fallbackWarning }).toEqual({ engine: 'onnxruntime-web', warning: undefined })
  })

  it('refuses an unknown OKO_ONNX_ENGINE, naming the variable and the two engines', () => {
    expect(() => loadOnnxRuntime({ OKO_ONNX_ENGINE: 'cuda' })).toThrow(new OkoError('ERR_INVALID_OPTION', 'OKO_ONNX_ENGINE=cuda is not an engine: use onnxruntime-node or onnxruntime-web (or leave it unset)'))
  })

  it('gives the same outputs on both engines: oko\'s plate recogniser and PaddleOCR\'s detector as oko rewrites them', async () => {
    const native = loadOnnxRuntime({}).ort
    const web = loadOnnxRuntime({ OKO_ONNX_ENGINE: 'onnxruntime-web' }).ort
    for (const [bytes, dims] of [[readFileSync(paths.plateRecognizer), [1, 3, 32, 128]], [optimizeModel(readFileSync(paths.detector)).bytes, [1, 3, 96, 192]]] as const) {
      const a = await output(native, bytes, [...dims])
      const b = await output(web, bytes, [...dims])
      expect(b.length).toBe(a.length)
      let worst = 0
      let lo = Infinity
      let hi = -Infinity
      for (let i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs(a[i]! - b[i]!))
        lo = Math.min(lo, a[i]!)
        hi = Math.max(hi, a[i]!)
      }
      expect(hi - lo, 'the outputs vary over the image').toBeGreaterThan(0.1)
      expect(worst, `largest difference ${worst}, range ${hi - lo}`).toBeLessThanOrEqual(1e-4 * (hi - lo))
    }
  })

  it('reads a plate on onnxruntime-web in a process that asked for it (the engine is chosen once per process)', async () => {
    const script = "import { onnxEngine } from '@oko/onnx'; import { PlateEngine, resolveReaderOptions } from '@oko/plates'; import { drawPlate } from '@oko/samples';" +
      " const e = await PlateEngine.create(resolveReaderOptions()); const r = await e.read(drawPlate('AB1234CE', 159, 33, 0, 0, 3)); await e.close(); console.log(onnxEngine, r.map((p) => p.text).join(','))"
    const { stdout, stderr } = await run(process.execPath, ['--conditions', 'oko-source', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, OKO_ONNX_ENGINE: 'onnxruntime-web' } })
    expect({ stdout: stdout.trim(), stderr }).toEqual({ stdout: 'onnxruntime-web AB1234CE', stderr: '' })
  }, 120_000)
})
