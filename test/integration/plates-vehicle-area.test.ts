// The plate stage behind a stage that copied only an area of the frame (the objects stage copies
// its search area): a vehicle box reaching beyond that area (the tracker's box of a car at its
// edge) is read within the pixels held, never an error event. Real PlateReader on its thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineStage, type OkoEvent, type Rect, type Track } from '@oko/core'
import { InferencePool, Pipeline, workerStage } from '@oko/pipeline'
import { PlateReader, plateStage } from '@oko/plates'
import { drawPlate } from '@oko/samples'
import type EchoWorker from '../fixtures/workers/echo.mjs'
import { ImageSource } from '../helpers/stage.js'

type Echo = typeof EchoWorker
const echoUrl = new URL('../fixtures/workers/echo.mjs', import.meta.url)
const AREA: Rect = { x: 0, y: 0, width: 640, height: 360 }
let reader: PlateReader
beforeAll(async () => { reader = await PlateReader.create({ workers: 1, countries: ['ua'] }) })
afterAll(async () => { await reader?.close() })

describe('plates within a copied area', () => {
  it('a vehicle box 40 px beyond the area the earlier stage copied is read inside it: no error, a plate read per car', async () => {
    const pool = await InferencePool.create<Echo>({ worker: echoUrl, threads: 1, init: {} })
    try {
      // a 1280×720 frame with a plate at (300, 250): the car's box reaches past the area's right edge
      const image = drawPlate('AB1234CE', 1280, 720, 300, 250, 4, 60)
      const area = workerStage<Echo>({ name: 'area', pool, prepare: (envelope, tools) => ({ job: { frame: tools.own(envelope, [AREA]) } }), finish: (_, envelope) => envelope })
      const carBox: Rect = { x: 260, y: 180, width: 420, height: 200 }
      const vehicles = defineStage({
        name: 'vehicles',
        process(envelope) {
          const seq = envelope.frame.seq
          const car: Track = { id: 'car-1', label: 'car', box: carBox, state: 'confirmed', score: 0.9, firstSeq: 1, lastSeenSeq: seq, velocity: { x: 0, y: 0 }, attributes: {} }
          envelope.tracks.push(car)
          return envelope
        },
      })
      const plates = await plateStage({ reader, within: 'vehicles', snapshot: false })
      const run = Pipeline.from(new ImageSource('cam', Array.from({ length: 6 }, () => image), 5)).pipe(area).pipe(vehicles).pipe(plates).run()
      const events: OkoEvent[] = []
      for await (const e of run.events) events.push(e)
      const summary = await run.completion
      await plates.close()
      expect(events.filter((e) => e.type === 'error')).toEqual([])
      expect(summary.errors).toBe(0)
      const read = events.filter((e) => e.type === 'plate')
      expect(read.map((e) => [(e as { text: string }).text, (e as { objectId?: string }).objectId])).toEqual([['AB1234CE', 'car-1']])
    } finally {
      await pool.close()
    }
  }, 120_000)
})
