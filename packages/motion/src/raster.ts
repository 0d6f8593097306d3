import { pointInPolygon, type Polygon } from '@oko/core'

/**
 * Sets `value` in `out` (w × h, row-major) for every pixel whose centre lies inside `polygon`
 * (vertices in frame fractions). A polygon too small to hold a pixel centre marks the pixel under
 * its first vertex, so a tiny zone still exists. Returns the number of pixels marked.
 */
export function rasterizePolygon(polygon: Polygon, w: number, h: number, out: Uint8Array, value: number): number {
  let minX = 1
  let minY = 1
  let maxX = 0
  let maxY = 0
  for (const p of polygon) {
    minX = Math.min(minX, p.x); maxX = Math.max(maxX, p.x)
    minY = Math.min(minY, p.y); maxY = Math.max(maxY, p.y)
  }
  const x0 = Math.max(0, Math.floor(minX * w))
  const x1 = Math.min(w - 1, Math.ceil(maxX * w))
  const y0 = Math.max(0, Math.floor(minY * h))
  const y1 = Math.min(h - 1, Math.ceil(maxY * h))
  let marked = 0
  const point = { x: 0, y: 0 }
  for (let y = y0; y <= y1; y++) {
    point.y = (y + 0.5) / h
    for (let x = x0; x <= x1; x++) {
      point.x = (x + 0.5) / w
      if (pointInPolygon(point, polygon)) {
        out[y * w + x] = value
        marked++
      }
    }
  }
  if (marked === 0) {
    const first = polygon[0]!
    out[Math.min(h - 1, Math.floor(first.y * h)) * w + Math.min(w - 1, Math.floor(first.x * w))] = value
    marked = 1
  }
  return marked
}
