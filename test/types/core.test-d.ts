import { describe, expectTypeOf, it } from 'vitest'
import type { EventInit, EventOf, Frame, FrameSource, OkoEvent, Stage, StageContext } from '@oko/core'
import type { PlateEvent } from '@oko/plates'

describe('core types', () => {
  it('narrows the event union on type; packages add their types by declaration merging', () => {
    const handle = (event: OkoEvent) => {
      expectTypeOf(event.id).toBeString()
      expectTypeOf(event.v).toBeNumber()
      if (event.type === 'motion') expectTypeOf(event.regions).toEqualTypeOf<EventOf<'motion'>['regions']>()
      if (event.type === 'dropped') expectTypeOf(event.count).toBeNumber()
      // plate comes from @oko/plates, not from core
      if (event.type === 'plate') expectTypeOf(event).toEqualTypeOf<PlateEvent>()
    }
    expectTypeOf(handle).parameter(0).toEqualTypeOf<OkoEvent>()
    expectTypeOf<EventOf<'tamper'>['reason']>().toEqualTypeOf<'frozen' | 'covered' | 'defocused' | 'moved'>()
  })

  it('events that concern no camera or frame say so in their type', () => {
    expectTypeOf<EventOf<'motion'>['cameraId']>().toEqualTypeOf<string>()
    expectTypeOf<EventOf<'motion'>['seq']>().toEqualTypeOf<number>()
    expectTypeOf<EventOf<'error'>['cameraId']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<EventOf<'dropped'>['seq']>().toEqualTypeOf<number | undefined>()
  })

  it('stages emit events without id, version and time: the run stamps them', () => {
    expectTypeOf<StageContext['emit']>().parameter(0).toEqualTypeOf<EventInit>()
    expectTypeOf<EventInit<EventOf<'motion'>>>().not.toHaveProperty('id')
    expectTypeOf<Stage>().toMatchTypeOf<AsyncDisposable>()
    expectTypeOf<FrameSource['frames']>().returns.toEqualTypeOf<AsyncIterable<Frame>>()
  })
})
