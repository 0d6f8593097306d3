import type { Point, Rect } from '@oko/core'
import { checkKnownKeys, checkNumber, checkObject } from '@oko/core'
import type { AlignedFace } from './align.js'

/** How usable a detected face is for recognition. */
export interface FaceQuality {
  /** Shorter side of the face box, in pixels of the image searched. */
  readonly sizePx: number
  /** Distance between the eye centres, in pixels of the image searched. */
  readonly eyeDistancePx: number
  /** Variance of the Laplacian over the aligned chip's face area (grey levels²); low = blurred. */
  readonly sharpness: number
  /** Head turn estimated from the eyes and nose (degrees; 0 = frontal, sign = direction). Approximate. */
  readonly yawDeg: number
  readonly pitchDeg: number
  /** In-plane tilt of the eye line, degrees. */
  readonly rollDeg: number
  /** Combined score in [0, 1] (size, sharpness, pose), used to pick a track's best face. */
  readonly score: number
}

/** Why a face got no descriptor. */
export type FaceSkipReason = 'too-small' | 'blurred' | 'turned-away' | 'low-confidence'

export interface QualityGateOptions {
  /** Faces whose box's shorter side is below this (pixels) are skipped. Default 36. */
  minSizePx?: number
  /** Faces whose chip sharpness is below this are skipped as blurred. Default 30 (sharp photos measure 60–1400; a 1.4 px Gaussian-like blur brings them to 10–25). */
  minSharpness?: number
  /** Faces turned further than this (|yaw|) are skipped. Default 45. */
  maxYawDeg?: number
  /** Default 35. */
  maxPitchDeg?: number
}

export interface QualityGate {
  readonly minSizePx: number
  readonly minSharpness: number
  readonly maxYawDeg: number
  readonly maxPitchDeg: number
}

export function resolveQualityGate(path: string, value: unknown): QualityGate {
  const o = checkObject(path, value, {})
  checkKnownKeys(path, o, ['minSizePx', 'minSharpness', 'maxYawDeg', 'maxPitchDeg'])
  const num = (k: string, d: number, max: number): number =>
    o[k] === undefined ? d : checkNumber(`${path}.${k}`, o[k], { min: 0, max })
  return {
    minSizePx: num('minSizePx', 36, 10_000),
    minSharpness: num('minSharpness', 30, 1e6),
    maxYawDeg: num('maxYawDeg', 45, 90),
    maxPitchDeg: num('maxPitchDeg', 35, 90),
  }
}

/** Nose-tip depth relative to the eye distance, and the frontal nose drop below the eye line (as the 68-point net places it). */
const NOSE_DEPTH = 0.6
const NOSE_DROP = 0.65

/** Pose estimate from five points (eyes, nose, mouth corners in image order). */
export function estimatePose(five: readonly Point[]): { yawDeg: number; pitchDeg: number; rollDeg: number; eyeDistancePx: number } {
  const [le, re, nose] = five as [Point, Point, Point]
  const ex = re.x - le.x, ey = re.y - le.y
  const d = Math.hypot(ex, ey) || 1
  const ux = ex / d, uy = ey / d
  const mx = (le.x + re.x) / 2, my = (le.y + re.y) / 2
  const along = ((nose.x - mx) * ux + (nose.y - my) * uy) / d
  const down = (-(nose.x - mx) * uy + (nose.y - my) * ux) / d
  const deg = (r: number): number => (Math.asin(Math.max(-1, Math.min(1, r))) * 180) / Math.PI
  return {
    yawDeg: deg(along / NOSE_DEPTH),
    pitchDeg: deg((down - NOSE_DROP) / NOSE_DEPTH),
    rollDeg: (Math.atan2(ey, ex) * 180) / Math.PI,
    eyeDistancePx: d,
  }
}

/** Variance of the 4-neighbour Laplacian of the chip's grey image, inside the template area. */
export function chipSharpness(chip: AlignedFace, padding = 0.25): number {
  const n = chip.sizePx
  const margin = Math.round((padding / (1 + 2 * padding)) * n) + 2
  const grey = new Float32Array(n * n)
  for (let i = 0, j = 0; i < grey.length; i++, j += 3) {
    grey[i] = 0.299 * chip.data[j]! + 0.587 * chip.data[j + 1]! + 0.114 * chip.data[j + 2]!
  }
  let sum = 0, sum2 = 0, count = 0
  for (let y = margin; y < n - margin; y++) {
    for (let x = margin; x < n - margin; x++) {
      const i = y * n + x
      const l = grey[i - 1]! + grey[i + 1]! + grey[i - n]! + grey[i + n]! - 4 * grey[i]!
      sum += l; sum2 += l * l; count++
    }
  }
  if (count === 0) return 0
  const m = sum / count
  return sum2 / count - m * m
}

export function assessQuality(box: Rect, five: readonly Point[], chip: AlignedFace): FaceQuality {
  const pose = estimatePose(five)
  const sharpness = chipSharpness(chip)
  const sizePx = Math.min(box.width, box.height)
  const sizeScore = Math.min(1, sizePx / 112)
  const sharpScore = Math.min(1, sharpness / 300)
  const poseScore = Math.max(0, 1 - Math.abs(pose.yawDeg) / 60) * Math.max(0, 1 - Math.abs(pose.pitchDeg) / 60)
  return {
    sizePx, eyeDistancePx: pose.eyeDistancePx, sharpness,
    yawDeg: pose.yawDeg, pitchDeg: pose.pitchDeg, rollDeg: pose.rollDeg,
    score: sizeScore * 0.4 + sharpScore * 0.3 + poseScore * 0.3,
  }
}

/** The first reason the gate rejects a face, or undefined when it passes. */
export function gateFace(q: FaceQuality, gate: QualityGate): FaceSkipReason | undefined {
  if (q.sizePx < gate.minSizePx) return 'too-small'
  if (Math.abs(q.yawDeg) > gate.maxYawDeg || Math.abs(q.pitchDeg) > gate.maxPitchDeg) return 'turned-away'
  if (q.sharpness < gate.minSharpness) return 'blurred'
  return undefined
}
