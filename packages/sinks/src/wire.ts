import type { OkoEvent, SerializedError } from '@oko/core'
import './evidence.js'

/** An event as a CloudEvents 1.0 structured-mode JSON object (what webhooks, MQTT and NATS carry). */
export interface CloudEvent {
  readonly specversion: '1.0'
  /** The oko event id (a ULID): the key a receiver dedupes on. */
  readonly id: string
  /** `/oko/<deployment>/<camera>` (or `/oko/<deployment>` for events of no camera). */
  readonly source: string
  /** `oko.<event type>`: `oko.plate`, `oko.motion`, … */
  readonly type: string
  /** RFC 3339 time the event was made. */
  readonly time: string
  /** The camera, for routing without parsing `source`. */
  readonly subject?: string
  readonly datacontenttype: 'application/json'
  /** The oko event itself (bytes as base64 text). */
  readonly data: OkoEvent
}

/** The CloudEvent of an oko event, for deployment `deployment`. */
export function toCloudEvent(event: OkoEvent, deployment: string): CloudEvent {
  const camera = cameraOf(event)
  return {
    specversion: '1.0',
    id: event.id,
    source: camera === undefined ? `/oko/${encodeURIComponent(deployment)}` : `/oko/${encodeURIComponent(deployment)}/${encodeURIComponent(camera)}`,
    type: `oko.${event.type}`,
    time: new Date(event.timeMs).toISOString(),
    ...(camera === undefined ? {} : { subject: camera }),
    datacontenttype: 'application/json',
    data: withoutStoredBytes(event),
  }
}

/** An event whose snapshot is in the evidence store goes by reference: its JPEG bytes stay home. */
function withoutStoredBytes(event: OkoEvent): OkoEvent {
  const snapshot = (event as { snapshot?: { jpeg?: Uint8Array } }).snapshot
  if (!snapshot?.jpeg || !event.evidence?.some((r) => r.kind === 'snapshot')) return event
  const { jpeg: _jpeg, ...rest } = snapshot
  return { ...event, snapshot: rest } as unknown as OkoEvent
}

/** JSON text of a value with typed byte arrays (snapshot JPEGs) as base64. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, bytesAsBase64)
}

export function cameraOf(event: OkoEvent): string | undefined {
  const id = (event as { cameraId?: unknown }).cameraId
  return typeof id === 'string' ? id : undefined
}

/** JSON.stringify replacer: typed byte arrays (and Buffers, before their toJSON) become base64 text. */
function bytesAsBase64(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key]
  return raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') : value
}

/** What leaves the process: error events carry code and message, not stacks (paths, internals). */
export function forOutput(event: OkoEvent): OkoEvent {
  return event.type === 'error' ? { ...event, error: withoutStack(event.error) } : event
}

function withoutStack(error: SerializedError): SerializedError {
  const { stack: _stack, cause, ...rest } = error
  return cause ? { ...rest, cause: withoutStack(cause) } : rest
}
