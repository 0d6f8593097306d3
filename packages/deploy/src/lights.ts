import type { AlarmSignal } from '@oko/alarms'
import type { LightState, RuleEngine } from '@oko/rules'
import { watchRuleEngines } from './providers/rules.js'
import type { StageRegistry } from './stages.js'

/** A light signal's state as the stop line's: colours as they are, `on`/`active` (the red lamp's contact closed) red, `off`/`inactive` green; heartbeats none. */
export function lightStateOf(state: AlarmSignal['state']): LightState | undefined {
  switch (state) {
    case 'red': case 'amber': case 'green': return state
    case 'on': case 'active': return 'red'
    case 'off': case 'inactive': return 'green'
    case 'heartbeat': return undefined
  }
}

/**
 * The traffic lights stop lines listen to (`light: { input: <point id> }`): signals of the
 * deployment's alarm inputs (HTTP, MQTT) that name one of these points set the light of every
 * running camera's stop lines listening to it (`RuleEngine.setLight`), from the next frame on.
 */
export class LightInputs {
  readonly #points: ReadonlySet<string>
  readonly #engines = new Map<string, RuleEngine>()

  constructor(points: Iterable<string>) {
    this.#points = new Set(points)
  }

  /** Whether signals of this point are a light's (not an alarm point's). */
  has(point: string): boolean {
    return this.#points.has(point)
  }

  /** Sets the light; answers what became of the signal (the HTTP input's 202 body). */
  signal(signal: AlarmSignal): { accepted: 'light' | 'heartbeat'; state?: LightState; rules?: number } {
    const state = lightStateOf(signal.state)
    if (state === undefined) return { accepted: 'heartbeat' }
    let rules = 0
    for (const engine of this.#engines.values()) rules += engine.setLight(signal.point, state, signal.timeMs ?? Date.now())
    return { accepted: 'light', state, rules }
  }

  /** The registry with a `rules` stage whose engines listen here while their camera runs. */
  registry(registry: StageRegistry): StageRegistry {
    return watchRuleEngines(registry, (cameraId, engine) => {
      this.#engines.set(cameraId, engine)
      return () => { if (this.#engines.get(cameraId) === engine) this.#engines.delete(cameraId) }
    })
  }
}
