import type { SceneObject, SceneOccluder, SceneSpec } from './scene.js'

/** What a tracker must get right in a tracking scene: each listed object is one track from its first frame to its last. */
export interface TrackingCase {
  /** The object (its id in the scene). */
  readonly id: string
  /** What happens to it: it `crosses` another object, `stops` for a while, or is `hidden` behind an occluder. */
  readonly event: 'passes' | 'crosses' | 'stops' | 'hidden'
  /** The frames the event lasts (the crossing's overlap, the stop, the time fully hidden), inclusive. */
  readonly frames: readonly [number, number]
}

/** A generated scene for tracking, with what each of its objects does. */
export interface TrackingScene {
  readonly name: string
  readonly scene: SceneSpec
  readonly cases: readonly TrackingCase[]
}

/** Options of the tracking scenes: their size in pixels and frame rate (the paths scale with them). */
export interface TrackingSceneOptions {
  readonly width?: number
  readonly height?: number
  readonly fps?: number
  readonly seed?: number
}

/**
 * Three street scenes whose truth a tracker is judged by, each about 12 s:
 * - `crossing`: two walkers walk towards each other along one pavement and pass (one in front of
 *   the other for about a second), and a car drives by behind them;
 * - `stop-and-go`: a car drives in, stops for 3 s (at a red light), and drives on; a walker passes;
 * - `occluded`: a walker walks behind a bus shelter (hidden whole for about a second) and out the
 *   other side; a car passes above.
 * Objects are large (a walker 1/3 of the frame high, a car 1/3 of its width) and walkers stand
 * in the upper two thirds: the default detector (CenterNet) finds these walkers in about 70% of
 * frames there, much less lower down or taller (bench/samples-detect.ts measures the drawing).
 */
export function trackingScenes(options: TrackingSceneOptions = {}): TrackingScene[] {
  const width = options.width ?? 640
  const height = options.height ?? 360
  const fps = options.fps ?? 10
  const seed = options.seed ?? 21
  const sx = width / 640, sy = height / 360
  const at = (x: number, y: number) => ({ x: Math.round(x * sx), y: Math.round(y * sy) })
  const f = (seconds: number) => Math.round(seconds * fps)
  const walker = (id: string, luma: number, from: [number, number], to: [number, number], fromS: number, toS: number, via: [number, number, number][] = []): SceneObject => ({
    id, kind: 'person', width: even(44 * sx), height: even(120 * sy), from: at(...from), to: at(...to), fromFrame: f(fromS), toFrame: f(toS), luma,
    ...(via.length > 0 ? { via: via.map(([s, x, y]) => ({ frame: f(s), ...at(x, y) })) } : {}),
  })
  const car = (id: string, luma: number, from: [number, number], to: [number, number], fromS: number, toS: number, via: [number, number, number][] = []): SceneObject => ({
    id, kind: 'car', width: even(220 * sx), height: even(96 * sy), from: at(...from), to: at(...to), fromFrame: f(fromS), toFrame: f(toS), luma,
    ...(via.length > 0 ? { via: via.map(([s, x, y]) => ({ frame: f(s), ...at(x, y) })) } : {}),
  })
  const base = { width, height, fps, frames: f(12), seed, noiseSigma: 2, rainStreaksPerFrame: 0, lighting: [] }
  // Walkers at 640 px in 8 s (80 px/s, a brisk walk at this scale); they meet at x = 280 at 6 s.
  const crossing: TrackingScene = {
    name: 'crossing',
    scene: {
      ...base, seed: seed + 1,
      objects: [
        car('car', 200, [-230, 10], [650, 10], 0.5, 5.5),
        walker('walker-east', 55, [-40, 130], [600, 136], 2, 10),
        walker('walker-west', 110, [600, 142], [-40, 136], 2, 10),
      ],
    },
    cases: [
      { id: 'car', event: 'passes', frames: [f(0.5), f(5.5)] },
      // overlapping while their x distance is under the walker's width (44 px at 160 px/s closing)
      { id: 'walker-east', event: 'crosses', frames: [f(6 - 44 / 160), f(6 + 44 / 160)] },
      { id: 'walker-west', event: 'crosses', frames: [f(6 - 44 / 160), f(6 + 44 / 160)] },
    ],
  }
  const stopAndGo: TrackingScene = {
    name: 'stop-and-go',
    scene: {
      ...base, seed: seed + 2,
      objects: [
        // 100 px/s, stands at x = 200 from 3 s to 6 s, then 100 px/s on
        car('car', 190, [-100, 200], [650, 200], 0, 10.5, [[3, 200, 200], [6, 200, 200]]),
        walker('walker', 60, [600, 70], [60, 80], 1, 9),
      ],
    },
    cases: [
      { id: 'car', event: 'stops', frames: [f(3), f(6)] },
      { id: 'walker', event: 'passes', frames: [f(1), f(9)] },
    ],
  }
  const shelter: SceneOccluder = { x: even(300 * sx), y: even(120 * sy), width: even(120 * sx), height: even(200 * sy), luma: 150 }
  const occluded: TrackingScene = {
    name: 'occluded',
    scene: {
      ...base, seed: seed + 3,
      occluders: [shelter],
      objects: [
        // 80 px/s: hidden whole while its 44 px fit behind the 120 px shelter (x 300…376), about 1 s
        walker('walker', 60, [40, 140], [680, 140], 1, 9),
        car('car', 205, [650, 10], [-230, 10], 2, 8),
      ],
    },
    cases: [
      { id: 'walker', event: 'hidden', frames: [f(1 + (300 - 40) / 80), f(1 + (376 - 40) / 80)] },
      { id: 'car', event: 'passes', frames: [f(2), f(8)] },
    ],
  }
  return [crossing, stopAndGo, occluded]
}

function even(v: number): number {
  return 2 * Math.round(v / 2)
}
