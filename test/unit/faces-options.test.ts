import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '@oko/core'
import { FaceAnalyzer, FaceDetector, FaceEmbedder, FacePool, checkFaceStageOptions, faceStage } from '@oko/faces'

describe('faces options are checked before any model loads', () => {
  it('names the option and the fix', async () => {
    await expect(FaceDetector.create({ minConfidense: 0.5 } as never)).rejects.toThrow(/options.minConfidense: unknown option; did you mean "minConfidence"/)
    await expect(FaceDetector.create({ minConfidence: 3 })).rejects.toThrow('options.minConfidence: expected a number in [0, 1], received 3 (number)')
    await expect(FaceDetector.create({ inputSizePx: 300 })).rejects.toThrow(/multiple of 32/)
    await expect(FaceDetector.create({ model: 'yolo' as never })).rejects.toThrow(/options.model: expected one of "tiny", "ssd"/)
    await expect(FaceDetector.create({ model: { onnx: 'x.onnx', kind: 'retina' as never } })).rejects.toThrow(/options.model.kind/)
    await expect(FaceDetector.create({ quality: { maxYawDeg: 120 } })).rejects.toThrow(/options.quality.maxYawDeg/)
    await expect(FaceDetector.create({ backend: 'gpu' as never })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(FaceEmbedder.create({ model: { onnx: 'e.onnx', layout: 'chw' as never } })).rejects.toThrow(/options.model.layout/)
    await expect(FaceEmbedder.create({ batchSize: 0 })).rejects.toThrow(/options.batchSize/)
    await expect(FaceAnalyzer.create({ detecter: {} } as never)).rejects.toThrow(/did you mean "detector"/)
    await expect(FacePool.create({ threads: 0 })).rejects.toThrow(/options.threads/)
    await expect(faceStage({ trackTimeoutMs: -1 })).rejects.toThrow(/options.trackTimeoutMs/)
    await expect(faceStage({ cropProvider: 'main' as never })).rejects.toThrow(/options.cropProvider/)
    expect(() => checkFaceStageOptions({ everyNthFrame: 0 }, 'stages[1].faces')).toThrow('stages[1].faces.everyNthFrame: expected an integer in [1, Infinity], received 0 (number)')
    expect(() => checkFaceStageOptions({ watchlist: 'list.okofaces' }, 'faces')).toThrow(/faces.watchlist: expected a Watchlist/)
    expect(checkFaceStageOptions({}).snapshots).toBe(true)
  })

  it('reports a missing ONNX model file by name', async () => {
    await expect(FaceDetector.create({ model: { onnx: '/nonexistent/yunet.onnx', kind: 'yunet' } })).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND', message: expect.stringContaining('/nonexistent/yunet.onnx') })
  })
})
