import {
  InvalidOptionError, checkArray, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkString, describeValue, optionalNumber,
  type Point, type Polygon,
} from '@oko/core'
import { homographyFrom, polygonArea, segmentLength, selfIntersection, threeCollinear, type Segment } from './geometry.js'
import { checkSchedule, checkTimeZone, type Schedule } from './schedule.js'
import type { Direction } from './events.js'

/** What every rule may say: which objects it looks at, where not, and when. Points are fractions [0, 1] of the frame. */
export interface RuleCommon {
  readonly name: string
  /** Only tracks of these classes (`car`, `person`, `object` for motion blobs…). Default: every class. */
  readonly classes?: readonly string[]
  /** Least box size, [width, height] as fractions of the frame: smaller tracks are ignored. */
  readonly minSize?: readonly [number, number]
  /** Polygons where this rule ignores tracks (their bottom centre inside). */
  readonly masks?: readonly Polygon[]
  /** When the rule is active (in the camera's time zone unless one is given); default always. */
  readonly schedule?: readonly Schedule[]
  /** Dead band around lines and zone edges against jitter, a fraction of the frame diagonal. Default 0.01. */
  readonly hysteresis?: number
}

/** Counts tracks crossing a line; an event per crossing in `direction`, counts per class every `countEveryMinutes`. */
export interface LineRule extends RuleCommon {
  readonly type: 'line'
  readonly line: readonly [Point, Point]
  /** Which crossings fire (`a-b`, `b-a` or `both`); both directions are always counted. Default `both`. */
  readonly direction?: Direction | 'both'
  /** A `count` event with the interval's per-class counts this often (stream time). Default: none (counts still kept). */
  readonly countEveryMinutes?: number
}

/** Enter, leave, dwell, occupancy and wrong way in a polygon. */
export interface ZoneRule extends RuleCommon {
  readonly type: 'zone'
  readonly polygon: Polygon
  /** Which of `enter` and `leave` fire. Default: both. */
  readonly events?: readonly ('enter' | 'leave')[]
  /** A `dwell` event when a track stays inside this long (loitering, no stopping, parking), once per visit. */
  readonly dwellSeconds?: number
  /** An `occupancy` event when more tracks than this are inside at once (and when it ends). */
  readonly maxOccupancy?: number
  /** The allowed direction of travel, [dx, dy] on the picture: a track going against it (more than 90°) fires `wrong-way`. */
  readonly direction?: Point
  /** How far (a fraction of the frame diagonal) a track must go against `direction` to be wrong-way. Default 0.05. */
  readonly wrongWayDistance?: number
}

/** A ground-plane calibration: four image points (fractions of the frame) and where they are on the road, metres. */
export interface Calibration {
  readonly image: readonly [Point, Point, Point, Point]
  readonly ground: readonly [Point, Point, Point, Point]
}

/** km/h per track: between two lines `distanceMetres` apart, or over a zone with a ground-plane calibration. */
export interface SpeedRule extends RuleCommon {
  readonly type: 'speed'
  readonly lines?: readonly [readonly [Point, Point], readonly [Point, Point]]
  readonly distanceMetres?: number
  readonly calibration?: Calibration
  /** With a calibration: the stretch measured (default the whole frame). */
  readonly polygon?: Polygon
  /** `speeding: true` over this, km/h. */
  readonly limitKmh?: number
}

/** Where a stop line's light state comes from: a lamp region's colour, or an external input (`RuleEngine.setLight`). */
export type LightSource =
  | { readonly lamp: Polygon; readonly holdFrames?: number; readonly minBrightness?: number }
  | { readonly input: string }

/** A vehicle crossing the line (in `direction`) while the light is red is a violation. */
export interface StopLineRule extends RuleCommon {
  readonly type: 'stop-line'
  readonly line: readonly [Point, Point]
  /** The direction traffic crosses the line; default `both`. */
  readonly direction?: Direction | 'both'
  readonly light: LightSource
}

export type RuleSpec = LineRule | ZoneRule | SpeedRule | StopLineRule
export type RuleType = RuleSpec['type']

