import type { SceneObject, SceneSpec } from './scene.js'

/** Walkers coming one after the other into a square, with the truth of how many are in it when. */
export interface CrowdScene {
  readonly scene: SceneSpec
  /** The square (fractions of the frame). */
  readonly square: readonly [number, number][]
  /** Most walkers in the square at once (their feet inside), and the frames they are all in. */
  readonly peak: number
  readonly peakFrames: readonly [number, number]
}

/** 640×360 at 10 fps, 14 s: five walkers 100 px apart walk down into a square, 1 s apart; all five are in it for half a second. */
export function crowdScene(options: { seed?: number } = {}): CrowdScene {
  const width = 640, height = 360, fps = 10
  const walkers: SceneObject[] = Array.from({ length: 5 }, (_, i) => ({
    id: `walker-${i}`, kind: 'person', width: 24, height: 64, from: { x: 80 + i * 100, y: 120 }, to: { x: 80 + i * 100, y: 250 },
    fromFrame: 10 + i * 10, toFrame: 70 + i * 10, luma: 50,
  }))
  const top = 0.6 * height
  // a walker's feet (y + 64) are in the square from y ≥ top − 64 until it leaves the scene at toFrame
  const enters = walkers.map((w) => w.fromFrame + Math.ceil(((top - w.height - w.from.y) / (w.to.y - w.from.y)) * (w.toFrame - w.fromFrame)))
  return {
    scene: { width, height, fps, frames: 140, seed: options.seed ?? 5, noiseSigma: 2, rainStreaksPerFrame: 0, objects: walkers, lighting: [] },
    square: [[0.05, 0.6], [0.95, 0.6], [0.95, 1], [0.05, 1]],
    peak: 5,
    peakFrames: [Math.max(...enters), Math.min(...walkers.map((w) => w.toFrame))],
  }
}
