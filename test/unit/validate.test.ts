import { describe, expect, it } from 'vitest'
import { checkKnownKeys, checkNumber, checkOneOf, InvalidOptionError, OkoError, serializeError, deserializeError } from '@oko/core'

describe('option validation', () => {
  it('names the option, the expectation and what was received', () => {
    expect(() => checkNumber('options.motion.threshold', 3, { min: 0, max: 1 })).toThrow(
      'options.motion.threshold: expected a number in [0, 1], received 3 (number)',
    )
    expect(() => checkNumber('options.fps', Number.NaN, { min: 0 })).toThrow(/options.fps: expected a number/)
    expect(() => checkNumber('options.height', 2.5, { integer: true, min: 1, max: 4096 })).toThrow(/expected an integer in \[1, 4096\]/)
    expect(() => checkOneOf('options.overflow', 'drop', ['block', 'drop-oldest'])).toThrow(InvalidOptionError)
  })

  it('suggests the closest known key for a typo', () => {
    expect(() => checkKnownKeys('options', { treshold: 1 }, ['threshold', 'height'])).toThrow(/options.treshold: unknown option; did you mean "threshold"\?/)
  })
})

describe('errors across a worker hop', () => {
  it('keep code, message and cause', () => {
    const error = new OkoError('ERR_MODEL', 'model broken', { cause: new Error('bad magic') })
    const back = deserializeError(structuredClone(serializeError(error)))
    expect(back).toBeInstanceOf(OkoError)
    expect((back as OkoError).code).toBe('ERR_MODEL')
    expect(back.message).toBe('model broken')
    expect((back.cause as Error).message).toBe('bad magic')
  })
})
