import { createReadStream } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client'
import { OkoError } from '@oko/core'
import type { HistogramSnapshot, RunStats } from '@oko/pipeline'
import type { EvidenceStore } from '@oko/sinks'
import type { DeliveryStats } from './delivery.js'
import type { RuleMetrics } from './rule-metrics.js'

type Labels = Record<string, string | number>
type Sample = { labels: Labels; value: number; metricName?: string }

/**
 * A metric read from a stats snapshot at scrape time (prom-client's own metric classes count
 * by increments; the run already keeps the counts). Registered with `registry.registerMetric`.
 */
class SnapshotMetric {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  readonly aggregator = 'sum' as const
  readonly #read: () => Sample[]

  constructor(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', read: () => Sample[]) {
    this.name = name
    this.help = help
    this.type = type
    this.#read = read
  }

  get(): MetricObjectWithValues<MetricValue<string>> {
    return { name: this.name, help: this.help, type: this.type as never, aggregator: this.aggregator, values: this.#read() as never } as never
  }

  reset(): void {}
}

/** Prometheus histogram samples (seconds) of a latency histogram kept in ms. */
function histogramSamples(name: string, labels: Labels, h: HistogramSnapshot): Sample[] {
  const out: Sample[] = h.bucketsMs.map((le, i) => ({ metricName: `${name}_bucket`, labels: { ...labels, le: le / 1000 }, value: h.counts[i]! }))
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count })
  out.push({ metricName: `${name}_sum`, labels, value: h.sumMs / 1000 })
  out.push({ metricName: `${name}_count`, labels, value: h.count })
  return out
}

/**
 * The deployment's metrics in a registry of their own (no global state): per camera frames,
 * decode, drops, source state and reconnects; per stage latency and errors; per edge and event
 * subscriber queue depths; per sink delivered, failed, lag and outbox depth and age; and the
 * process' own (memory, CPU, event loop lag) from prom-client.
 */
export function deploymentMetrics(stats: () => RunStats, delivery?: () => DeliveryStats, rules?: RuleMetrics): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  let cached: { run: RunStats; delivery: DeliveryStats | undefined; atMs: number } | undefined
  // one snapshot per scrape, however many metrics read it
  const snap = () => {
    const now = Date.now()
    if (!cached || now - cached.atMs > 200) cached = { run: stats(), delivery: delivery?.(), atMs: now }
    return cached
  }
  // @oko/source's stats carry more than core's SourceStats: read what a source has
  const cams = () => Object.entries(snap().run.cameras).map(([id, c]) => [id, { ...c, source: c.source as (NonNullable<typeof c.source> & Partial<Record<'framesDroppedByRate' | 'framesDroppedStale' | 'corruptPackets' | 'damagedFrames', number>>) | undefined }] as const)
  const add = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', read: () => Sample[]) => registry.registerMetric(new SnapshotMetric(name, help, type, read) as never)

  add('oko_frames_total', 'Frames the source delivered to the pipeline, per camera.', 'counter', () => cams().map(([camera, c]) => ({ labels: { camera }, value: c.framesIn })))
  add('oko_frames_decoded_total', 'Frames out of the decoder, per camera (before the fps limit).', 'counter', () => cams().flatMap(([camera, c]) => (c.source ? [{ labels: { camera }, value: c.source.framesDecoded }] : [])))
  add('oko_frames_dropped_total', 'Frames or items dropped, per camera, stage (edge) and reason.', 'counter', () => cams().flatMap(([camera, c]) => {
    const out: Sample[] = Object.entries(c.dropped).flatMap(([stage, counts]) => Object.entries(counts).map(([reason, n]) => ({ labels: { camera, stage, reason }, value: n ?? 0 })))
    if (c.source) {
      out.push({ labels: { camera, stage: 'source-rate', reason: 'rate' }, value: c.source.framesDroppedByRate ?? 0 })
      out.push({ labels: { camera, stage: 'source', reason: 'stale' }, value: c.source.framesDroppedStale ?? 0 })
    }
    return out
  }))
  add('oko_decode_errors_total', 'Corrupt packets and damaged frames, per camera.', 'counter', () => cams().flatMap(([camera, c]) => (c.source ? [{ labels: { camera }, value: (c.source.corruptPackets ?? 0) + (c.source.damagedFrames ?? 0) }] : [])))
  add('oko_source_reconnects_total', 'Reconnects of the camera stream.', 'counter', () => cams().flatMap(([camera, c]) => (c.source ? [{ labels: { camera }, value: c.source.reconnects }] : [])))
  add('oko_source_up', '1 while the camera stream is playing.', 'gauge', () => cams().flatMap(([camera, c]) => (c.source ? [{ labels: { camera }, value: c.source.state === 'playing' ? 1 : 0 }] : [])))
  add('oko_source_state', 'The camera stream\'s state (1 for the current one).', 'gauge', () => cams().flatMap(([camera, c]) => (c.source ? [{ labels: { camera, state: c.source.state }, value: 1 }] : [])))
  add('oko_camera_errors_total', 'Error events per camera (per-frame failures and source errors).', 'counter', () => cams().map(([camera, c]) => ({ labels: { camera }, value: c.errors })))
  add('oko_stage_latency_seconds', 'Time per item in a stage (worker stages: from entering the edge to the end of finish).', 'histogram', () => Object.entries(snap().run.stages).flatMap(([stage, s]) => histogramSamples('oko_stage_latency_seconds', { stage }, s.latency)))
  add('oko_stage_errors_total', 'Items a stage failed on.', 'counter', () => Object.entries(snap().run.stages).map(([stage, s]) => ({ labels: { stage }, value: s.errors })))
  add('oko_edge_queue_depth', 'Items waiting in the bounded edge in front of a worker stage.', 'gauge', () => Object.entries(snap().run.edges).map(([stage, e]) => ({ labels: { stage }, value: e.depth })))
  add('oko_edge_in_flight', 'Jobs of a worker stage on its threads now.', 'gauge', () => Object.entries(snap().run.edges).map(([stage, e]) => ({ labels: { stage }, value: e.inFlight })))
  add('oko_events_total', 'Events the run emitted.', 'counter', () => [{ labels: {}, value: snap().run.events }])
  add('oko_event_queue_depth', 'Events queued for a subscriber.', 'gauge', () => snap().run.subscribers.map((s) => ({ labels: { subscriber: s.name }, value: s.queued })))
  add('oko_event_queue_dropped_total', 'Events a subscriber lost to its queue\'s overflow.', 'counter', () => snap().run.subscribers.map((s) => ({ labels: { subscriber: s.name }, value: s.dropped })))
  if (rules) {
    add('oko_rule_events_total', 'Rule events, per camera, rule and kind (line, count, enter, dwell, speed, red-light…).', 'counter', () => rules.events())
    add('oko_line_crossings_total', 'Crossings of line rules, per camera, rule, direction and class (traffic counts).', 'counter', () => rules.crossings())
  }
  if (delivery) {
    const sinks = () => snap().delivery?.sinks ?? []
    const outbox = () => snap().delivery?.outbox
    add('oko_sink_delivered_total', 'Events the sink\'s receiver acknowledged.', 'counter', () => sinks().map((s) => ({ labels: { sink: s.name, kind: s.kind }, value: s.delivered })))
    add('oko_sink_failed_total', 'Events given up because the receiver refused them (4xx).', 'counter', () => sinks().map((s) => ({ labels: { sink: s.name, kind: s.kind }, value: s.failed })))
    add('oko_sink_retries_total', 'Sends that failed and were retried.', 'counter', () => sinks().map((s) => ({ labels: { sink: s.name, kind: s.kind }, value: s.retries })))
    add('oko_sink_up', '1 while the sink reaches its receiver.', 'gauge', () => sinks().map((s) => ({ labels: { sink: s.name, kind: s.kind }, value: s.up ? 1 : 0 })))
    add('oko_sink_lag_events', 'Events in the outbox the sink has not delivered yet.', 'gauge', () => Object.entries(outbox()?.sinks ?? {}).map(([sink, s]) => ({ labels: { sink }, value: s.pending })))
    add('oko_sink_lag_seconds', 'Age of the oldest event the sink has not delivered yet.', 'gauge', () => Object.entries(outbox()?.sinks ?? {}).map(([sink, s]) => ({ labels: { sink }, value: s.oldestPendingAgeMs / 1000 })))
    add('oko_sink_dropped_total', 'Events the sink lost to the outbox\'s size or age bound.', 'counter', () => Object.entries(outbox()?.sinks ?? {}).map(([sink, s]) => ({ labels: { sink }, value: s.dropped })))
    add('oko_outbox_events', 'Events stored in the outbox.', 'gauge', () => (outbox() ? [{ labels: {}, value: outbox()!.events }] : []))
    add('oko_outbox_bytes', 'Bytes of the events stored in the outbox.', 'gauge', () => (outbox() ? [{ labels: {}, value: outbox()!.bytes }] : []))
    add('oko_outbox_max_bytes', 'The outbox\'s size bound.', 'gauge', () => (outbox() ? [{ labels: {}, value: outbox()!.maxBytes }] : []))
  }
  return registry
}

