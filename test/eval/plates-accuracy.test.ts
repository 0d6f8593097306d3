import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluationDataDir } from '@oko/core'
import { PlateEngine, evaluateFolder, resolveReaderOptions, type EvaluationSummary } from '@oko/plates'
import { decodeImage } from '@oko/source'

// Accuracy floors on whole sets, just below what was measured (see the plates README section):
// a regression fails. Each set is read with the countries its cameras would be configured for.
// Skipped with a message where the data folder is missing; CI=true makes that a failure.
const data = evaluationDataDir()
const sets = [
  { name: 'openalpr-eu', countries: ['europe'], exact: 0.86, exactO0: 0.94, characters: 0.96, detection: 0.95 },
  { name: 'openalpr-us', countries: ['north-america'], exact: 0.69, exactO0: 0.69, characters: 0.89, detection: 0.92 },
  { name: 'nomeroff-ua', countries: ['ua'], exact: 0.92, exactO0: 0.92, characters: 0.96 },
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
      if ('detection' in set) {
        it('finds the plates (IoU >= 0.5)', () => {
          expect(summary.detectionRate).toBeGreaterThanOrEqual(set.detection)
        })
      }
    })
  }
})

if (!data) {
  describe('plate accuracy', () => {
    it.skip('evaluation data not found: set OKO_DATA to the data folder (../shared/data)', () => {})
  })
}
