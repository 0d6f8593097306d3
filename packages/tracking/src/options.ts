import { checkArray, checkBoolean, checkKnownKeys, checkObject, checkString, optionalNumber } from '@oko/core'

/** How the tracker associates, confirms and ends tracks (ByteTrack's thresholds, times in ms). */
export interface TrackerOptions {
  /** Detections at or above this score are associated first (ByteTrack `track_thresh`). Default 0.5. */
  readonly highScore?: number
  /** Detections below this score are ignored; those in [lowScore, highScore) go to the second pass. Default 0.1. */
  readonly lowScore?: number
  /** An unmatched detection starts a track at or above this score. Default 0.6. */
  readonly newTrackScore?: number
  /** Least IoU of a high-score detection with a track's predicted box (first pass). Default 0.2. */
  readonly matchIou?: number
  /** Least IoU in the low-score second pass. Default 0.5. */
  readonly lowMatchIou?: number
  /** Least IoU of a tentative track with its next detection. Default 0.3. */
  readonly tentativeMatchIou?: number
  /** Detections a track needs to be confirmed (and given its id). Default 3. */
  readonly confirmHits?: number
  /** A tentative track not seen for this long is dropped. Default 600 ms. */
  readonly tentativeTimeoutMs?: number
  /** A confirmed track not seen for this long ends. Default 2000 ms. */
  readonly lostTimeoutMs?: number
  /**
   * Classes that may follow each other in one track (a detector that calls a van `car` then
   * `truck`); the track takes the class most of its detections had. Any other class change starts
   * a new track. Default: vehicles together, two-wheelers together.
   */
  readonly classGroups?: readonly (readonly string[])[]
  /**
   * A detection that covers two or more tracks whole (motion blobs merge when objects cross)
   * updates none of them: each keeps its prediction and counts as seen. Default false (true for
   * the motion-blob source).
   */
  readonly coverGroups?: boolean
}

export type ResolvedTrackerOptions = Required<TrackerOptions>

export const DEFAULT_CLASS_GROUPS: readonly (readonly string[])[] = [['car', 'van', 'bus', 'truck'], ['motorcycle', 'bicycle']]

export const TRACKER_KEYS = ['highScore', 'lowScore', 'newTrackScore', 'matchIou', 'lowMatchIou', 'tentativeMatchIou', 'confirmHits', 'tentativeTimeoutMs', 'lostTimeoutMs', 'classGroups', 'coverGroups']

/** Checks tracker options; errors name `path.option`. */
export function resolveTrackerOptions(value: unknown, path = 'options', extraKeys: readonly string[] = []): ResolvedTrackerOptions {
  const o = checkObject(path, value ?? {})
  checkKnownKeys(path, o, [...TRACKER_KEYS, ...extraKeys])
  const unit = { min: 0, max: 1 }
  const lowScore = optionalNumber(`${path}.lowScore`, o.lowScore, 0.1, unit)
  const highScore = optionalNumber(`${path}.highScore`, o.highScore, 0.5, { min: lowScore, max: 1 })
  const groups = checkArray(`${path}.classGroups`, o.classGroups, DEFAULT_CLASS_GROUPS as unknown[]).map((g, i) =>
    checkArray(`${path}.classGroups[${i}]`, g).map((c, j) => checkString(`${path}.classGroups[${i}][${j}]`, c)))
  return {
    highScore,
    lowScore,
    newTrackScore: optionalNumber(`${path}.newTrackScore`, o.newTrackScore, Math.min(1, highScore + 0.1), unit),
    matchIou: optionalNumber(`${path}.matchIou`, o.matchIou, 0.2, { min: 0, exclusiveMin: true, max: 1 }),
    lowMatchIou: optionalNumber(`${path}.lowMatchIou`, o.lowMatchIou, 0.5, { min: 0, exclusiveMin: true, max: 1 }),
    tentativeMatchIou: optionalNumber(`${path}.tentativeMatchIou`, o.tentativeMatchIou, 0.3, { min: 0, exclusiveMin: true, max: 1 }),
    confirmHits: optionalNumber(`${path}.confirmHits`, o.confirmHits, 3, { min: 1, max: 100, integer: true }),
    tentativeTimeoutMs: optionalNumber(`${path}.tentativeTimeoutMs`, o.tentativeTimeoutMs, 600, { min: 0, max: 60_000 }),
    lostTimeoutMs: optionalNumber(`${path}.lostTimeoutMs`, o.lostTimeoutMs, 2000, { min: 0, max: 600_000 }),
    classGroups: groups,
    coverGroups: checkBoolean(`${path}.coverGroups`, o.coverGroups, false),
  }
}
