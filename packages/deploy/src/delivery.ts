import { EVENT_VERSION, newId, type EventInit, type OkoEvent } from '@oko/core'
import {
  DeliveryLoop, MqttSink, NatsSink, Outbox, StreamSink, WebhookSink, accepts, openFileSink, sendSelected,
  type OutboxStats, type Sink, type SinkStats,
} from '@oko/sinks'
import type { DeliveryConfig, OutputSpec } from './delivery-schema.js'

export interface DeliveryStats {
  readonly sinks: readonly SinkStats[]
  /** Absent when no output leaves the machine. */
  readonly outbox?: OutboxStats
}

/**
 * The outputs of a deployment: local sinks (files, stdout) written in order as events come,
 * remote ones (webhook, MQTT, NATS) through the durable outbox, each with its own delivery loop.
 * Losses (an outbox bound, a receiver that refused a batch) are coalesced per sink and reported
 * through `publish` as `dropped` events, at most one per sink and reason a second.
 */
export class Delivery {
  readonly #local: Sink[]
  readonly #loops: DeliveryLoop[]
  readonly #outbox: Outbox | undefined
  readonly #localStats = new Map<Sink, { delivered: number }>()
  readonly #drops = new Map<string, { stage: string; reason: 'overflow' | 'stale' | 'error'; count: number }>()
  readonly #drainMs: number
  #publish: ((event: EventInit) => void) | undefined
  #timer: NodeJS.Timeout | undefined
  #closed = false

  private constructor(local: Sink[], remote: { sink: Sink; batchSize?: number }[], config: DeliveryConfig) {
    this.#local = local
    this.#drainMs = config.outbox.drainMs
    for (const s of local) this.#localStats.set(s, { delivered: 0 })
    if (remote.length > 0) {
      this.#outbox = new Outbox({
        path: config.outbox.path, sinks: remote.map((r) => r.sink.name), maxBytes: config.outbox.maxBytes, maxAgeMs: config.outbox.maxAgeMs,
        full: config.outbox.full, onDrop: (sink, count, reason) => this.#countDrop(`outbox:${sink}`, reason, count),
      })
    }
    this.#loops = remote.map((r) => new DeliveryLoop(r.sink, this.#outbox!, { ...(r.batchSize ? { batchSize: r.batchSize } : {}), onGiveUp: (sink, count) => this.#countDrop(`sink:${sink}`, 'error', count) }))
  }

  /**
   * Makes every output's sink (files are created now: a bad path fails here, before any camera
   * opens) and opens the outbox when an output leaves the machine. Nothing connects yet.
   */
  static open(config: DeliveryConfig, options: { stdout?: NodeJS.WritableStream } = {}): Delivery {
    const local: Sink[] = []
    const remote: { sink: Sink; batchSize?: number }[] = []
    try {
      for (const spec of config.outputs) {
        const made = makeSink(spec, config.name, options.stdout ?? process.stdout)
        if (made.local) local.push(made)
        else remote.push({ sink: made, ...('batchSize' in spec && spec.batchSize ? { batchSize: spec.batchSize } : {}) })
      }
      return new Delivery(local, remote, config)
    } catch (error) {
      for (const s of local) void s.close().catch(() => undefined)
      throw error
    }
  }

  /** Where drop events go (the run's `publish`); the remote sinks start delivering. */
  start(publish: (event: EventInit) => void): void {
    this.#publish = publish
    for (const loop of this.#loops) loop.start()
  }

  /** Whether any remote output takes this event (so the outbox stores it). */
  #wanted(event: OkoEvent): boolean {
    for (const loop of this.#loops) if (accepts(loop.sink.filter, event)) return true
    return false
  }

  /** Writes a batch to the local outputs (in order, waiting for each) and stores it in the outbox. */
  async deliver(batch: readonly OkoEvent[]): Promise<void> {
    if (this.#outbox) {
      const wanted = batch.filter((e) => this.#wanted(e))
      try {
        if (wanted.length > 0) this.#outbox.append(wanted)
      } catch {
        // a full disk or a broken database file: these events are lost to the remote outputs, counted and reported; the run goes on
        for (const loop of this.#loops) {
          const n = wanted.filter((e) => accepts(loop.sink.filter, e)).length
          if (n > 0) this.#countDrop(`outbox:${loop.sink.name}`, 'error', n)
        }
      }
    }
    for (const sink of this.#local) {
      await sendSelected(sink, batch)
      this.#localStats.get(sink)!.delivered += batch.length
    }
  }

  stats(): DeliveryStats {
    const local: SinkStats[] = this.#local.map((s) => ({ name: s.name, kind: s.kind, up: s.up, delivered: this.#localStats.get(s)!.delivered, skipped: 0, failed: 0, retries: 0 }))
    return { sinks: [...local, ...this.#loops.map((l) => l.stats())], ...(this.#outbox && !this.#closed ? { outbox: this.#outbox.stats() } : {}) }
  }

  /**
   * Closes the outputs: local ones flushed, remote ones given `drainMs` (the config's
   * `outbox.drainSeconds` by default) to deliver what is pending; what is left stays in the
   * outbox for the next start. Rejects when a local output lost a write. Idempotent.
   */
  async close(drainMs = this.#drainMs): Promise<void> {
    if (this.#closed) return
    await Promise.all(this.#loops.map((l) => l.stop(drainMs)))
    this.#closed = true
    clearTimeout(this.#timer)
    // losses not yet reported: the run has ended, so they are written here (and kept for the remote sinks' next start)
    const late: OkoEvent[] = [...this.#drops.values()].map((d) => ({ id: newId(), v: EVENT_VERSION, timeMs: Date.now(), type: 'dropped', stage: d.stage, count: d.count, reason: d.reason }))
    this.#drops.clear()
    if (late.length > 0) {
      this.#outbox?.append(late.filter((e) => this.#wanted(e)))
      for (const sink of this.#local) await sendSelected(sink, late).catch(() => undefined)
    }
    this.#outbox?.close()
    const results = await Promise.allSettled(this.#local.map((s) => s.close()))
    const failed = results.find((r) => r.status === 'rejected')
    if (failed) throw (failed as PromiseRejectedResult).reason
  }

  #countDrop(stage: string, reason: 'overflow' | 'stale' | 'error', count: number): void {
    const key = `${stage}\0${reason}`
    const entry = this.#drops.get(key)
    if (entry) entry.count += count
    else this.#drops.set(key, { stage, reason, count })
    if (!this.#closed) this.#timer ??= setTimeout(() => this.#flushDrops(), 1000)
  }

  #flushDrops(): void {
    this.#timer = undefined
    if (this.#closed) return
    for (const d of this.#drops.values()) this.#publish?.({ type: 'dropped', stage: d.stage, count: d.count, reason: d.reason })
    this.#drops.clear()
  }
}

function makeSink(spec: OutputSpec, deployment: string, stdout: NodeJS.WritableStream): Sink {
  switch (spec.kind) {
    case 'stdout':
      return new StreamSink(stdout, { name: spec.name, format: spec.format, filter: spec.filter })
    case 'file':
      return openFileSink(spec.path, { name: spec.name, format: spec.format, filter: spec.filter })
    case 'webhook':
      return new WebhookSink({ ...spec, deployment })
    case 'mqtt':
      return new MqttSink({ ...spec, deployment })
    case 'nats':
      return new NatsSink({ ...spec, deployment })
  }
}
