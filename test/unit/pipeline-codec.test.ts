import { describe, expect, it } from 'vitest'
import type { OkoEvent } from '@oko/core'
import { EventEncoder } from '@oko/sinks'
import type { PlateEvent } from '@oko/plates'

const plate = (jpeg: Uint8Array): OkoEvent => ({
  id: '01J0000000000000000000000', v: 1, type: 'plate', cameraId: 'gate', seq: 3, ptsUs: 120_000, timeMs: 0, text: 'AB1234CE', confidence: 0.9,
  box: { x: 1, y: 2, width: 3, height: 4 }, trackId: 't', readings: 1,
  snapshot: { width: 1, height: 2, jpeg, region: { x: 0, y: 0, width: 1, height: 2 }, seq: 3, ptsUs: 120_000 },
} satisfies PlateEvent)

describe('EventEncoder', () => {
  it('writes bytes as base64 in JSON lines (Buffers and plain Uint8Arrays alike) and as bytes in msgpack', () => {
    const bytes = [1, 2, 3, 250, 251, 252]
    for (const data of [Uint8Array.from(bytes), Buffer.from(bytes), new Uint8Array([9, ...bytes]).subarray(1)]) {
      const json = EventEncoder.decode(new EventEncoder('jsonl').encode(plate(data)), 'jsonl')
      expect((json[0] as unknown as { snapshot: { jpeg: unknown } }).snapshot.jpeg).toBe(Buffer.from(bytes).toString('base64'))
      const packed = EventEncoder.decode(new EventEncoder('msgpack').encode(plate(data)), 'msgpack')
      expect([...(packed[0] as PlateEvent).snapshot!.jpeg]).toEqual(bytes)
    }
  })
})
