import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RgbImage } from '@oko/core'
import { PlateEngine, resolveReaderOptions } from '@oko/plates'
import { drawText } from '@oko/samples'

// The training smoke test: a few hundred synthetic plates, a few steps, export to ONNX, and the
// exported model read by onnxruntime-node through the plate reader. It does not retrain the
// shipped weights. Needs Debian's python3-torch (training/plates/setup.sh, which .ci/run calls).
const training = resolve(import.meta.dirname, '../../training/plates')
const python = '/usr/bin/python3'
const ready = existsSync(python) && spawnSync(python, ['-c', 'import torch, onnx, cv2, PIL'], { stdio: 'ignore' }).status === 0
  && existsSync(join(training, '.cache/fonts'))
if (!ready && process.env.CI === 'true') throw new Error('training tools missing: run training/plates/setup.sh (python3-torch, onnx, fonts)')

describe.skipIf(!ready)('plate recogniser training (smoke)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oko-plates-train-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('trains a few steps, checkpoints, resumes, exports ONNX that the reader loads and runs', async () => {
    const run = join(dir, 'run')
    const train = () => execFileSync(python, [join(training, 'train.py'), '--run', run, '--smoke'], { encoding: 'utf8', env: { ...process.env, OKO_DATA: '/nonexistent' } })
    expect(train()).toMatch(/"step": 6,/)
    // A second invocation resumes from last.pt instead of starting over.
    expect(train()).toMatch(/resumed .*last\.pt at step 6[\s\S]*"step": 12,/)
    const onnx = join(dir, 'rec.onnx')
    const out = JSON.parse(execFileSync(python, [join(training, 'export.py'), join(run, 'best.pt'), onnx], { encoding: 'utf8' }).trim().split('\n').at(-1)!)
    expect(out.bytes).toBeLessThan(8 * 1024 * 1024)
    expect(readFileSync(join(dir, 'rec.txt'), 'utf8').split('\n').filter(Boolean)).toHaveLength(36)

    const engine = await PlateEngine.create(resolveReaderOptions({
      recognizer: { model: onnx, dictionary: join(dir, 'rec.txt'), heightPx: 32, minWidthPx: 128, maxWidthPx: 128, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channelOrder: 'rgb', stretchContrast: false },
      secondRecognizer: false,
      minConfidence: 0,
      minChars: 1,
      countries: ['us'],
    }))
    try {
      const image: RgbImage = { data: new Uint8Array(200 * 60 * 3).fill(230), width: 200, height: 60, format: 'rgb24' }
      drawText(image, 'AB1234', 10, 10, 4)
      // Six steps teach nothing: this checks the model runs and decodes, not what it reads.
      const read = await engine.read(image, { crop: true })
      expect(Array.isArray(read)).toBe(true)
    } finally {
      await engine.close()
    }
  }, 120_000)
})
