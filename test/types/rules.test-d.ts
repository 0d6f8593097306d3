import { describe, expectTypeOf, it } from 'vitest'
import type { EventOf, OkoEvent } from '@oko/core'
import type { LineCounts, RuleEngine, RuleEvent, SpeedEvent } from '@oko/rules'

describe('@oko/rules types', () => {
  it('rule events join the event union by declaration merging, told apart by kind', () => {
    expectTypeOf<EventOf<'rule'>>().toEqualTypeOf<RuleEvent>()
    expectTypeOf<Extract<OkoEvent, { type: 'rule' }>>().toEqualTypeOf<RuleEvent>()
    expectTypeOf<Extract<RuleEvent, { kind: 'speed' }>>().toEqualTypeOf<SpeedEvent>()
    expectTypeOf<Extract<RuleEvent, { kind: 'speed' }>['kmh']>().toEqualTypeOf<number>()
    expectTypeOf<ReturnType<RuleEngine['counts']>>().toEqualTypeOf<LineCounts>()
  })
})
