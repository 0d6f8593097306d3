import { describe, expect, it } from 'vitest'
import { cutSureEnds } from '@oko/plates'

const reading = (text: string, confidences: number[]) => ({ text, charConfidences: confidences })

describe('second look at a plate (refine)', () => {
  it('keeps the first reading when the tighter box cut a character it read surely', () => {
    expect(cutSureEnds(reading('7AHN739', [0.99, 1, 1, 1, 1, 1, 1]), { text: 'AHN739' })).toBe(true)
    expect(cutSureEnds(reading('7AHN739', [1, 1, 1, 1, 1, 1, 0.97]), { text: '7AHN73' })).toBe(true)
  })
  it('takes the second reading when what it dropped was doubtful (a bolt or frame read as a character)', () => {
    expect(cutSureEnds(reading('I4736J1', [0.6, 1, 1, 1, 1, 1, 1]), { text: '4736J1' })).toBe(false)
  })
  it('is not about other readings: different characters, as long or longer, or nothing', () => {
    expect(cutSureEnds(reading('7AHN739', [1, 1, 1, 1, 1, 1, 1]), { text: 'AHM739' })).toBe(false)
    expect(cutSureEnds(reading('AHN739', [1, 1, 1, 1, 1, 1]), { text: '7AHN739' })).toBe(false)
    expect(cutSureEnds(reading('AHN739', [1, 1, 1, 1, 1, 1]), { text: 'AHN739' })).toBe(false)
    expect(cutSureEnds(reading('AHN739', [1, 1, 1, 1, 1, 1]), { text: '' })).toBe(false)
  })
})
