import { OkoError, type OkoEvent } from '@oko/core'
import type { EventFilter } from './filter.js'

/**
 * Where events go: a file, a webhook, a broker. `send` delivers a batch **in order** and resolves
 * only when the receiver has acknowledged every event of it (a file: written; HTTP: a 2xx; MQTT:
 * PUBACK; JetStream: the publish ack); it rejects with a DeliveryError otherwise, and the caller
 * (the outbox's delivery loop) sends the same events again later, with the same ids. Remote sinks
 * (`local: false`) are fed from the durable outbox; local ones (files, stdout) straight from a
 * blocking event subscriber, the disk being as durable as the outbox would be.
 */
export interface Sink extends AsyncDisposable {
  /** Unique within a deployment: the outbox keeps one cursor per name. */
  readonly name: string
  /** Kind, for stats and metrics (`file`, `webhook`, `mqtt`, `nats`). */
  readonly kind: string
  /** Which events it gets; the caller applies it (`select`) before `send`. */
  readonly filter: EventFilter
  /** false for sinks that leave the machine (they go through the outbox). */
  readonly local: boolean
  /** Connects (brokers); a sink may also connect lazily on the first send. Rejects only on bad options, never on a broker that is down. */
  open?(): Promise<void>
  /** Delivers events already selected by `filter`, in order. */
  send(batch: readonly OkoEvent[]): Promise<void>
  /** true while the sink believes its receiver is reachable (for metrics). */
  readonly up: boolean
  /** Flushes and disconnects. Idempotent. */
  close(): Promise<void>
}

/**
 * A batch that was not delivered. `retryable` (a 5xx, a timeout, a broker that is down): the
 * same batch is sent again after a backoff, or after `retryAfterMs` when the receiver said so
 * (HTTP 408/429 `Retry-After`). Not retryable (a 4xx: the receiver refuses these events): the
 * batch is given up, counted as failed and reported as a `dropped` event.
 */
export class DeliveryError extends OkoError {
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
  constructor(message: string, options: { retryable: boolean; retryAfterMs?: number; cause?: unknown }) {
    super('ERR_DATA', message, options.cause === undefined ? undefined : { cause: options.cause })
    this.retryable = options.retryable
    this.retryAfterMs = options.retryAfterMs
  }
}
