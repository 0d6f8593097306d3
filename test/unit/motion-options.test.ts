import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '@oko/core'
import { motionStage, resolveMotionOptions } from '@oko/motion'

const square = [{ x: 0.1, y: 0.1 }, { x: 0.4, y: 0.1 }, { x: 0.4, y: 0.4 }, { x: 0.1, y: 0.4 }]

function optionError(value: unknown): InvalidOptionError {
  try {
    resolveMotionOptions(value)
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError)
    return error as InvalidOptionError
  }
  throw new Error('expected an InvalidOptionError')
}

describe('motion options', () => {
  it('fills defaults', () => {
    const o = resolveMotionOptions({})
    expect(o).toMatchObject({ processingHeight: 180, threshold: 18, minFrames: 2, masks: [], zones: [], learningRate: 0.02 })
    expect(o.tamper).toMatchObject({ frozenMs: 5000, coveredMs: 2000, movedMs: 6000 })
    expect(resolveMotionOptions(undefined).processingHeight).toBe(180)
    expect(resolveMotionOptions({ tamper: false }).tamper).toBe(false)
  })

  it.each([
    [{ threshold: 300 }, 'options.threshold', /expected an integer in \[1, 254\], received 300 \(number\)/],
    [{ threshold: Number.NaN }, 'options.threshold', /received NaN/],
    [{ processingHeight: 8 }, 'options.processingHeight', /\[16, 2160\]/],
    [{ processingHeight: 180.5 }, 'options.processingHeight', /integer/],
    [{ learningRate: 0 }, 'options.learningRate', /\(0, 0.5\]/],
    [{ learningRate: Infinity }, 'options.learningRate', /received Infinity/],
    [{ minRegionArea: -0.1 }, 'options.minRegionArea', /\[0, 1\]/],
    [{ minFrames: 0 }, 'options.minFrames', /\[1, 1000\]/],
    [{ lightingChange: 2 }, 'options.lightingChange', /\(0, 1\]/],
    [{ noiseGain: '3' }, 'options.noiseGain', /received "3" \(string\)/],
    [{ treshold: 20 }, 'options.treshold', /unknown option; did you mean "threshold"\?/],
    [{ masks: {} }, 'options.masks', /expected an array/],
    [{ masks: [[{ x: 0, y: 0 }, { x: 1, y: 0 }]] }, 'options.masks[0]', /at least 3 points, received 2/],
    [{ masks: [[{ x: 0, y: 0 }, { x: 1.5, y: 0 }, { x: 1, y: 1 }]] }, 'options.masks[0][1].x', /expected a number in \[0, 1\], received 1.5/],
    [{ masks: [[{ x: 0, y: 0 }, { x: 1, y: -0.2 }, { x: 1, y: 1 }]] }, 'options.masks[0][1].y', /received -0.2/],
    [{ zones: [{ polygon: square }] }, 'options.zones[0].name', /non-empty string/],
    [{ zones: [{ name: 'door', polygon: square, threshold: 0 }] }, 'options.zones[0].threshold', /\[1, 254\]/],
    [{ zones: [{ name: 'door', polygon: square, minScore: 1.5 }] }, 'options.zones[0].minScore', /\[0, 1\]/],
    [{ zones: [{ name: 'door', polygon: square }, { name: 'door', polygon: square }] }, 'options.zones[1].name', /unique/],
    [{ zones: [{ name: 'door', polygon: [{ x: 2, y: 0 }, { x: 0, y: 1 }, { x: 1, y: 1 }] }] }, 'options.zones[0].polygon[0].x', /received 2/],
    [{ tamper: { frozenMs: -1 } }, 'options.tamper.frozenMs', /\[0, 86400000\]/],
    [{ tamper: { movedCorrelation: 3 } }, 'options.tamper.movedCorrelation', /\[-1, 1\]/],
    [{ tamper: true }, 'options.tamper', /expected an object/],
    [{ module: {} }, 'options.module', /KernelModule/],
  ])('rejects %j naming %s', (value, option, message) => {
    const error = optionError(value)
    expect(error.option).toBe(option)
    expect(error.code).toBe('ERR_INVALID_OPTION')
    expect(error.message).toMatch(message)
    expect(error.message.startsWith(`${option}: `)).toBe(true)
  })

  it('accepts zones with their own sensitivity', () => {
    const o = resolveMotionOptions({ threshold: 30, zones: [{ name: 'door', polygon: square, threshold: 12 }, { name: 'street', polygon: square }] })
    expect(o.zones.map((z) => [z.name, z.threshold, z.minScore])).toEqual([['door', 12, 0], ['street', 30, 0]])
  })

  it('validates stage options when the stage is made', async () => {
    await expect(motionStage({ threshold: -1 })).rejects.toThrow(/options.threshold/)
    await expect(motionStage({ eventIntervalMs: -5 })).rejects.toThrow(/options.eventIntervalMs/)
    await (await motionStage({ eventIntervalMs: 250 })).close()
  })
})
