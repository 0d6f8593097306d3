import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '@oko/core'
import { Watchlists, plateDistance } from '@oko/plates'

describe('plate watchlists', () => {
  const lists = Watchlists.from([
    { name: 'stolen', plates: ['AA 1234 BB', 'А123ВС77'] },
    { name: 'permits', plates: ['KA0001AA'], fuzzy: false },
  ])

  it('matches exactly after normalising spaces and Cyrillic', () => {
    expect(lists.match('AA1234BB')).toEqual([{ list: 'stolen', entry: 'AA1234BB', distance: 0 }])
    expect(lists.match('a123bc77')).toEqual([{ list: 'stolen', entry: 'A123BC77', distance: 0 }])
    expect(lists.size).toBe(3)
  })

  it('matches one character off, counting a confusable swap as half', () => {
    expect(lists.match('AA1234B8')).toEqual([{ list: 'stolen', entry: 'AA1234BB', distance: 0.5 }])
    expect(lists.match('AA1234BK')).toEqual([{ list: 'stolen', entry: 'AA1234BB', distance: 1 }])
    expect(lists.match('AA12345BB')).toEqual([{ list: 'stolen', entry: 'AA1234BB', distance: 1 }])
    expect(lists.match('AA1299BB')).toEqual([])
  })

  it('keeps exact-only lists exact', () => {
    expect(lists.match('KA0001AA')).toHaveLength(1)
    expect(lists.match('KAO001AA')).toEqual([])
  })

  it('validates its options', () => {
    expect(() => Watchlists.from([{ name: 'x', plates: ['  '] }])).toThrow(InvalidOptionError)
    expect(() => Watchlists.from([{ name: 'x', plates: [], treshold: 1 } as never])).toThrow(/options.watchlists\[0\].treshold: unknown option/)
  })

  it('computes a confusable-aware distance', () => {
    expect(plateDistance('O123', '0123')).toBe(0.5)
    expect(plateDistance('B123', '8123')).toBe(0.5)
    expect(plateDistance('K123', '8123')).toBe(1)
  })
})
