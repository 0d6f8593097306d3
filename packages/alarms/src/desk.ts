import { OkoError, newId, type EventInit } from '@oko/core'
import type { EvidenceRef } from '@oko/sinks'
import type { AlarmEvent, AlarmPhase, AlarmPointEvent } from './events.js'
import { ALARM_STATES, type AlarmSignal } from './signal.js'

/** An SOS call point or alarm input: where it is and which cameras see it. */
export interface AlarmPoint {
  readonly id: string
  readonly place: string
  readonly cameras: readonly string[]
  /** Edges within this time of the previous edge are bounces. Default 1500 ms. */
  readonly debounceMs?: number
  /** A raised alarm not acknowledged within this escalates (one `escalated` event). Absent: never. */
  readonly escalateAfterMs?: number
  /** The point is `silent` when no signal (heartbeat or edge) arrived within this. Absent: not supervised. */
  readonly heartbeatMs?: number
}

/** An alarm as the desk holds it (open ones, and the recently closed). */
export interface AlarmState {
  readonly alarmId: string
  readonly pointId: string
  readonly place: string
  readonly cameras: readonly string[]
  readonly input: string
  readonly phase: AlarmPhase
  readonly escalated: boolean
  readonly pressedMs: number
  readonly presses: number
  readonly evidence: readonly EvidenceRef[]
  readonly acknowledged?: { by: string; atMs: number; note?: string }
  readonly resolved?: { by: string; atMs: number; note?: string }
}

/** An unknown alarm point or alarm (code ERR_INVALID_INPUT; HTTP answers 404). */
export class AlarmNotFoundError extends OkoError {
  constructor(message: string) {
    super('ERR_INVALID_INPUT', message)
    this.name = 'AlarmNotFoundError'
  }
}

/** What the desk needs from around it. */
export interface AlarmDeskOptions {
  /** Sends an event (the run's `publish`); returns it as sent (with its id). */
  readonly publish: (event: EventInit<AlarmEvent> | EventInit<AlarmPointEvent>) => { id: string }
  /** Snapshots and a pre-roll clip of the linked cameras for a new alarm (the evidence store); `alarmId` is what they are evidence of. */
  readonly evidence?: (cameras: readonly string[], atMs: number, alarmId: string) => EvidenceRef[]
  /** Clock and timers (tests). */
  readonly now?: () => number
  readonly setTimer?: (fn: () => void, ms: number) => { cancel(): void }
  /** Closed alarms kept for the page and the API. Default 200. */
  readonly keepClosed?: number
}

interface PointState {
  readonly point: AlarmPoint
  lastEdgeMs: number | undefined
  lastSeenMs: number | undefined
  silent: boolean
  open: Mutable<AlarmState> | undefined
  watchdog: { cancel(): void } | undefined
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/**
 * The alarm desk: signals of the call points in, alarm events out. A press raises an alarm (with
 * the linked cameras' evidence); bounces within `debounceMs` are ignored, and so is a release (it
 * does not resolve: an operator does). Presses while an alarm is open are counted on it. An alarm
 * goes raised → acknowledged → resolved, each step by an operator; unacknowledged past
 * `escalateAfterMs` it escalates once. Supervised points that fall silent raise `alarm-point`.
 */
export class AlarmDesk implements Disposable {
  readonly #points = new Map<string, PointState>()
  readonly #alarms = new Map<string, Mutable<AlarmState>>()
  readonly #closed: AlarmState[] = []
  readonly #o: AlarmDeskOptions
  readonly #now: () => number
  readonly #timer: NonNullable<AlarmDeskOptions['setTimer']>
  readonly #timers = new Set<{ cancel(): void }>()
  #disposed = false