export interface RulesOptions {
  readonly rules: readonly RuleSpec[]
  /** IANA time zone of the camera for schedules (`Europe/Kyiv`). Default `UTC`. */
  readonly timeZone?: string
}

const COMMON = ['name', 'type', 'classes', 'minSize', 'masks', 'schedule', 'hysteresis']
const KEYS: Record<RuleType, readonly string[]> = {
  line: [...COMMON, 'line', 'direction', 'countEveryMinutes'],
  zone: [...COMMON, 'polygon', 'events', 'dwellSeconds', 'maxOccupancy', 'direction', 'wrongWayDistance'],
  speed: [...COMMON, 'lines', 'distanceMetres', 'calibration', 'polygon', 'limitKmh'],
  'stop-line': [...COMMON, 'line', 'direction', 'light'],
}
const DIRECTIONS = ['a-b', 'b-a', 'both'] as const

/** Checks a list of rules (library options or a camera's `rules:`); errors are InvalidOptionError naming `path[i].option` and the fix. */
export function checkRules(path: string, value: unknown): RuleSpec[] {
  const list = checkArray(path, value)
  const names = new Set<string>()
  return list.map((r, i) => {
    const rule = checkRule(`${path}[${i}]`, r)
    if (names.has(rule.name)) throw new InvalidOptionError(`${path}[${i}].name`, `duplicate rule name "${rule.name}"; give each rule of a camera its own name`)
    names.add(rule.name)
    return rule
  })
}

/** Checks library options of the rules stage. */
export function checkRulesOptions(value: unknown, path = 'options'): Required<RulesOptions> {
  const o = checkObject(path, value)
  checkKnownKeys(path, o, ['rules', 'timeZone'])
  return { rules: checkRules(`${path}.rules`, o.rules), timeZone: o.timeZone === undefined ? 'UTC' : checkTimeZone(`${path}.timeZone`, o.timeZone) }
}

export function checkRule(path: string, value: unknown): RuleSpec {
  const o = checkObject(path, value)
  const type = checkOneOf(`${path}.type`, o.type, Object.keys(KEYS) as RuleType[])
  checkKnownKeys(path, o, KEYS[type])
  const common: RuleCommon = {
    name: checkString(`${path}.name`, o.name),
    ...(o.classes !== undefined ? { classes: checkArray(`${path}.classes`, o.classes).map((c, i) => checkString(`${path}.classes[${i}]`, c)) } : {}),
    ...(o.minSize !== undefined ? { minSize: checkMinSize(`${path}.minSize`, o.minSize) } : {}),
    ...(o.masks !== undefined ? { masks: checkArray(`${path}.masks`, o.masks).map((m, i) => checkPolygon(`${path}.masks[${i}]`, m)) } : {}),
    ...(o.schedule !== undefined ? { schedule: (Array.isArray(o.schedule) ? o.schedule : [o.schedule]).map((s, i) => checkSchedule(Array.isArray(o.schedule) ? `${path}.schedule[${i}]` : `${path}.schedule`, s)) } : {}),
    ...(o.hysteresis !== undefined ? { hysteresis: checkNumber(`${path}.hysteresis`, o.hysteresis, { min: 0, max: 0.2 }) } : {}),
  }
  switch (type) {
    case 'line':
      return {
        ...common, type, line: checkLine(`${path}.line`, o.line),
        ...(o.direction !== undefined ? { direction: checkOneOf(`${path}.direction`, o.direction, DIRECTIONS) } : {}),
        ...(o.countEveryMinutes !== undefined ? { countEveryMinutes: checkNumber(`${path}.countEveryMinutes`, o.countEveryMinutes, { min: 0, exclusiveMin: true, max: 1440 }) } : {}),
      }
    case 'zone': {
      const rule: ZoneRule = {
        ...common, type, polygon: checkPolygon(`${path}.polygon`, o.polygon),
        ...(o.events !== undefined ? { events: checkArray(`${path}.events`, o.events).map((e, i) => checkOneOf(`${path}.events[${i}]`, e, ['enter', 'leave'] as const)) } : {}),
        ...(o.dwellSeconds !== undefined ? { dwellSeconds: checkNumber(`${path}.dwellSeconds`, o.dwellSeconds, { min: 0, exclusiveMin: true, max: 86_400 }) } : {}),
        ...(o.maxOccupancy !== undefined ? { maxOccupancy: checkNumber(`${path}.maxOccupancy`, o.maxOccupancy, { min: 0, max: 100_000, integer: true }) } : {}),
        ...(o.direction !== undefined ? { direction: checkDirectionVector(`${path}.direction`, o.direction) } : {}),
        ...(o.wrongWayDistance !== undefined ? { wrongWayDistance: checkNumber(`${path}.wrongWayDistance`, o.wrongWayDistance, { min: 0, exclusiveMin: true, max: 2 }) } : {}),
      }
      if (rule.wrongWayDistance !== undefined && rule.direction === undefined) throw new InvalidOptionError(`${path}.wrongWayDistance`, 'needs `direction: [dx, dy]`, the direction traffic may go in the zone')
      return rule
    }
    case 'speed':
      return checkSpeed(path, o, common)
    case 'stop-line':
      return {
        ...common, type, line: checkLine(`${path}.line`, o.line),
        ...(o.direction !== undefined ? { direction: checkOneOf(`${path}.direction`, o.direction, DIRECTIONS) } : {}),
        light: checkLight(`${path}.light`, o.light),
      }
  }
}