/**
 * oko's small HTTP endpoint on host:port: `GET /metrics` (Prometheus text format) and
 * `GET /evidence/<id>.jpg|mp4` (snapshots and clips of the evidence store), whichever it is given.
 */
export class HttpEndpoint implements AsyncDisposable {
  /** http://host:port (the port it got, when asked for 0). */
  readonly url: string
  readonly #server: Server

  private constructor(server: Server, url: string) {
    this.#server = server
    this.url = url
  }

  static listen(at: { host: string; port: number }, routes: { metrics?: Registry; evidence?: EvidenceStore }, option = 'metrics.listen'): Promise<HttpEndpoint> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0]!
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end()
      if (path === '/metrics' && routes.metrics) {
        const registry = routes.metrics
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
          (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
        )
        return
      }
      const m = /^\/evidence\/([0-9A-Z]{26}(?:\.(?:jpg|mp4))?)$/.exec(path)
      const found = m && routes.evidence?.get(m[1]!)
      if (found) {
        res.writeHead(200, { 'content-type': found.contentType, 'content-length': found.bytes, 'cache-control': 'private, max-age=31536000, immutable' })
        if (req.method === 'HEAD') return void res.end()
        createReadStream(found.file).on('error', () => res.destroy()).pipe(res)
        return
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`oko: ${[routes.metrics ? 'GET /metrics' : '', routes.evidence ? 'GET /evidence/<id>.jpg|mp4' : ''].filter(Boolean).join(', ')}\n`)
    })
    return new Promise((resolve, reject) => {
      server.once('error', (cause: NodeJS.ErrnoException) => reject(new OkoError('ERR_INVALID_OPTION', `${option}: cannot listen on ${at.host}:${at.port} (${cause.code ?? cause.message}); give a free port`, { cause })))
      server.listen(at.port, at.host, () => {
        const port = (server.address() as { port: number }).port
        resolve(new HttpEndpoint(server, `http://${at.host.includes(':') ? `[${at.host}]` : at.host}:${port}`))
      })
    })
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.closeAllConnections()
      this.#server.close(() => resolve())
    })
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
