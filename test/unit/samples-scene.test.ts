import { describe, expect, it } from 'vitest'
import { SceneRenderer, checkScene, cityScene, streetScene, trackingScenes } from '@oko/samples'

describe('synthetic street scene', () => {
  const scene = streetScene({ width: 320, height: 180, fps: 10 })
  const renderer = new SceneRenderer(scene)

  it('renders the same pixels for the same frame, in any order', () => {
    const a = new Uint8Array(320 * 180)
    const b = new Uint8Array(320 * 180)
    renderer.renderLuma(42, a)
    renderer.renderLuma(3, b)
    renderer.renderLuma(42, b)
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
  })

  it('knows where every object is, and when the light changes', () => {
    const walker = scene.objects.find((o) => o.id === 'walker')!
    expect(renderer.truth(walker.fromFrame - 1).objects.map((o) => o.id)).not.toContain('walker')
    const mid = renderer.truth(Math.round((walker.fromFrame + walker.toFrame) / 2))
    expect(mid.objects.map((o) => o.id)).toContain('walker')
    const change = scene.lighting[0]!.atFrame
    expect(renderer.truth(change).lightingChange).toBe(true)
    expect(renderer.truth(change).objects).toEqual([])
    expect(renderer.truth(change + 1).lightingChange).toBe(false)
  })

  it('draws objects where the truth says they are', () => {
    const index = 50
    const luma = new Uint8Array(320 * 180)
    const quiet = new SceneRenderer({ ...scene, noiseSigma: 0, objects: [] })
    const empty = new Uint8Array(320 * 180)
    new SceneRenderer({ ...scene, noiseSigma: 0 }).renderLuma(index, luma)
    quiet.renderLuma(index, empty)
    for (const { box } of renderer.truth(index).objects) {
      let changed = 0
      for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) if (luma[y * 320 + x] !== empty[y * 320 + x]) changed++
      expect(changed / (box.width * box.height)).toBeGreaterThan(0.5)
    }
  })

  it('rejects a bad scene, naming the field', () => {
    expect(() => checkScene({ ...scene, width: 321 })).toThrow(/scene.width: width and height must be even/)
    expect(() => checkScene({ ...scene, fps: Number.NaN })).toThrow(/scene.fps: expected a number in \[1, 120\]/)
    expect(() => checkScene({ ...scene, objects: [{ ...scene.objects[0]!, kind: 'dog' }] })).toThrow(/scene.objects\[0\].kind/)
  })
})

describe('tracking scenes: waypoints and occluders', () => {
  const [crossing, stopAndGo, occluded] = trackingScenes()

  it('a car with two waypoints at one place stands still between them', () => {
    const r = new SceneRenderer(stopAndGo!.scene)
    const stop = stopAndGo!.cases.find((c) => c.event === 'stops')!
    const at = (i: number) => r.truth(i).objects.find((o) => o.id === 'car')!.box
    expect(at(stop.frames[0])).toEqual(at(stop.frames[1]))
    expect(at(stop.frames[0] - 5).x).toBeLessThan(at(stop.frames[0]).x)
    expect(at(stop.frames[1] + 5).x).toBeGreaterThan(at(stop.frames[1]).x)
  })

  it('an object behind an occluder is in the truth with its visible share, and the occluder is drawn over it', () => {
    const r = new SceneRenderer(occluded!.scene)
    const hidden = occluded!.cases.find((c) => c.event === 'hidden')!
    const walker = (i: number) => r.truth(i).objects.find((o) => o.id === 'walker')!
    expect(walker(hidden.frames[0]).visible).toBe(0)
    expect(walker(hidden.frames[1]).visible).toBe(0)
    expect(walker(hidden.frames[0] - 20).visible).toBe(1)
    const shelter = occluded!.scene.occluders![0]!
    const { width } = occluded!.scene
    const withWalker = new Uint8Array(width * occluded!.scene.height), without = new Uint8Array(width * occluded!.scene.height)
    r.renderLuma(hidden.frames[0], withWalker)
    new SceneRenderer({ ...occluded!.scene, objects: [] }).renderLuma(hidden.frames[0], without)
    const box = walker(hidden.frames[0]).box
    for (let y = box.y; y < box.y + box.height; y += 7) {
      for (let x = box.x; x < box.x + box.width; x += 5) {
        if (x >= shelter.x && x < shelter.x + shelter.width && y >= shelter.y && y < shelter.y + shelter.height) expect(withWalker[y * width + x]).toBe(without[y * width + x])
      }
    }
  })

  it('the crossing walkers overlap in the frames of the case', () => {
    const r = new SceneRenderer(crossing!.scene)
    const c = crossing!.cases.find((k) => k.event === 'crosses')!
    const boxes = r.truth(Math.round((c.frames[0] + c.frames[1]) / 2)).objects.filter((o) => o.id.startsWith('walker-')).map((o) => o.box)
    expect(boxes).toHaveLength(2)
    expect(Math.abs(boxes[0]!.x - boxes[1]!.x)).toBeLessThan(boxes[0]!.width)
  })

  it('refuses waypoints out of order and occluders outside the frame, naming them', () => {
    const car = stopAndGo!.scene.objects[0]!
    expect(() => checkScene({ ...stopAndGo!.scene, objects: [{ ...car, via: [{ frame: 50, x: 0, y: 0 }, { frame: 40, x: 0, y: 0 }] }] })).toThrow(/scene\.objects\[0\]\.via\[1\]\.frame/)
    expect(() => checkScene({ ...occluded!.scene, occluders: [{ x: 600, y: 0, width: 100, height: 10, luma: 100 }] })).toThrow(/scene\.occluders\[0\]\.width/)
  })
})

