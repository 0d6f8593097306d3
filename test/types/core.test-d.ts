import { describe, expectTypeOf, it } from 'vitest'
import type { EventOf, OkoEvent, Stage, Frame, FrameSource } from '@oko/core'

describe('core types', () => {
  it('narrows the event union on type', () => {
    const handle = (event: OkoEvent) => {
      if (event.type === 'motion') expectTypeOf(event.regions).toEqualTypeOf<EventOf<'motion'>['regions']>()
      if (event.type === 'dropped') expectTypeOf(event.count).toBeNumber()
      if (event.type === 'plate') expectTypeOf(event.text).toBeString()
    }
    expectTypeOf(handle).parameter(0).toEqualTypeOf<OkoEvent>()
    expectTypeOf<EventOf<'tamper'>['reason']>().toEqualTypeOf<'frozen' | 'covered' | 'defocused' | 'moved'>()
  })

  it('types stages by input and output', () => {
    expectTypeOf<Stage<Frame, number>['process']>().returns.toEqualTypeOf<number | undefined | Promise<number | undefined>>()
    expectTypeOf<FrameSource['frames']>().returns.toEqualTypeOf<AsyncIterable<Frame>>()
  })
})
