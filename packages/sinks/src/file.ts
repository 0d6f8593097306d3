import { createWriteStream, openSync } from 'node:fs'
import { OkoError, type OkoEvent } from '@oko/core'
import { EventEncoder, type EventFormat } from './codec.js'
import type { Sink } from './sink.js'
import type { EventFilter } from './filter.js'

export interface StreamSinkOptions {
  readonly name?: string
  readonly format?: EventFormat
  readonly filter?: EventFilter
}

/**
 * Events as JSON lines (or msgpack records) on a stream: stdout, or a file (`FileSink.open`). A
 * write error (disk full, pipe closed) rejects this and every later send with ERR_DATA naming
 * the output: a lost write never passes as delivered.
 */
export class StreamSink implements Sink {
  readonly name: string
  readonly kind: string
  readonly local = true
  readonly #stream: NodeJS.WritableStream
  readonly #encoder: EventEncoder
  readonly filter: EventFilter
  readonly #label: string
  readonly #owned: boolean
  #error: Error | undefined
  #wake: (() => void) | undefined
  #closed: Promise<void> | undefined

  constructor(stream: NodeJS.WritableStream, options: StreamSinkOptions & { label?: string; kind?: string; owned?: boolean } = {}) {
    this.#stream = stream
    this.#encoder = new EventEncoder(options.format ?? 'jsonl')
    this.filter = options.filter ?? {}
    this.#label = options.label ?? 'stdout'
    this.kind = options.kind ?? 'stdout'
    this.name = options.name ?? this.kind
    this.#owned = options.owned ?? false
    stream.on('error', this.#onError)
  }

  get up(): boolean {
    return this.#error === undefined
  }

  get format(): EventFormat {
    return this.#encoder.format
  }

  readonly #onError = (error: Error): void => {
    this.#error ??= error
    this.#wake?.()
  }

  async send(batch: readonly OkoEvent[]): Promise<void> {
    for (const event of batch) {
      this.#check()
      if (!this.#stream.write(this.#encoder.encode(event)) && !this.#error) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve
          this.#stream.once('drain', resolve)
        })
        this.#wake = undefined
      }
    }
    this.#check()
  }

  #check(): void {
    if (this.#error) throw new OkoError('ERR_DATA', `cannot write events to ${this.#label}: ${this.#error.message}`, { cause: this.#error })
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#owned && !this.#error) await new Promise<void>((resolve) => this.#stream.end(() => resolve()))
      this.#stream.off('error', this.#onError)
      this.#check()
    })()
    return this.#closed
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/**
 * Opens (creates or truncates) an events file now, so a bad path is a clear error before any
 * camera opens: ERR_INVALID_INPUT naming the file and the fix.
 */
export function openFileSink(path: string, options: StreamSinkOptions = {}): StreamSink {
  let fd: number
  try {
    fd = openSync(path, 'w')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message
    throw new OkoError('ERR_INVALID_INPUT', `cannot write events to ${path} (${code}); give a file in an existing, writable folder`, { cause })
  }
  return new StreamSink(createWriteStream('', { fd }), { ...options, label: path, kind: 'file', owned: true })
}
