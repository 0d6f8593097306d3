import { describe, expect, it } from 'vitest'
import { SceneRenderer, streetScene, checkScene } from '@oko/samples'

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
