import { OkoError } from '@oko/core'

/** What a call point or alarm panel says: a press (or a closed contact), a release, or that it is alive. */
export const ALARM_STATES = ['active', 'inactive', 'heartbeat'] as const
/** What a traffic-light controller says (a stop line's `light: { input }`): a colour, or on/off for a single red lamp's contact. */
export const LIGHT_STATES = ['red', 'amber', 'green', 'on', 'off'] as const

/**
 * The generic digital-input shape integrators map their call points, alarm panels and traffic
 * lights onto: a point id, a state, and the device's time. `active` is a press (or a closed
 * contact), `inactive` a release, `heartbeat` the point saying it is alive; `red`, `amber`,
 * `green`, `on` and `off` are a traffic light's, for the points stop lines listen to.
 */
export interface AlarmSignal {
  readonly point: string
  readonly state: (typeof ALARM_STATES)[number] | (typeof LIGHT_STATES)[number]
  /** Device time, ms since the epoch; absent: when it was received. */
  readonly timeMs?: number
}

const STATES = [...ALARM_STATES, ...LIGHT_STATES] as const

/** Validates a signal (a parsed JSON body or MQTT payload); throws ERR_INVALID_INPUT naming the field and the fix. */
export function parseSignal(value: unknown): AlarmSignal {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('expected a JSON object { "point": "<id>", "state": "active" | "inactive" | "heartbeat" (a traffic light: "red" | "amber" | "green" | "on" | "off"), "timeMs"?: <ms> }')
  const o = value as Record<string, unknown>
  for (const k of Object.keys(o)) if (!['point', 'state', 'timeMs'].includes(k)) throw bad(`unknown field "${k.slice(0, 32)}"; a signal has point, state and timeMs`)
  if (typeof o.point !== 'string' || !/^[\w.:@/-]{1,128}$/.test(o.point)) throw bad('point: expected the call point\'s id (letters, digits and . _ - : @ /, at most 128)')
  if (typeof o.state !== 'string' || !(STATES as readonly string[]).includes(o.state)) throw bad(`state: expected one of ${STATES.join(', ')}`)
  if (o.timeMs !== undefined && (typeof o.timeMs !== 'number' || !Number.isFinite(o.timeMs) || o.timeMs < 0)) throw bad('timeMs: expected ms since the epoch')
  return { point: o.point, state: o.state as AlarmSignal['state'], ...(o.timeMs !== undefined ? { timeMs: o.timeMs as number } : {}) }
}

function bad(message: string): OkoError {
  return new OkoError('ERR_INVALID_INPUT', `alarm signal: ${message}`)
}
