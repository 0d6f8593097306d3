import { join } from 'node:path'
import { cityScene, streetScene, writeSampleClip, type CityScene, type SampleClip, type SceneSpec } from '@oko/samples'

/** A demo camera: its scene, and for the crossing the road's geometry and truth. */
export interface DemoCamera {
  readonly id: string
  readonly scene: SceneSpec
  readonly city?: CityScene
}

export interface DemoClip extends DemoCamera {
  readonly clip: SampleClip
}

/**
 * The demo's two cameras: a city crossing (cars with UA and EU plates, a walker, a stop line with
 * its light, a no-parking zone) and a street at dusk that switches to infrared.
 */
export function demoCameras(): DemoCamera[] {
  const city = cityScene()
  return [
    { id: 'crossing', scene: city.scene, city },
    { id: 'street', scene: streetScene() },
  ]
}

/** Renders and encodes the demo clips into `dir` (a few seconds). */
export function writeDemoClips(dir: string): DemoClip[] {
  // a city camera's bit rate (about 0.2 bit per pixel): leaner keyframes shimmer on the asphalt
  return demoCameras().map((c) => ({ ...c, clip: writeSampleClip(join(dir, `${c.id}.mp4`), c.scene, c.city ? { bitrate: '1M' } : {}) }))
}

const point = (p: readonly number[]) => `[${p.map((v) => +v.toFixed(4)).join(', ')}]`
const points = (l: readonly (readonly number[])[]) => `[${l.map(point).join(', ')}]`

/**
 * The deployment the demo runs (YAML, written next to the clips so a newcomer can read and reuse
 * it): motion → objects → tracking → attributes → plates → rules, the crossing's rules from its
 * geometry. With `serve`, the cameras loop in real time and the live page listens on `listen`;
 * its token comes from the environment (`OKO_DEMO_TOKEN`), never from the file.
 */
export function demoDeployment(clips: readonly DemoCamera[], serve?: { listen: string }): string {
  const lines = [
    '# oko demo: the deployment it runs on its generated cameras (oko run <this file> runs it again)',
    'stages:',
    '  - motion',
    '  # the generated cars score 0.35-0.6 with the default detector (real ones more): tracks are born from 0.35',
    '  # only cars and people: the detector also calls a generated car a truck, in a second box (NMS is per class)',
    '  - objects: { classes: [car, person], fps: 5, threads: 1, within: frame, scoreThreshold: 0.2 }',
    '  - tracking: { highScore: 0.35, newTrackScore: 0.35, lowScore: 0.2, lostTimeoutMs: 1500, snapshots: false }',
    '  - attributes                  # type and colour of each vehicle',
    '  - plates: { within: vehicles, countries: [ua, europe] }',
    '  - rules: { snapshots: false }',
    'cameras:',
  ]
  for (const c of clips) {
    lines.push(`  - id: ${c.id}`, `    url: ${c.id}.mp4`)
    if (serve) lines.push('    loop: true', '    realtime: true')
    const city = c.city
    if (!city) continue
    lines.push(
      `    masks: [${points(city.lamp)}]   # the traffic light's lamp changes colour: not motion`,
      '    rules:',
      `      - { name: count, type: line, line: ${points(city.countLine)}, classes: [car, bus, truck], countEveryMinutes: 60 }`,
      `      - { name: stop-line, type: stop-line, line: ${points(city.stopLine)}, direction: a-b, classes: [car, bus, truck], light: { lamp: ${points(city.lamp)} } }`,
      `      - { name: no-parking, type: zone, polygon: ${points(city.noParking)}, classes: [car, bus, truck], dwellSeconds: ${city.dwellSeconds}, events: [] }`,
    )
  }
  lines.push('output: events.jsonl')
  if (serve) lines.push('http:', `  listen: "${serve.listen}"`, '  auth: { token: "${OKO_DEMO_TOKEN}" }')
  return `${lines.join('\n')}\n`
}
