import { OkoError, checkNumber } from '@oko/core'
import { euclidean } from './watchlist.js'

export interface ThresholdCalibration {
  /** Match when distance < threshold. */
  readonly threshold: number
  /** Fraction of the impostor distances below the threshold. */
  readonly falseMatchRate: number
  readonly impostors: number
}

/**
 * Picks the largest threshold whose false-match rate over `impostorDistances` (pairs of different
 * people) is at most `targetFalseMatchRate`. Needs about 1 / target impostor pairs to be meaningful.
 */
export function calibrateThreshold(impostorDistances: readonly number[], targetFalseMatchRate: number): ThresholdCalibration {
  checkNumber('targetFalseMatchRate', targetFalseMatchRate, { min: 0, max: 1 })
  if (impostorDistances.length === 0) throw new OkoError('ERR_INVALID_INPUT', 'calibration needs impostor distances (pairs of different people); none given')
  const sorted = [...impostorDistances].sort((a, b) => a - b)
  const allowed = Math.floor(targetFalseMatchRate * sorted.length)
  const threshold = sorted[Math.min(allowed, sorted.length - 1)]!
  const below = sorted.filter((d) => d < threshold).length
  return { threshold, falseMatchRate: below / sorted.length, impostors: sorted.length }
}

export interface RocPoint {
  readonly threshold: number
  /** Genuine pairs accepted. */
  readonly trueMatchRate: number
  /** Impostor pairs accepted. */
  readonly falseMatchRate: number
}

export function rocCurve(genuine: readonly number[], impostor: readonly number[], thresholds?: readonly number[]): RocPoint[] {
  const ts = thresholds ?? Array.from({ length: 41 }, (_, i) => 0.2 + i * 0.015)
  return ts.map((t) => ({
    threshold: t,
    trueMatchRate: genuine.filter((d) => d < t).length / Math.max(1, genuine.length),
    falseMatchRate: impostor.filter((d) => d < t).length / Math.max(1, impostor.length),
  }))
}

/**
 * Open-set calibration: each identity in turn plays a stranger against a gallery of the others'
 * first samples; the threshold is set on those strangers' nearest distances. This is the rate an
 * operator sees (a stranger is compared with everyone on the list), unlike the pairwise rate.
 */
export function calibrateOpenSet(identities: readonly (readonly LabelledDescriptor[])[], targetFalseMatchRate: number): ThresholdCalibration {
  const nearest: number[] = []
  for (const [i, stranger] of identities.entries()) {
    const gallery = identities.filter((_, j) => j !== i).map((s) => s[0]!)
    for (const probe of stranger) nearest.push(Math.min(...gallery.map((g) => euclidean(g.descriptor, probe.descriptor))))
  }
  return calibrateThreshold(nearest, targetFalseMatchRate)
}

export interface LabelledDescriptor {
  readonly identity: string
  readonly descriptor: Float32Array
  /** Where it came from (a file), for the per-probe report. */
  readonly source?: string
}

export interface IdentificationResult {
  readonly identities: number
  /** Probes of enrolled people, over all folds. */
  readonly probes: number
  /** Closed-set rank-1: the nearest enrolled identity is the right one. */
  readonly rank1: number
  /** Open-set: right identity and under the threshold (what an operator sees as a correct alert). */
  readonly openSetIdentificationRate: number
  /** Stranger probes (held-out identities) matched to someone. */
  readonly strangers: number
  readonly strangerMatchRate: number
  /** Thresholds used per fold (calibrated open-set on the enrolled identities only, or fixed). */
  readonly thresholds: readonly number[]
  readonly misses: readonly { source: string; identity: string; nearest: string; distance: number }[]
}

/**
 * Leave-one-identity-out open-set identification: for each identity held out as a stranger, the
 * others are enrolled from their first sample and probed with the rest; the held-out identity's
 * samples probe as strangers. The threshold is fixed, or calibrated per fold with calibrateOpenSet
 * on the enrolled identities only (the stranger never takes part in its own fold's calibration).
 */
