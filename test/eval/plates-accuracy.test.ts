import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PlateEngine, evaluateCrops, evaluateFolder, resolveReaderOptions, type EvaluationSummary } from '@oko/plates'
import { decodeImage } from '@oko/source'
import { evaluationDataDir } from '../helpers/data.js'

// Accuracy floors on whole sets, just below what was measured (see the plates README section):
// a regression fails. Each set is read with the countries its cameras would be configured for.
// Skipped with a message where the data folder is missing; CI=true makes that a failure.
const data = evaluationDataDir()
const sets = [
  { name: 'openalpr-eu', countries: ['europe'], exact: 0.9, exactO0: 0.98, characters: 0.98, detection: 0.99, falsePerImage: 0.33 },
  { name: 'openalpr-us', countries: ['north-america'], exact: 0.8, exactO0: 0.8, characters: 0.92, detection: 0.94, falsePerImage: 0.58 },
  { name: 'nomeroff-ua', countries: ['ua'], exact: 0.99, exactO0: 0.99, characters: 0.99, falsePerImage: 0.05 },
] as const

describe.skipIf(!data)('plate accuracy on the evaluation sets', () => {
  for (const set of sets) {
    describe(set.name, () => {
      let engine: PlateEngine
      let summary: EvaluationSummary
      beforeAll(async () => {
        const dir = join(data!, 'plates', set.name)
        expect(existsSync(dir), `${dir} is missing`).toBe(true)
        engine = await PlateEngine.create(resolveReaderOptions({ countries: [...set.countries] }))
        summary = (await evaluateFolder(dir, (file) => decodeImage(file), (image) => engine.read(image))).summary
      }, 600_000)
      afterAll(() => engine?.close())

      it('reads whole plates exactly', () => {
        expect(summary.errors).toBe(0)
        expect(summary.exactAccuracy).toBeGreaterThanOrEqual(set.exact)
        expect(summary.exactAccuracyO0).toBeGreaterThanOrEqual(set.exactO0)
      })
      it('reads characters', () => {
        expect(summary.characterAccuracy).toBeGreaterThanOrEqual(set.characters)
      })
      it('reads little else (stickers, frames, overlays)', () => {
        expect(summary.falsePositivesPerImage).toBeLessThanOrEqual(set.falsePerImage)
      })
      if ('detection' in set) {
        it('finds the plates (IoU >= 0.5)', () => {
          expect(summary.detectionRate).toBeGreaterThanOrEqual(set.detection)
        })
      }
    })
  }
})

// Format (country) classification on nomeroff-net's labelled crops, every format enabled: the
// country of the matched format against the label, where a built-in format covers the label.
describe.skipIf(!data)('plate crops: country of the matched format, and text', () => {
  let engine: PlateEngine
  beforeAll(async () => {
    engine = await PlateEngine.create(resolveReaderOptions())
  })
  afterAll(() => engine?.close())
  const read = async (image: Parameters<PlateEngine['read']>[0]) => (await engine.read(image, { crop: true }))[0]

  it('nomeroff-country-crops: UA, RU, KZ, BY crops matched to their country', async () => {
    const e = await evaluateCrops(join(data!, 'plates', 'nomeroff-country-crops'), (file) => decodeImage(file), read)
    expect(e.withCountry).toBe(10)
    expect(e.countryCorrect).toBeGreaterThanOrEqual(10)
  }, 120_000)
  it('nomeroff-ocr-crops: text read exactly', async () => {
    const e = await evaluateCrops(join(data!, 'plates', 'nomeroff-ocr-crops'), (file) => decodeImage(file), read)
    expect(e.withText).toBe(4)
    expect(e.textExact).toBeGreaterThanOrEqual(3)
  }, 120_000)
})

if (!data) {
  describe('plate accuracy', () => {
    it.skip('evaluation data not found: set OKO_DATA to the data folder (../shared/data)', () => {})
  })
}