function checkSpeed(path: string, o: Record<string, unknown>, common: RuleCommon): SpeedRule {
  const limit = o.limitKmh !== undefined ? { limitKmh: checkNumber(`${path}.limitKmh`, o.limitKmh, { min: 0, exclusiveMin: true, max: 1000 }) } : {}
  if (o.lines !== undefined) {
    if (o.calibration !== undefined) throw new InvalidOptionError(`${path}.calibration`, 'give either `lines` with `distanceMetres` or a `calibration`, not both')
    const lines = checkArray(`${path}.lines`, o.lines)
    if (lines.length !== 2) throw new InvalidOptionError(`${path}.lines`, `expected two lines [[x, y], [x, y]] a known distance apart, received ${describeValue(o.lines)}`)
    if (o.distanceMetres === undefined) throw new InvalidOptionError(`${path}.distanceMetres`, 'speed from two lines needs the distance between them on the road, in metres (measure it, e.g. with a tape or from road markings)')
    return {
      ...common, type: 'speed', ...limit,
      lines: [checkLine(`${path}.lines[0]`, lines[0]), checkLine(`${path}.lines[1]`, lines[1])],
      distanceMetres: checkNumber(`${path}.distanceMetres`, o.distanceMetres, { min: 0, exclusiveMin: true, max: 10_000 }),
    }
  }
  if (o.calibration === undefined) throw new InvalidOptionError(path, 'a speed rule needs a calibration: `lines` (two lines) with `distanceMetres`, or `calibration: { image: [4 points], ground: [4 points in metres] }`')
  if (o.distanceMetres !== undefined) throw new InvalidOptionError(`${path}.distanceMetres`, 'goes with `lines`; a calibration carries its own distances')
  return {
    ...common, type: 'speed', ...limit, calibration: checkCalibration(`${path}.calibration`, o.calibration),
    ...(o.polygon !== undefined ? { polygon: checkPolygon(`${path}.polygon`, o.polygon) } : {}),
  }
}

function checkCalibration(path: string, value: unknown): Calibration {
  const o = checkObject(path, value)
  checkKnownKeys(path, o, ['image', 'ground'])
  const four = (key: 'image' | 'ground', fraction: boolean): [Point, Point, Point, Point] => {
    const list = checkArray(`${path}.${key}`, o[key])
    if (list.length !== 4) throw new InvalidOptionError(`${path}.${key}`, `expected 4 points, received ${describeValue(o[key])}`)
    const points = list.map((p, i) => checkPoint(`${path}.${key}[${i}]`, p, fraction ? { min: 0, max: 1 } : { min: -100_000, max: 100_000 })) as [Point, Point, Point, Point]
    if (threeCollinear(points, fraction ? 1e-6 : 1e-3)) throw new InvalidOptionError(`${path}.${key}`, 'three of the four points lie on one line; pick four corners of a rectangle on the road (e.g. lane markings), no three in a row')
    return points
  }
  const image = four('image', true), ground = four('ground', false)
  if (!homographyFrom(image, ground)) throw new InvalidOptionError(path, 'these points give no ground-plane map; give the image points and the road points in the same order')
  return { image, ground }
}

