import { InvalidOptionError, checkArray, checkKnownKeys, checkObject, checkOneOf, checkString } from '@oko/core'

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Day = (typeof DAYS)[number]

/** A rule is active from `from` to `to` (local `HH:MM`, past midnight when `to` < `from`) on `days` (default every day). */
export interface Schedule {
  readonly from: string
  readonly to: string
  readonly days?: readonly Day[]
  /** IANA zone; default the camera's. */
  readonly timeZone?: string
}

export function checkSchedule(path: string, value: unknown): Schedule {
  const o = checkObject(path, value)
  checkKnownKeys(path, o, ['from', 'to', 'days', 'timeZone'])
  return {
    from: checkClock(`${path}.from`, o.from),
    to: checkClock(`${path}.to`, o.to),
    ...(o.days !== undefined ? { days: checkArray(`${path}.days`, o.days).map((d, i) => checkOneOf(`${path}.days[${i}]`, d, DAYS)) } : {}),
    ...(o.timeZone !== undefined ? { timeZone: checkTimeZone(`${path}.timeZone`, o.timeZone) } : {}),
  }
}

/** An IANA time zone name this Node knows (`Europe/Kyiv`, `UTC`). */
export function checkTimeZone(path: string, value: unknown): string {
  const zone = checkString(path, value)
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone })
  } catch {
    throw new InvalidOptionError(path, `unknown time zone ${JSON.stringify(zone.slice(0, 40))}; give an IANA name such as "Europe/Kyiv", "America/New_York" or "UTC"`)
  }
  return zone
}

function checkClock(path: string, value: unknown): string {
  const text = typeof value === 'number' ? String(value) : checkString(path, value)
  const m = /^(\d{1,2}):(\d{2})$/.exec(text)
  if (!m || Number(m[1]) > 24 || Number(m[2]) > 59 || (Number(m[1]) === 24 && Number(m[2]) > 0)) {
    throw new InvalidOptionError(path, `expected a local time "HH:MM" (00:00 to 24:00), received ${JSON.stringify(text.slice(0, 20))}; quote it in YAML ("07:30")`)
  }
  return text
}

const minutesOf = (clock: string): number => {
  const [h, m] = clock.split(':').map(Number)
  return h! * 60 + m!
}

/**
 * Tells whether schedules are active at a wall-clock time. One formatter per time zone, made
 * once; formatting costs ~2 µs, so callers ask once per frame, not per rule and track.
 */
export class ScheduleClock {
  readonly #formats = new Map<string, Intl.DateTimeFormat>()
  constructor(readonly timeZone: string) {}

  /** Local day and minute of the day at `wallMs` in `zone`. */
  local(wallMs: number, zone = this.timeZone): { day: Day; minute: number } {
    let f = this.#formats.get(zone)
    if (!f) this.#formats.set(zone, (f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })))
    let day: Day = 'mon', hour = 0, minute = 0
    for (const part of f.formatToParts(wallMs)) {
      if (part.type === 'weekday') day = part.value.slice(0, 3).toLowerCase() as Day
      else if (part.type === 'hour') hour = Number(part.value)
      else if (part.type === 'minute') minute = Number(part.value)
    }
    return { day, minute: hour * 60 + minute }
  }

  /** Whether any of the schedules is active at `wallMs` (no schedules: always). */
  active(schedules: readonly Schedule[] | undefined, wallMs: number): boolean {
    if (!schedules || schedules.length === 0) return true
    return schedules.some((s) => {
      const { day, minute } = this.local(wallMs, s.timeZone)
      const from = minutesOf(s.from), to = minutesOf(s.to)
      const within = from <= to ? minute >= from && minute < to : minute >= from || minute < to
      if (!within) return false
      if (!s.days) return true
      // past midnight, the early hours belong to the day the period started on
      const startDay = from > to && minute < to ? DAYS[(DAYS.indexOf(day) + 6) % 7]! : day
      return s.days.includes(startDay)
    })
  }
}
