import type { OkoEvent } from '@oko/core'
import { checkOneOf } from '@oko/core'
import { Packr, Unpackr } from 'msgpackr'

/**
 * `jsonl`: one JSON object per line, bytes (snapshot pixels) as base64 text. `msgpack`: msgpackr
 * records, structures written once per stream, bytes as bytes.
 */
export type EventFormat = 'jsonl' | 'msgpack'

/**
 * Encodes events for one output (a file, stdout). `msgpack` uses one Packr with record
 * structures in sequential mode: each structure is written the first time it is seen in this
 * stream, so the output decodes alone (`EventEncoder.decode`, or msgpackr's `unpackMultiple`
 * / `UnpackrStream`). One encoder per output: never share it between streams.
 */
export class EventEncoder {
  readonly format: EventFormat
  readonly #packr: Packr | undefined

  constructor(format: EventFormat = 'jsonl') {
    this.format = checkOneOf('format', format, ['jsonl', 'msgpack'] as const)
    this.#packr = this.format === 'msgpack' ? new Packr({ useRecords: true, sequential: true }) : undefined
  }

  encode(event: OkoEvent): Buffer {
    if (this.#packr) return this.#packr.pack(event)
    return Buffer.from(`${JSON.stringify(event, bytesAsBase64)}\n`)
  }

  /** Decodes a whole output written by an encoder of this format. */
  static decode(data: Uint8Array, format: EventFormat): OkoEvent[] {
    if (format === 'jsonl') {
      return Buffer.from(data).toString('utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as OkoEvent)
    }
    const unpackr = new Unpackr({ useRecords: true, sequential: true })
    return unpackr.unpackMultiple(Buffer.from(data.buffer, data.byteOffset, data.byteLength)) as OkoEvent[]
  }
}

/** JSON.stringify replacer: typed byte arrays (and Buffers, before their toJSON) become base64 text. */
function bytesAsBase64(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key]
  return raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') : value
}
