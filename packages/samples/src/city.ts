import type { SceneObject, SceneSpec } from './scene.js'

type Line = readonly [readonly [number, number], readonly [number, number]]
type Polygon = readonly (readonly [number, number])[]

/** A vehicle of the city scene and what is true of it. */
export interface CityVehicle {
  readonly id: string
  /** `east`: near lane, left to right (its rear seen); `west`: far lane (its front); `parked`: standing in the no-parking zone. */
  readonly heading: 'east' | 'west' | 'parked'
  readonly colour: string
  readonly plate: string
  /** The light's colour when its bottom centre crossed the stop line (eastbound cars only). */
  readonly lightAtStopLine?: 'green' | 'amber' | 'red'
  /** Seconds it stands in the no-parking zone (its bottom centre inside). */
  readonly zoneSeconds: number
}

/** A city road with a crossing, seen from the kerb, with its geometry (fractions of the frame) and truth. */
export interface CityScene {
  readonly scene: SceneSpec
  /** Across both lanes (not the pavements): eastbound cars cross it a→b, westbound b→a. */
  readonly countLine: Line
  /** Across the near (eastbound) lane, and the lamp of its light. */
  readonly stopLine: Line
  readonly lamp: Polygon
  /** In the far lane; `dwellSeconds` is the limit. */
  readonly noParking: Polygon
  readonly dwellSeconds: number
  readonly vehicles: readonly CityVehicle[]
  /** The walkers (on the far pavement). */
  readonly walkers: readonly string[]
}

const W = 960, H = 540, FPS = 10
const CAR_W = 300, CAR_H = 130
const FAR_Y = 190, NEAR_Y = 362
const STOP_X = 620
/** Light: green, amber from 12 s, red from 14 s, green again from 22 s. */
const LIGHT = [{ fromFrame: 0, colour: 'green' }, { fromFrame: 120, colour: 'amber' }, { fromFrame: 140, colour: 'red' }, { fromFrame: 220, colour: 'green' }] as const

/**
 * 960×540 at 10 fps, 27.2 s: a two-lane road seen from its kerb, looking a little down the road,
 * so eastbound cars (near lane) show their side and rear plate and westbound ones (far lane) their
 * side and front plate. Three cars drive east over the stop line in 4 s each (one on red: the
 * violation), two drive west in 6 s, one stands 8 s in the no-parking zone (limit 5 s) and one 3 s (facing east), and
 * two walkers pass on the far pavement, one after the other. Something moves in every frame
 * (an H.264 keyframe after still frames shimmers enough for the motion gate). Objects that leave or stand follow each other at least 2 s
 * apart in the same place (a tracker keeps a lost track that long). Plates are UA (AA1234BC) and EU (Italian AB123CE) styles in @oko/samples'
 * plate font; cars are 300×130 px.
 */
export function cityScene(options: { seed?: number } = {}): CityScene {
  const car = (id: string, colour: readonly [number, number, number], plate: NonNullable<SceneObject['plate']>, x0: number, x1: number, y: number, fromFrame: number, toFrame: number): SceneObject => ({
    id, kind: 'car', width: CAR_W, height: CAR_H, from: { x: x0, y }, to: { x: x1, y }, fromFrame, toFrame, luma: 128, colour, plate,
    view: x1 > x0 ? 'rear-quarter' : 'front-quarter',
  })
  const objects: SceneObject[] = [
    car('white-ua', [232, 232, 228], { text: 'BC1234AK', style: 'ua' }, -CAR_W, W, NEAR_Y, 10, 50),
    car('blue-eu', [35, 70, 170], { text: 'AB123CE', style: 'eu' }, W, -CAR_W, FAR_Y, 20, 80),
    car('orange-stopped', [230, 120, 20], { text: 'KA2931EH', style: 'ua' }, 596, 600, FAR_Y, 62, 92),
    car('yellow-parked', [225, 185, 25], { text: 'AX9375BK', style: 'ua' }, 600, 590, FAR_Y, 112, 192),
    { id: 'walker-west', kind: 'person', width: 44, height: 110, from: { x: 920, y: 44 }, to: { x: -44, y: 44 }, fromFrame: 30, toFrame: 115, luma: 80, colour: [60, 90, 150] },
    { id: 'walker', kind: 'person', width: 44, height: 110, from: { x: -44, y: 48 }, to: { x: 860, y: 48 }, fromFrame: 135, toFrame: 215, luma: 80, colour: [170, 40, 40] },
    car('red-eu', [185, 22, 28], { text: 'EX457AK', style: 'eu' }, -CAR_W, W, NEAR_Y, 150, 190),
    car('grey-eu', [98, 100, 104], { text: 'BE952XK', style: 'eu' }, -CAR_W, W, NEAR_Y, 200, 240),
    car('green-ua', [30, 115, 60], { text: 'KA7755XH', style: 'ua' }, W, -CAR_W, FAR_Y, 212, 272),
  ]
  const colours: Record<string, string> = { 'white-ua': 'white', 'blue-eu': 'blue', 'yellow-parked': 'yellow', 'red-eu': 'red', 'green-ua': 'green', 'grey-eu': 'grey', 'orange-stopped': 'orange' }
  const lightAt = (frame: number) => [...LIGHT].reverse().find((l) => l.fromFrame <= frame)!.colour
  const vehicles: CityVehicle[] = objects.filter((o) => o.kind === 'car').map((o) => {
    const parked = Math.abs(o.to.x - o.from.x) < 20
    const heading = parked ? 'parked' : o.to.x > o.from.x ? 'east' : 'west'
    // The first frame its bottom centre is past the stop line.
    const atStop = o.fromFrame + Math.ceil(((STOP_X - CAR_W / 2 - o.from.x) / (o.to.x - o.from.x)) * (o.toFrame - o.fromFrame))
    return {
      id: o.id, heading, colour: colours[o.id]!, plate: o.plate!.text, zoneSeconds: parked ? (o.toFrame - o.fromFrame) / FPS : 0,
      ...(heading === 'east' ? { lightAtStopLine: lightAt(atStop) } : {}),
    }
  })
  const fx = (x: number) => x / W, fy = (y: number) => y / H
  return {
    scene: {
      width: W, height: H, fps: FPS, frames: 272, seed: options.seed ?? 21, noiseSigma: 2, rainStreaksPerFrame: 0, objects, lighting: [],
      background: 'road', lamps: [{ x: 900, y: 20, size: 24, states: LIGHT, housing: true }],
    },
    countLine: [[fx(360), fy(250)], [fx(360), fy(500)]],
    stopLine: [[fx(STOP_X), fy(340)], [fx(STOP_X), fy(500)]],
    lamp: [[fx(894), fy(14)], [fx(930), fy(14)], [fx(930), fy(50)], [fx(894), fy(50)]],
    noParking: [[fx(560), fy(250)], [fx(940), fy(250)], [fx(940), fy(334)], [fx(560), fy(334)]],
    dwellSeconds: 5,
    vehicles,
    walkers: ['walker-west', 'walker'],
  }
}
