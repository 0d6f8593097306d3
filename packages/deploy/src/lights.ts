import type { AlarmSignal } from '@oko/alarms'
import type { LightState, RuleEngine, RulesStage } from '@oko/rules'
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
    const rules = registry.rules
    if (!rules) return registry
    return {
      ...registry,
      rules: {
        ...rules,
        create: async (options, camera, shared) => {
          const stage = (await rules.create(options, camera, shared)) as RulesStage
          this.#engines.set(camera.id, stage.engine)
          const close = stage.close.bind(stage)
          return Object.assign(stage, {
            close: () => {
              if (this.#engines.get(camera.id) === stage.engine) this.#engines.delete(camera.id)
              return close()
            },
          })
        },
      },
    }
  }
}
