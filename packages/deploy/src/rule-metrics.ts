import type { OkoEvent } from '@oko/core'

/** Rule events counted for Prometheus: per camera, rule and kind, and line crossings per direction and class. */
export class RuleMetrics {
  readonly #events = new Map<string, { camera: string; rule: string; kind: string; n: number }>()
  readonly #crossings = new Map<string, { camera: string; rule: string; direction: string; class: string; n: number }>()

  observe(event: OkoEvent): void {
    if (event.type !== 'rule') return
    const key = `${event.cameraId}\0${event.rule}\0${event.kind}`
    const e = this.#events.get(key) ?? { camera: event.cameraId, rule: event.rule, kind: event.kind, n: 0 }
    e.n++
    this.#events.set(key, e)
    if (event.kind !== 'line') return
    const ck = `${key}\0${event.direction}\0${event.class}`
    const c = this.#crossings.get(ck) ?? { camera: event.cameraId, rule: event.rule, direction: event.direction, class: event.class, n: 0 }
    c.n++
    this.#crossings.set(ck, c)
  }

  events(): { labels: Record<string, string>; value: number }[] {
    return [...this.#events.values()].map(({ n, ...labels }) => ({ labels, value: n }))
  }

  crossings(): { labels: Record<string, string>; value: number }[] {
    return [...this.#crossings.values()].map(({ n, ...labels }) => ({ labels, value: n }))
  }
}
