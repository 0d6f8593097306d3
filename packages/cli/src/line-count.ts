import { InvalidOptionError, type Point } from '@oko/core'
import { Deployment, defaultStages, watchRuleEngines, type DeploymentConfig } from '@oko/deploy'
import type { DetectorOptions } from '@oko/objects'
import { checkLine, rulesStage, type Direction, type LineCounts, type LineRule, type RuleEngine } from '@oko/rules'
import { followObjects } from './vehicles.js'

/** Which directions a count reports: one, or both. */
export type Watched = Direction | 'both'

/** One crossing of the counting line. */
export interface LineCrossing {
  readonly seq: number
  readonly ptsUs: number
  readonly trackId: string
  readonly class: string
  readonly direction: Direction
}

/** Counts per direction (only the watched ones), then per class. */
export type WatchedCounts = Partial<LineCounts>

export interface LineCount {
  readonly line: readonly [Point, Point]
  readonly direction: Watched
  readonly crossings: LineCrossing[]
  readonly counts: WatchedCounts
  readonly frames: number
}

/** `--line x1,y1,x2,y2` (fractions of the frame) as a checked line; errors name `--line`. */
export function parseLineOption(value: string): [Point, Point] {
  const parts = value.split(',').map((s) => s.trim())
  const numbers = parts.map(Number)
  if (parts.length !== 4 || parts.some((s) => s === '') || numbers.some((n) => !Number.isFinite(n))) {
    throw new InvalidOptionError('--line', `expected x1,y1,x2,y2 (four numbers, fractions of the frame in [0, 1]), e.g. --line 0.5,0,0.5,1 for a vertical line through the middle; received "${value.slice(0, 80)}"`)
  }
  const [x1, y1, x2, y2] = numbers as [number, number, number, number]
  return checkLine('--line', [[x1, y1], [x2, y2]])
}

/** `--direction a-b|b-a|both`. */
export function parseDirectionOption(value: string | undefined): Watched {
  if (value === undefined) return 'both'
  if (value === 'a-b' || value === 'b-a' || value === 'both') return value
  throw new InvalidOptionError('--direction', `expected a-b, b-a or both (side A is on your right walking the line from its first point to its second), received "${value.slice(0, 40)}"`)
}

/** The watched directions of line counts. */
export function watchedCounts(counts: LineCounts, direction: Watched): WatchedCounts {
  return direction === 'both' ? counts : { [direction]: counts[direction] }
}

export interface CountLineOptions {
  readonly line: readonly [Point, Point]
  readonly direction: Watched
  readonly detector: DetectorOptions
  readonly classes?: readonly string[]
  readonly fps?: number
  readonly fromMotion?: boolean
  readonly signal?: AbortSignal
}

/** Runs a clip or stream through motion → objects → tracking → one line rule, and reads the rule's counts. */
export async function countLine(url: string, options: CountLineOptions): Promise<LineCount> {
  const rule: LineRule = { name: 'line', type: 'line', line: options.line, direction: options.direction, ...(options.classes ? { classes: options.classes } : {}) }
  const stage = rulesStage({ rules: [rule], snapshots: false })
  const followed = await followObjects(url, {
    detector: options.detector,
    after: stage,
    ...(options.fps !== undefined ? { fps: options.fps } : {}),
    ...(options.fromMotion ? { fromMotion: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  })
  const crossings = followed.rules.flatMap((e) => (e.kind === 'line' ? [{ seq: e.seq, ptsUs: e.ptsUs, trackId: e.trackId, class: e.class, direction: e.direction }] : []))
  return { line: options.line, direction: options.direction, crossings, counts: watchedCounts(stage.engine.counts('line'), options.direction), frames: followed.summary.framesIn }
}

/** One camera's line rules and what they counted. */
export interface CameraLineCounts {
  readonly cameraId: string
  readonly rules: { readonly rule: string; readonly direction: Watched; readonly counts: WatchedCounts }[]
}

/**
 * Runs a deployment's cameras with its stages (no outputs, no alarms) and reads the counts of
 * every line rule of each camera from its rules engine. The config must have the `rules` stage
 * and at least one line rule; errors name `file`.
 */
export async function countDeployment(config: DeploymentConfig, file: string, signal?: AbortSignal): Promise<{ cameras: CameraLineCounts[]; frames: number; errors: string[] }> {
  if (!config.stages.some((s) => s.name === 'rules')) throw new InvalidOptionError(`${file}: stages`, 'has no `rules` stage: add `- tracking: { fromMotion: true }` (or after a detector) and then `- rules` to `stages:`')
  const lines = new Map(config.cameras.map((c) => [c.id, (c.rules ?? []).filter((r): r is LineRule => r.type === 'line')]))
  if ([...lines.values()].every((l) => l.length === 0)) throw new InvalidOptionError(`${file}: cameras`, 'no camera has a line rule; add one under a camera\'s `rules:`, e.g. - { name: northbound, type: line, line: [[0.1, 0.6], [0.9, 0.6]] }')
  const engines = new Map<string, RuleEngine>()
  // the last engine made for each camera
  const registry = watchRuleEngines(defaultStages(), (cameraId, engine) => void engines.set(cameraId, engine))
  await using deployment = await Deployment.start(config, { registry, ...(signal ? { signal } : {}) })
  // the counts are read from the engines once the cameras have ended; errors (a camera that could not be opened) are passed on
  const errors: string[] = []
  for await (const e of deployment.events) if (e.type === 'error') errors.push(`${e.cameraId ?? 'deployment'}: ${e.error.message}`)
  const summary = await deployment.completion
  const cameras = config.cameras.filter((c) => (lines.get(c.id) ?? []).length > 0).map((c) => {
    const engine = engines.get(c.id)
    return {
      cameraId: c.id,
      rules: lines.get(c.id)!.map((r) => {
        const direction = r.direction ?? 'both'
        return { rule: r.name, direction, counts: watchedCounts(engine ? engine.counts(r.name) : { 'a-b': {}, 'b-a': {} }, direction) }
      }),
    }
  })
  return { cameras, frames: summary.framesIn, errors }
}
