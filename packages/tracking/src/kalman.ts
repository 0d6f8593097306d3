import type { Rect } from '@oko/core'

/**
 * Constant-velocity Kalman filter of a box anchored at its bottom centre: state (x, y, w, h) and
 * their rates per second, where (x, y) is the bottom centre (where the object touches the ground).
 * Predicted by elapsed time, not frames (detectors run at a varying 2–10 fps). Noise is diagonal
 * per coordinate, as ByteTrack's is, so the 8×8 covariance is four independent 2×2 blocks: exact,
 * and a few dozen flops per step.
 *
 * Noise scales with the box height (a near car moves more pixels than a far one).
 */
export interface KalmanNoise {
  /** Measurement noise, as a fraction of the box height (ByteTrack: 1/20). */
  readonly measurement: number
  /** Acceleration noise of the anchor, box heights per s² (continuous white-noise acceleration). */
  readonly acceleration: number
  /** Acceleration noise of the size, box heights per s². */
  readonly sizeAcceleration: number
  /** Initial velocity uncertainty, box heights per s. */
  readonly initialVelocity: number
}

export const DEFAULT_NOISE: KalmanNoise = { measurement: 0.05, acceleration: 2, sizeAcceleration: 0.5, initialVelocity: 4 }

const DIMS = 4

export class BoxKalman {
  /** x, y, w, h (bottom-centre anchor), then their rates per second. */
  readonly mean = new Float64Array(8)
  /** Per coordinate i: variance of position, covariance, variance of rate at [3i], [3i+1], [3i+2]. */
  readonly #cov = new Float64Array(12)
  readonly #noise: KalmanNoise

  constructor(box: Rect, noise: KalmanNoise = DEFAULT_NOISE) {
    this.#noise = noise
    const z = measure(box)
    const h = Math.max(1, z[3]!)
    for (let i = 0; i < DIMS; i++) {
      this.mean[i] = z[i]!
      this.mean[i + 4] = 0
      const pos = 2 * noise.measurement * h
      const vel = (i < 2 ? noise.initialVelocity : noise.initialVelocity / 4) * h
      this.#cov[3 * i] = pos * pos
      this.#cov[3 * i + 1] = 0
      this.#cov[3 * i + 2] = vel * vel
    }
  }

  /** Moves the state on by `dtS` seconds. */
  predict(dtS: number): void {
    if (!(dtS > 0)) return
    const h = Math.max(1, this.mean[3]!)
    const dt2 = dtS * dtS, dt3 = dt2 * dtS
    for (let i = 0; i < DIMS; i++) {
      const q = ((i < 2 ? this.#noise.acceleration : this.#noise.sizeAcceleration) * h) ** 2
      this.mean[i] = this.mean[i]! + this.mean[i + 4]! * dtS
      const k = 3 * i
      const a = this.#cov[k]!, b = this.#cov[k + 1]!, c = this.#cov[k + 2]!
      // F P Fᵀ + Q, F = [[1, dt], [0, 1]], Q = q [[dt³/3, dt²/2], [dt²/2, dt]]
      this.#cov[k] = a + 2 * dtS * b + dt2 * c + (q * dt3) / 3
      this.#cov[k + 1] = b + dtS * c + (q * dt2) / 2
      this.#cov[k + 2] = c + q * dtS
    }
    if (this.mean[2]! < 1) this.mean[2] = 1
    if (this.mean[3]! < 1) this.mean[3] = 1
  }

  /** Corrects the state with a measured box. */
  update(box: Rect): void {
    const z = measure(box)
    const r = (this.#noise.measurement * Math.max(1, z[3]!)) ** 2
    for (let i = 0; i < DIMS; i++) {
      const k = 3 * i
      const a = this.#cov[k]!, b = this.#cov[k + 1]!, c = this.#cov[k + 2]!
      const s = a + r
      const g0 = a / s, g1 = b / s
      const innovation = z[i]! - this.mean[i]!
      this.mean[i] = this.mean[i]! + g0 * innovation
      this.mean[i + 4] = this.mean[i + 4]! + g1 * innovation
      this.#cov[k] = (1 - g0) * a
      this.#cov[k + 1] = (1 - g0) * b
      this.#cov[k + 2] = c - g1 * b
    }
  }

  /** Stops the size from drifting while the object is not seen (ByteTrack zeroes the height rate of lost tracks). */
  freezeSize(): void {
    this.mean[6] = 0
    this.mean[7] = 0
  }

  /** Standard deviation of the anchor's position, px (how far the prediction may be off). */
  positionStd(): number {
    return Math.sqrt(Math.max(this.#cov[0]!, this.#cov[3]!))
  }

  box(): Rect {
    const [x, y, w, h] = this.mean
    return { x: x! - w! / 2, y: y! - h!, width: w!, height: h! }
  }

  velocity(): { x: number; y: number } {
    return { x: this.mean[4]!, y: this.mean[5]! }
  }
}

function measure(box: Rect): [number, number, number, number] {
  return [box.x + box.width / 2, box.y + box.height, Math.max(1, box.width), Math.max(1, box.height)]
}