function checkLight(path: string, value: unknown): LightSource {
  const o = checkObject(path, value)
  if (o.input !== undefined) {
    checkKnownKeys(path, o, ['input'])
    return { input: checkString(`${path}.input`, o.input) }
  }
  checkKnownKeys(path, o, ['lamp', 'holdFrames', 'minBrightness'])
  if (o.lamp === undefined) throw new InvalidOptionError(path, 'give `lamp: [[x, y], …]` (a polygon around the traffic light\'s lamps, fractions of the frame) or `input: <name>` (the state set from outside)')
  return {
    lamp: checkPolygon(`${path}.lamp`, o.lamp),
    holdFrames: optionalNumber(`${path}.holdFrames`, o.holdFrames, 2, { min: 1, max: 100, integer: true }),
    minBrightness: optionalNumber(`${path}.minBrightness`, o.minBrightness, 140, { min: 0, max: 255 }),
  }
}

/** A point as [x, y] or { x, y }. */
export function checkPoint(path: string, value: unknown, range = { min: 0, max: 1 }): Point {
  if (Array.isArray(value)) {
    if (value.length !== 2) throw new InvalidOptionError(path, `expected a point [x, y], received ${describeValue(value)}`)
    return { x: checkNumber(`${path}[0]`, value[0], range), y: checkNumber(`${path}[1]`, value[1], range) }
  }
  const o = checkObject(path, value)
  checkKnownKeys(path, o, ['x', 'y'])
  return { x: checkNumber(`${path}.x`, o.x, range), y: checkNumber(`${path}.y`, o.y, range) }
}

/** A line: two distinct points. */
export function checkLine(path: string, value: unknown): [Point, Point] {
  const points = checkArray(path, value)
  if (points.length !== 2) throw new InvalidOptionError(path, `expected a line of two points [[x, y], [x, y]], received ${describeValue(value)}`)
  const a = checkPoint(`${path}[0]`, points[0]), b = checkPoint(`${path}[1]`, points[1])
  if (segmentLength({ a, b } satisfies Segment) < 1e-4) throw new InvalidOptionError(path, 'the line has zero length (its two points are the same); give two different points across the road')
  return [a, b]
}

/** A polygon of at least 3 points that does not cross itself and has an area. */
export function checkPolygon(path: string, value: unknown): Polygon {
  const list = checkArray(path, value)
  if (list.length < 3) throw new InvalidOptionError(path, `expected a polygon of at least 3 points, received ${describeValue(value)}`)
  const poly = list.map((p, i) => checkPoint(`${path}[${i}]`, p))
  const crossing = selfIntersection(poly)
  if (crossing) throw new InvalidOptionError(path, `the polygon crosses itself (edge ${crossing[0] + 1} crosses edge ${crossing[1] + 1}); list its points in order around it`)
  if (polygonArea(poly) < 1e-6) throw new InvalidOptionError(path, 'the polygon has no area (its points lie on one line)')
  return poly
}

function checkMinSize(path: string, value: unknown): [number, number] {
  const list = checkArray(path, value)
  if (list.length !== 2) throw new InvalidOptionError(path, `expected [width, height] as fractions of the frame, received ${describeValue(value)}`)
  return [checkNumber(`${path}[0]`, list[0], { min: 0, max: 1 }), checkNumber(`${path}[1]`, list[1], { min: 0, max: 1 })]
}

function checkDirectionVector(path: string, value: unknown): Point {
  const p = checkPoint(path, value, { min: -1, max: 1 })
  if (Math.hypot(p.x, p.y) < 1e-6) throw new InvalidOptionError(path, 'expected a direction [dx, dy] on the picture, e.g. [1, 0] for left to right; received a zero vector')
  return p
}
