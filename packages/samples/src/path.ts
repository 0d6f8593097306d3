import type { Rect } from '@oko/core'
import type { SceneObject, SceneOccluder } from './scene.js'

/** An object's top-left corner at frame `index` (its path: from, its waypoints, to), or undefined outside its frames. */
export function positionAt(o: SceneObject, index: number): { x: number; y: number } | undefined {
  if (index < o.fromFrame || index > o.toFrame) return undefined
  const points = [{ frame: o.fromFrame, ...o.from }, ...(o.via ?? []), { frame: o.toFrame, ...o.to }]
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!, b = points[i]!
    if (index > b.frame) continue
    const t = b.frame > a.frame ? (index - a.frame) / (b.frame - a.frame) : 1
    return { x: Math.round(a.x + (b.x - a.x) * t), y: Math.round(a.y + (b.y - a.y) * t) }
  }
  return { x: o.to.x, y: o.to.y }
}

/** The share of `box` that no occluder covers, 0..1 (occluders may overlap each other: counted once). */
export function visibleShare(box: Rect, occluders: readonly SceneOccluder[]): number {
  const area = box.width * box.height
  if (area === 0 || occluders.length === 0) return 1
  let hidden = 0
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      if (occluders.some((c) => x >= c.x && x < c.x + c.width && y >= c.y && y < c.y + c.height)) hidden++
    }
  }
  return 1 - hidden / area
}

/** Draws the occluders' luma: a brick-like wall (rows of 8 px, joints every 16 px, offset every other row). */
export function drawOccludersLuma(occluders: readonly SceneOccluder[], out: Uint8Array, stride: number): void {
  for (const c of occluders) {
    for (let y = c.y; y < c.y + c.height; y++) {
      const row = Math.floor((y - c.y) / 8)
      for (let x = c.x; x < c.x + c.width; x++) {
        const joint = (y - c.y) % 8 === 0 || (x - c.x + (row % 2) * 8) % 16 === 0
        out[y * stride + x] = Math.max(0, Math.min(255, c.luma + (joint ? -35 : ((x * 5 + y * 3) % 7) - 3)))
      }
    }
  }
}

/** Makes the occluders' chroma neutral (a grey wall) in the U and V planes (`cw` samples a row). */
export function drawOccludersChroma(occluders: readonly SceneOccluder[], u: Uint8Array, v: Uint8Array, cw: number): void {
  for (const c of occluders) {
    for (let y = c.y >> 1; y < (c.y + c.height) >> 1; y++) {
      for (let x = c.x >> 1; x < (c.x + c.width) >> 1; x++) {
        u[y * cw + x] = 124
        v[y * cw + x] = 132
      }
    }
  }
}