export function evaluateIdentification(samples: readonly LabelledDescriptor[], options: { threshold?: number; falseMatchRate?: number } = {}): IdentificationResult {
  const byId = new Map<string, LabelledDescriptor[]>()
  for (const s of samples) byId.set(s.identity, [...(byId.get(s.identity) ?? []), s])
  const ids = [...byId.keys()].sort()
  if (ids.length < 2) throw new OkoError('ERR_INVALID_INPUT', `identification needs at least 2 identities, found ${ids.length}`)
  let probes = 0, rank1 = 0, open = 0, strangers = 0, strangerHits = 0
  const thresholds: number[] = []
  const misses: { source: string; identity: string; nearest: string; distance: number }[] = []
  for (const held of ids) {
    const enrolled = ids.filter((i) => i !== held)
    const threshold = options.threshold ?? calibrateOpenSet(enrolled.map((i) => byId.get(i)!), options.falseMatchRate ?? 0.01).threshold
    thresholds.push(threshold)
    const gallery = enrolled.map((i) => byId.get(i)![0]!)
    const nearest = (d: Float32Array): { identity: string; distance: number } => {
      let best = { identity: '', distance: Infinity }
      for (const g of gallery) {
        const dist = euclidean(g.descriptor, d)
        if (dist < best.distance) best = { identity: g.identity, distance: dist }
      }
      return best
    }
    for (const id of enrolled) {
      for (const probe of byId.get(id)!.slice(1)) {
        const n = nearest(probe.descriptor)
        probes++
        if (n.identity === id) rank1++
        if (n.identity === id && n.distance < threshold) open++
        else if (held === ids[0]) misses.push({ source: probe.source ?? '', identity: id, nearest: n.identity, distance: n.distance })
      }
    }
    for (const probe of byId.get(held)!) {
      strangers++
      if (nearest(probe.descriptor).distance < threshold) strangerHits++
    }
  }
  return {
    identities: ids.length, probes, rank1: rank1 / probes, openSetIdentificationRate: open / probes,
    strangers, strangerMatchRate: strangerHits / strangers, thresholds, misses,
  }
}

export interface VerificationResult {
  readonly pairs: number
  readonly genuine: number
  readonly impostor: number
  readonly threshold: number
  /** Fraction of pairs decided right at `threshold`. */
  readonly accuracy: number
  readonly trueMatchRate: number
  readonly falseMatchRate: number
  readonly roc: readonly RocPoint[]
  /** Best accuracy over the ROC thresholds (optimistic: chosen on the same pairs). */
  readonly bestAccuracy: { threshold: number; accuracy: number }
}

export function evaluateVerification(pairs: readonly { distance: number; same: boolean }[], threshold: number): VerificationResult {
  if (pairs.length === 0) throw new OkoError('ERR_INVALID_INPUT', 'verification needs at least one pair')
  const genuine = pairs.filter((p) => p.same).map((p) => p.distance)
  const impostor = pairs.filter((p) => !p.same).map((p) => p.distance)
  const correct = pairs.filter((p) => (p.distance < threshold) === p.same).length
  const roc = rocCurve(genuine, impostor)
  let bestAccuracy = { threshold, accuracy: correct / pairs.length }
  for (const r of roc) {
    const acc = (r.trueMatchRate * genuine.length + (1 - r.falseMatchRate) * impostor.length) / pairs.length
    if (acc > bestAccuracy.accuracy) bestAccuracy = { threshold: r.threshold, accuracy: acc }
  }
  return {
    pairs: pairs.length, genuine: genuine.length, impostor: impostor.length, threshold,
    accuracy: correct / pairs.length,
    trueMatchRate: genuine.filter((d) => d < threshold).length / Math.max(1, genuine.length),
    falseMatchRate: impostor.filter((d) => d < threshold).length / Math.max(1, impostor.length),
    roc, bestAccuracy,
  }
}
