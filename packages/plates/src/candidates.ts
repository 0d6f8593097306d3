import type { TextBox } from './detector.js'
import type { OrientedBox } from '@oko/imaging'

/** A region that may be a plate: one text line, or stacked lines read top first. */
export interface PlateCandidate {
  lines: OrientedBox[]
  /** The whole plate (all lines). */
  outline: OrientedBox
  score: number
}

export interface CandidateOptions {
  /** Smallest text height in pixels worth reading. */
  minTextHeightPx: number
  /** Most candidates read per image (best detector score first). */
  maxCandidates: number
}

/**
 * Plate candidates from text boxes: each box alone, runs of boxes on one line with plate-like
 * gaps (`AB 1234 CD`, a country strip next to the number), and two stacked boxes of similar
 * width (motorcycle and trailer plates).
 */
export function plateCandidates(boxes: readonly TextBox[], o: CandidateOptions): PlateCandidate[] {
  const kept = boxes.filter((b) => b.height >= o.minTextHeightPx && b.width >= 0.6 * b.height && b.width <= 30 * b.height)
  const out: PlateCandidate[] = kept.map((b) => ({ lines: [b], outline: b, score: b.score }))
  // Same-line runs, left to right.
  const sorted = [...kept].sort((a, b) => a.cx - b.cx)
  for (let i = 0; i < sorted.length; i++) {
    let run = [sorted[i]!]
    for (let j = i + 1; j < sorted.length && run.length < 4; j++) {
      const last = run[run.length - 1]!
      const b = sorted[j]!
      const h = Math.max(last.height, b.height)
      const ratio = b.height / last.height
      const gap = b.cx - b.width / 2 - (last.cx + last.width / 2)
      if (ratio < 0.6 || ratio > 1.6 || Math.abs(b.cy - last.cy) > 0.4 * h || gap > 1.2 * h || gap < -0.5 * h) continue
      run = [...run, b]
      out.push({ lines: [unionBox(run)], outline: unionBox(run), score: mean(run.map((r) => r.score)) })
    }
  }
  // Two stacked lines (square plates). Three-line plates are read from crops only: in frames,
  // a plate over its frame's text lines made false readings (openalpr-us: one plate lost).
  for (const a of kept) {
    for (const b of kept) {
      if (stacked(a, b)) out.push({ lines: [a, b], outline: unionBox([a, b]), score: (a.score + b.score) / 2 })
    }
  }
  return out.sort((a, b) => plateLikeness(b) - plateLikeness(a)).slice(0, o.maxCandidates)
}

/** `b` is the line under `a` on one plate: close below it, overlapping horizontally, of similar size. */
function stacked(a: TextBox, b: TextBox): boolean {
  if (a === b || b.cy <= a.cy) return false
  const h = Math.max(a.height, b.height)
  const gap = b.cy - b.height / 2 - (a.cy + a.height / 2)
  const overlap = Math.min(a.cx + a.width / 2, b.cx + b.width / 2) - Math.max(a.cx - a.width / 2, b.cx - b.width / 2)
  const ratio = b.height / a.height
  if (gap > 0.6 * h || gap < -0.4 * h || overlap < 0.5 * Math.min(a.width, b.width) || ratio < 0.5 || ratio > 2) return false
  return Math.max(a.width, b.width) <= 2.5 * Math.min(a.width, b.width)
}

/** Ranking key: detector score, favouring plate-shaped text (signs and long lines rank lower). */
function plateLikeness(c: PlateCandidate): number {
  const perLine = c.lines.map((l) => l.width / l.height)
  const shaped = perLine.every((r) => r >= 1.2 && r <= 9) ? 1 : 0.4
  return c.score * shaped * (c.outline.width * c.outline.height) ** 0.1
}

function mean(v: number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length
}

/** The smallest box, at the boxes' mean angle, that holds all of them. */
export function unionBox(boxes: readonly OrientedBox[]): OrientedBox {
  const angle = mean(boxes.map((b) => b.angle))
  const cos = Math.cos(angle), sin = Math.sin(angle)
  let u0 = Infinity, u1 = -Infinity, v0 = Infinity, v1 = -Infinity
  for (const b of boxes) {
    for (const [du, dv] of [[-1, -1], [1, -1], [1, 1], [-1, 1]] as const) {
      const bc = Math.cos(b.angle), bs = Math.sin(b.angle)
      const x = b.cx + (du * b.width / 2) * bc - (dv * b.height / 2) * bs
      const y = b.cy + (du * b.width / 2) * bs + (dv * b.height / 2) * bc
      const u = x * cos + y * sin
      const v = -x * sin + y * cos
      u0 = Math.min(u0, u); u1 = Math.max(u1, u); v0 = Math.min(v0, v); v1 = Math.max(v1, v)
    }
  }
  const cu = (u0 + u1) / 2, cv = (v0 + v1) / 2
  return { cx: cu * cos - cv * sin, cy: cu * sin + cv * cos, width: u1 - u0, height: v1 - v0, angle }
}
