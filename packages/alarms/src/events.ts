import type { EventBase } from '@oko/core'

/** Where an alarm is in its life: each step is an event of its own. */
export type AlarmPhase = 'raised' | 'escalated' | 'acknowledged' | 'resolved'

/** The operator who took a step, when, and what they noted. */
export interface AlarmStep {
  readonly by: string
  readonly atMs: number
  readonly note?: string
}

/**
 * An SOS call point or alarm input was pressed (`raised`), left unacknowledged too long
 * (`escalated`), taken by an operator (`acknowledged`) or closed (`resolved`). `priority` 0: above
 * every other event type.
 */
export interface AlarmEvent extends EventBase {
  readonly type: 'alarm'
  readonly priority: 0
  /** The alarm's own id (the `raised` event's id): every step of one alarm carries it. */
  readonly alarmId: string
  readonly phase: AlarmPhase
  readonly pointId: string
  readonly place: string
  /** Cameras that see the point (pinned on the live page). */
  readonly cameras: readonly string[]
  /** The input it came through (`http:<name>`, `mqtt:<name>`, `api`). */
  readonly input: string
  /** When the point was pressed (device time where it sent one), ms since the epoch. */
  readonly pressedMs: number
  /** Presses of the point while this alarm was open (bounces not counted). */
  readonly presses: number
  /** The operator step (acknowledged, resolved). */
  readonly step?: AlarmStep
}

/** A call point's supervision: it went silent (no heartbeat or signal in time) or came back. */
export interface AlarmPointEvent extends EventBase {
  readonly type: 'alarm-point'
  readonly pointId: string
  readonly place: string
  readonly state: 'silent' | 'alive'
  /** Its last signal, ms since the epoch (absent when it never sent one). */
  readonly lastSeenMs?: number
}

declare module '@oko/core' {
  interface OkoEventMap {
    alarm: AlarmEvent
    'alarm-point': AlarmPointEvent
  }
}