  constructor(points: readonly AlarmPoint[], options: AlarmDeskOptions) {
    this.#o = options
    this.#now = options.now ?? Date.now
    this.#timer = options.setTimer ?? ((fn, ms) => {
      const t = setTimeout(fn, ms)
      t.unref?.()
      return { cancel: () => clearTimeout(t) }
    })
    for (const point of points) {
      if (this.#points.has(point.id)) throw new OkoError('ERR_INVALID_OPTION', `alarm point "${point.id}" is listed twice; ids must be unique`)
      const state: PointState = { point, lastEdgeMs: undefined, lastSeenMs: undefined, silent: false, open: undefined, watchdog: undefined }
      this.#points.set(point.id, state)
      this.#watch(state)
    }
  }

  points(): readonly AlarmPoint[] {
    return [...this.#points.values()].map((p) => p.point)
  }

  /** Open alarms first (newest first), then the recently closed. */
  alarms(): readonly AlarmState[] {
    const open = [...this.#alarms.values()].sort((a, b) => b.pressedMs - a.pressedMs)
    return [...open, ...[...this.#closed].reverse()]
  }

  alarm(alarmId: string): AlarmState | undefined {
    return this.#alarms.get(alarmId) ?? this.#closed.find((a) => a.alarmId === alarmId)
  }

  /** A signal from an input. Throws AlarmNotFoundError for a point the deployment does not have. */
  signal(signal: AlarmSignal, input: string): { accepted: 'raised' | 'counted' | 'bounce' | 'released' | 'heartbeat'; alarmId?: string } {
    const state = this.#points.get(signal.point)
    if (!state) throw new AlarmNotFoundError(`no alarm point "${signal.point}"; add it under alarms.points`)
    if (!(ALARM_STATES as readonly string[]).includes(signal.state)) throw new OkoError('ERR_INVALID_INPUT', `alarm point "${signal.point}" takes the states ${ALARM_STATES.join(', ')}; "${signal.state}" is a traffic light's (a stop line's \`light: { input: <point id> }\`)`)
    const now = this.#now()
    state.lastSeenMs = now
    if (state.silent) {
      state.silent = false
      this.#o.publish({ type: 'alarm-point', pointId: state.point.id, place: state.point.place, state: 'alive', lastSeenMs: now })
    }
    this.#watch(state)
    if (signal.state === 'heartbeat') return { accepted: 'heartbeat' }
    const bounce = state.lastEdgeMs !== undefined && now - state.lastEdgeMs < (state.point.debounceMs ?? 1500)
    state.lastEdgeMs = now
    if (signal.state === 'inactive' || bounce) return { accepted: signal.state === 'inactive' ? 'released' : 'bounce' }
    if (state.open) {
      state.open.presses++
      return { accepted: 'counted', alarmId: state.open.alarmId }
    }
    const pressedMs = signal.timeMs ?? now
    const alarmId = newId()
    const evidence = this.#o.evidence?.(state.point.cameras, pressedMs, alarmId) ?? []
    this.#o.publish({
      type: 'alarm', priority: 0, alarmId, phase: 'raised', pointId: state.point.id, place: state.point.place,
      cameras: state.point.cameras, input, pressedMs, presses: 1, ...(evidence.length > 0 ? { evidence } : {}),
    } as EventInit<AlarmEvent>)
    const alarm: Mutable<AlarmState> = {
      alarmId, pointId: state.point.id, place: state.point.place, cameras: state.point.cameras, input,
      phase: 'raised', escalated: false, pressedMs, presses: 1, evidence,
    }
    this.#alarms.set(alarm.alarmId, alarm)
    state.open = alarm
    if (state.point.escalateAfterMs !== undefined) {
      const t = this.#timer(() => {
        this.#timers.delete(t)
        if (alarm.phase !== 'raised' || this.#disposed) return
        alarm.escalated = true
        this.#emit(alarm, 'escalated')
      }, state.point.escalateAfterMs)
      this.#timers.add(t)
    }
    return { accepted: 'raised', alarmId: alarm.alarmId }
  }

  /** An operator takes the alarm. Throws AlarmNotFoundError / ERR_INVALID_INPUT (already taken or closed). */
  acknowledge(alarmId: string, by: string, note?: string): AlarmState {
    const alarm = this.#open(alarmId)
    if (alarm.phase !== 'raised') throw new OkoError('ERR_INVALID_INPUT', `alarm ${alarmId} was acknowledged already (by ${alarm.acknowledged?.by})`)
    alarm.phase = 'acknowledged'
    alarm.acknowledged = step(by, this.#now(), note)
    this.#emit(alarm, 'acknowledged', alarm.acknowledged)
    return { ...alarm }
  }

  /** An operator closes the alarm (acknowledged or not: resolving takes it too). */
  resolve(alarmId: string, by: string, note?: string): AlarmState {
    const alarm = this.#open(alarmId)
    alarm.phase = 'resolved'
    alarm.resolved = step(by, this.#now(), note)
    this.#emit(alarm, 'resolved', alarm.resolved)
    this.#alarms.delete(alarmId)
    const point = this.#points.get(alarm.pointId)
    if (point?.open === alarm) point.open = undefined
    this.#closed.push(alarm)
    if (this.#closed.length > (this.#o.keepClosed ?? 200)) this.#closed.shift()
    return { ...alarm }
  }

  /** Points and whether they are heard from. */
  pointStates(): readonly { id: string; place: string; cameras: readonly string[]; silent: boolean; lastSeenMs?: number; openAlarm?: string }[] {
    return [...this.#points.values()].map((p) => ({
      id: p.point.id, place: p.point.place, cameras: p.point.cameras, silent: p.silent,
      ...(p.lastSeenMs !== undefined ? { lastSeenMs: p.lastSeenMs } : {}), ...(p.open ? { openAlarm: p.open.alarmId } : {}),
    }))
  }

  [Symbol.dispose](): void {
    this.close()
  }

  close(): void {
    this.#disposed = true
    for (const t of this.#timers) t.cancel()
    this.#timers.clear()
    for (const p of this.#points.values()) p.watchdog?.cancel()
  }

  #open(alarmId: string): Mutable<AlarmState> {
    const alarm = this.#alarms.get(alarmId)
    if (alarm) return alarm
    if (this.#closed.some((a) => a.alarmId === alarmId)) throw new OkoError('ERR_INVALID_INPUT', `alarm ${alarmId} is resolved already`)
    throw new AlarmNotFoundError(`no alarm ${alarmId}`)
  }

  #emit(alarm: AlarmState, phase: AlarmPhase, by?: { by: string; atMs: number; note?: string }): void {
    this.#o.publish({
      type: 'alarm', priority: 0, alarmId: alarm.alarmId, phase, pointId: alarm.pointId, place: alarm.place, cameras: alarm.cameras,
      input: alarm.input, pressedMs: alarm.pressedMs, presses: alarm.presses, ...(by ? { step: by } : {}),
    } as EventInit<AlarmEvent>)
  }

  #watch(state: PointState): void {
    const ms = state.point.heartbeatMs
    if (ms === undefined || this.#disposed) return
    state.watchdog?.cancel()
    state.watchdog = this.#timer(() => {
      if (this.#disposed || state.silent) return
      state.silent = true
      this.#o.publish({ type: 'alarm-point', pointId: state.point.id, place: state.point.place, state: 'silent', ...(state.lastSeenMs !== undefined ? { lastSeenMs: state.lastSeenMs } : {}) })
    }, ms)
  }
}

function step(by: string, atMs: number, note: string | undefined): { by: string; atMs: number; note?: string } {
  const who = by.trim().slice(0, 128)
  if (who === '') throw new OkoError('ERR_INVALID_INPUT', 'an alarm step needs the operator who takes it (by)')
  return { by: who, atMs, ...(note !== undefined && note.trim() !== '' ? { note: note.slice(0, 2000) } : {}) }
}
