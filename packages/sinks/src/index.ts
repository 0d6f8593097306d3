/**
 * @oko/sinks: events to where a command centre reads them. Sinks (file, stdout, webhook, MQTT,
 * NATS JetStream) behind one contract; a durable SQLite outbox with a cursor per sink
 * (at-least-once, in order); a retained SQLite event index for search; CloudEvents 1.0 JSON on the wire.
 */
export { DeliveryError, type Sink } from './sink.js'
export { EventEncoder, type EventFormat } from './codec.js'
export { StreamSink, openFileSink, type StreamSinkOptions } from './file.js'
export { WebhookSink, signBody, verifySignature, parseRetryAfter, type WebhookSinkOptions } from './webhook.js'
export { MqttSink, type MqttSinkOptions } from './mqtt.js'
export { NatsSink, type NatsSinkOptions } from './nats.js'
export { Outbox, type OutboxOptions, type OutboxRecord, type OutboxStats, type OutboxSinkStats, type OutboxFullPolicy } from './outbox.js'
export { EventIndex, type EventIndexOptions, type IndexQuery, type IndexPage, type EventIndexStats } from './event-index.js'
export { DeliveryLoop, DEFAULT_RETRY, backoffMs, sendSelected, type RetryPolicy, type SinkStats } from './delivery.js'
export { accepts, checkFilter, parseFilter, hitsWatchlist, select, withoutPersonalData, FILTER_KEYS, type EventFilter } from './filter.js'
export { toCloudEvent, toJson, forOutput, cameraOf, type CloudEvent } from './wire.js'
export { EvidenceStore, type EvidenceStoreOptions, type EvidenceRef, type EvidenceEvent } from './evidence.js'
