import type { Point, Polygon, Rect } from '@oko/core'

/** A segment from `a` to `b`. */
export interface Segment {
  readonly a: Point
  readonly b: Point
}

/** Where a track stands on the ground: the bottom centre of its box. */
export function anchorOf(box: Rect): Point {
  return { x: box.x + box.width / 2, y: box.y + box.height }
}

/**
 * Signed distance of `p` from the line through the segment, in the points' unit: positive on side
 * A, which is on your right as you walk from `a` to `b` on the picture (y grows downwards).
 */
export function signedDistance(s: Segment, p: Point): number {
  const dx = s.b.x - s.a.x, dy = s.b.y - s.a.y
  const length = Math.hypot(dx, dy)
  return (dx * (p.y - s.a.y) - dy * (p.x - s.a.x)) / length
}

/** Where the foot of `p` falls along the segment: 0 at `a`, 1 at `b`. */
export function alongSegment(s: Segment, p: Point): number {
  const dx = s.b.x - s.a.x, dy = s.b.y - s.a.y
  return ((p.x - s.a.x) * dx + (p.y - s.a.y) * dy) / (dx * dx + dy * dy)
}

export function segmentLength(s: Segment): number {
  return Math.hypot(s.b.x - s.a.x, s.b.y - s.a.y)
}

/** Whether segments p1–p2 and q1–q2 cross (touching counts), by orientations. */
export function segmentsIntersect(p1: Point, p2: Point, q1: Point, q2: Point): boolean {
  const o = (a: Point, b: Point, c: Point): number => Math.sign((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x))
  const on = (a: Point, b: Point, c: Point): boolean => Math.min(a.x, b.x) <= c.x && c.x <= Math.max(a.x, b.x) && Math.min(a.y, b.y) <= c.y && c.y <= Math.max(a.y, b.y)
  const d1 = o(q1, q2, p1), d2 = o(q1, q2, p2), d3 = o(p1, p2, q1), d4 = o(p1, p2, q2)
  if (d1 !== d2 && d3 !== d4 && d1 !== 0 && d2 !== 0 && d3 !== 0 && d4 !== 0) return true
  return (d1 === 0 && on(q1, q2, p1)) || (d2 === 0 && on(q1, q2, p2)) || (d3 === 0 && on(p1, p2, q1)) || (d4 === 0 && on(p1, p2, q2))
}

/** The first pair of non-adjacent edges that cross, as edge indices (edge i runs from point i to i+1), or undefined for a simple polygon. */
export function selfIntersection(poly: Polygon): [number, number] | undefined {
  const n = poly.length
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (j === i + 1 || (i === 0 && j === n - 1)) continue // neighbours share a point
      if (segmentsIntersect(poly[i]!, poly[(i + 1) % n]!, poly[j]!, poly[(j + 1) % n]!)) return [i, j]
    }
  }
  return undefined
}

/** Area by the shoelace formula (absolute). */
export function polygonArea(poly: Polygon): number {
  let twice = 0
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) twice += (poly[j]!.x + poly[i]!.x) * (poly[j]!.y - poly[i]!.y)
  return Math.abs(twice) / 2
}

/** Distance from `p` to the polygon's boundary. */
export function distanceToBoundary(poly: Polygon, p: Point): number {
  let best = Infinity
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) best = Math.min(best, distanceToSegment({ a: poly[j]!, b: poly[i]! }, p))
  return best
}

export function distanceToSegment(s: Segment, p: Point): number {
  const t = Math.max(0, Math.min(1, alongSegment(s, p)))
  return Math.hypot(p.x - (s.a.x + t * (s.b.x - s.a.x)), p.y - (s.a.y + t * (s.b.y - s.a.y)))
}

/** Scales points given as fractions of the frame to pixels. */
export function toPixels(points: readonly Point[], width: number, height: number): Point[] {
  return points.map((p) => ({ x: p.x * width, y: p.y * height }))
}

/**
 * A plane-to-plane projective map (3×3, row-major, h[8] = 1): from four image points to their
 * positions on the ground in metres (a ground-plane calibration), solved exactly by Gaussian
 * elimination. Undefined when three of the points are on one line (no such map).
 */
export function homographyFrom(image: readonly Point[], ground: readonly Point[]): number[] | undefined {
  const rows: number[][] = []
  for (let i = 0; i < 4; i++) {
    const { x, y } = image[i]!, { x: u, y: v } = ground[i]!
    rows.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
    rows.push([0, 0, 0, x, y, 1, -v * x, -v * y, v])
  }
  for (let c = 0; c < 8; c++) {
    let pivot = c
    for (let r = c + 1; r < 8; r++) if (Math.abs(rows[r]![c]!) > Math.abs(rows[pivot]![c]!)) pivot = r
    if (Math.abs(rows[pivot]![c]!) < 1e-12) return undefined
    ;[rows[c], rows[pivot]] = [rows[pivot]!, rows[c]!]
    for (let r = 0; r < 8; r++) {
      if (r === c) continue
      const f = rows[r]![c]! / rows[c]![c]!
      for (let k = c; k < 9; k++) rows[r]![k]! -= f * rows[c]![k]!
    }
  }
  const h = rows.map((r, i) => r[8]! / r[i]!)
  return [...h, 1]
}

/** Applies a homography to a point. */
export function project(h: readonly number[], p: Point): Point {
  const w = h[6]! * p.x + h[7]! * p.y + h[8]!
  return { x: (h[0]! * p.x + h[1]! * p.y + h[2]!) / w, y: (h[3]! * p.x + h[4]! * p.y + h[5]!) / w }
}

/** Whether any three of four points lie on one line (within `epsilon` of area). */
export function threeCollinear(points: readonly Point[], epsilon = 1e-9): boolean {
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      for (let k = j + 1; k < points.length; k++) if (polygonArea([points[i]!, points[j]!, points[k]!]) <= epsilon) return true
    }
  }
  return false
}
