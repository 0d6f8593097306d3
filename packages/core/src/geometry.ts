/** Axis-aligned box in pixels of the frame it refers to. */
export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

export interface Point {
  x: number
  y: number
}

/** Closed polygon, vertices in order; coordinates as fractions [0, 1] of the frame or in pixels, as the API says. */
export type Polygon = readonly Point[]

export function rectArea(r: Rect): number {
  return Math.max(0, r.width) * Math.max(0, r.height)
}

/** Intersection over union of two boxes, in [0, 1]. */
export function iou(a: Rect, b: Rect): number {
  const x0 = Math.max(a.x, b.x)
  const y0 = Math.max(a.y, b.y)
  const x1 = Math.min(a.x + a.width, b.x + b.width)
  const y1 = Math.min(a.y + a.height, b.y + b.height)
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0)
  const union = rectArea(a) + rectArea(b) - inter
  return union > 0 ? inter / union : 0
}

/** Distance between the centres of two rectangles, in their units. */
export function centreDistance(a: Rect, b: Rect): number {
  return Math.hypot(a.x + a.width / 2 - (b.x + b.width / 2), a.y + a.height / 2 - (b.y + b.height / 2))
}

/** The two boxes share some area (touching edges do not). */
export function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
}

/** Even-odd rule; points on an edge may fall either way. */
export function pointInPolygon(p: Point, poly: Polygon): boolean {
  let inside = false
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[i]!
    const b = poly[j]!
    if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside
  }
  return inside
}

/** Scales a box by sx, sy (e.g. from a downscaled plane back to the frame). */
export function scaleRect(r: Rect, sx: number, sy: number): Rect {
  return { x: r.x * sx, y: r.y * sy, width: r.width * sx, height: r.height * sy }
}
