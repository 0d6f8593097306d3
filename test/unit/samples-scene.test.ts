import { describe, expect, it } from 'vitest'
import { SceneRenderer, streetScene, checkScene, trackingScenes } from '@oko/samples'

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
