import type { SceneObject, SceneSpec } from './scene.js'

/** A car of the traffic scene and what is true of it. */
export interface TrafficCar {
  readonly id: string
  /** `east` (left to right) or `west`. */
  readonly heading: 'east' | 'west' | 'parked'
  /** Its speed on the road, km/h (0 for the parking cars, which creep). */
  readonly kmh: number
  /** Seconds it is in the no-parking zone (its bottom centre inside). */
  readonly zoneSeconds: number
}

/** A generated road with its geometry and truth: cars at known speeds and directions, cars stopping in a no-parking zone. */
export interface TrafficScene {
  readonly scene: SceneSpec
  /** Road scale: pixels per metre (the view is straight down the road's side, no perspective). */
  readonly pixelsPerMetre: number
  /** Two vertical speed lines across the road (fractions of the frame) and the distance between them on the road, m. */
  readonly speedLines: readonly [readonly [[number, number], [number, number]], readonly [[number, number], [number, number]]]
  readonly speedLinesMetres: number
  /** A counting line across the road; side A is the west (eastbound cars cross it a→b). */
  readonly countLine: readonly [[number, number], [number, number]]
  /** The stop line (on the count line) and the lamp of its traffic light (fractions of the frame): green until `redFromFrame`, then red. */
  readonly stopLine: readonly [[number, number], [number, number]]
  readonly lamp: readonly [number, number][]
  readonly redFromFrame: number
  /** The no-parking zone (fractions of the frame). */
  readonly noParking: readonly [number, number][]
  readonly cars: readonly TrafficCar[]
}

/**
 * A 640×360 road at 10 fps, 26 s: three cars pass one at a time (eastbound ~54 km/h, westbound
 * ~36 km/h, eastbound ~72 km/h) over two lines 32 m apart, while one car creeps in a no-parking
 * strip above the road for 8 s and another for 3 s. Speeds in the truth are exact for the
 * rendered motion (integer frame span over a whole pixel distance).
 */
export function trafficScene(options: { seed?: number } = {}): TrafficScene {
  const width = 640, height = 360, fps = 10, pixelsPerMetre = 8
  const car = (id: string, x0: number, x1: number, y: number, fromFrame: number, toFrame: number): SceneObject => ({
    id, kind: 'car', width: 90, height: 40, from: { x: x0, y }, to: { x: x1, y }, fromFrame, toFrame, luma: 205,
  })
  const objects: SceneObject[] = [
    car('east-54', -100, 660, 220, 20, 84),
    car('west-36', 660, -100, 280, 90, 185),
    car('east-72', -100, 660, 220, 190, 238),
    car('parked-8s', 40, 80, 150, 95, 175),
    car('stopped-3s', 40, 52, 150, 205, 235),
  ]
  const kmh = (o: SceneObject) => (Math.abs(o.to.x - o.from.x) / (o.toFrame - o.fromFrame)) * fps / pixelsPerMetre * 3.6
  const cars: TrafficCar[] = objects.map((o) => {
    const parked = o.id.startsWith('parked') || o.id.startsWith('stopped')
    return { id: o.id, heading: parked ? 'parked' : o.to.x > o.from.x ? 'east' : 'west', kmh: parked ? 0 : kmh(o), zoneSeconds: parked ? (o.toFrame - o.fromFrame) / fps : 0 }
  })
  return {
    scene: {
      width, height, fps, frames: 260, seed: options.seed ?? 11, noiseSigma: 2, rainStreaksPerFrame: 0, objects, lighting: [],
      lamps: [{ x: 600, y: 20, size: 16, states: [{ fromFrame: 0, colour: 'green' }, { fromFrame: 186, colour: 'red' }] }],
    },
    stopLine: [[0.5, 0.56], [0.5, 1]],
    lamp: [[600 / width, 20 / height], [616 / width, 20 / height], [616 / width, 36 / height], [600 / width, 36 / height]],
    redFromFrame: 186,
    pixelsPerMetre,
    speedLines: [[[0.3, 0.56], [0.3, 1]], [[0.7, 0.56], [0.7, 1]]],
    speedLinesMetres: (0.4 * width) / pixelsPerMetre,
    countLine: [[0.5, 0.56], [0.5, 1]],
    noParking: [[0.02, 0.35], [0.4, 0.35], [0.4, 0.58], [0.02, 0.58]],
    cars,
  }
}