describe('the city crossing scene (oko demo)', () => {
  const city = cityScene()

  it('knows which car meets the red light, which ones stand in the zone and for how long', () => {
    expect(city.vehicles.map((v) => [v.id, v.heading, v.lightAtStopLine ?? '-', v.zoneSeconds])).toEqual([
      ['white-ua', 'east', 'green', 0], ['blue-eu', 'west', '-', 0], ['orange-stopped', 'parked', '-', 3], ['yellow-parked', 'parked', '-', 8],
      ['red-eu', 'east', 'red', 0], ['grey-eu', 'east', 'green', 0], ['green-ua', 'west', '-', 0],
    ])
    expect(city.vehicles.filter((v) => v.zoneSeconds > city.dwellSeconds).map((v) => v.id)).toEqual(['yellow-parked'])
  })

  it('has something moving in every frame from 1.2 s on, and draws each car in its box with its plate and the lamp in its colour', () => {
    const renderer = new SceneRenderer(city.scene)
    // (after the first second, while the motion gate learns the background)
    for (let i = 12; i < city.scene.frames; i++) expect(renderer.truth(i).objects.length, `frame ${i}`).toBeGreaterThan(0)
    const { width, height } = city.scene
    const yuv = new Uint8Array((width * height * 3) / 2)
    renderer.renderYuv420(30, yuv)
    const white = renderer.truth(30).objects.find((o) => o.id === 'white-ua')!.box
    // the white car's pixels differ from the asphalt (luma about 88) over most of its box
    let differ = 0
    for (let y = white.y; y < white.y + white.height; y++) for (let x = white.x; x < white.x + white.width; x++) if (Math.abs(yuv[y * width + x]! - 88) > 20) differ++
    expect(differ / (white.width * white.height)).toBeGreaterThan(0.5)
    renderer.renderYuv420(170, yuv)
    // the lamp is red (V high) at frame 170
    const [lx, ly] = [Math.round(city.lamp[0]![0] * width) + 8, Math.round(city.lamp[0]![1] * height) + 8]
    expect(yuv[width * height + (width / 2) * (height / 2) + (ly >> 1) * (width / 2) + (lx >> 1)]!).toBeGreaterThan(180)
  })

  it('refuses a plate it cannot draw, naming the field', () => {
    const car = { ...city.scene.objects[0]!, plate: { text: 'AB12Z4CE', style: 'ua' as const } }
    expect(() => checkScene({ ...city.scene, objects: [car] })).toThrow(/scene\.objects\[0\]\.plate\.text: no glyph for "Z"/)
  })
})
