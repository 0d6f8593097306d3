import { heldPart, overlaps, pixelsAt, type Frame, type Rect } from '@oko/core'

/**
 * How good a view of an object its box gives without reading pixels: its area, halved when it
 * touches the frame's edge (cut off) or overlaps another track (occluded).
 */
export function viewArea(box: Rect, others: readonly Rect[], width: number, height: number): number {
  let q = Math.max(0, box.width) * Math.max(0, box.height)
  const edge = 2
  if (box.x <= edge || box.y <= edge || box.x + box.width >= width - edge || box.y + box.height >= height - edge) q /= 2
  for (const o of others) if (overlaps(box, o)) { q /= 2; break }
  return q
}

/**
 * Sharpness of the luma inside `box`: mean absolute difference of neighbouring pixels on a grid of
 * at most 64×64 samples, in luma levels (1 where the frame has no luma plane or holds no pixels there).
 */
export function sharpness(frame: Frame, box: Rect): number {
  if (frame.format !== 'yuv420p' && frame.format !== 'nv12' && frame.format !== 'gray8') return 1
  const r = heldPart(frame, box)
  if (!r || r.width < 4 || r.height < 4) return 1
  const { planes, strides, x0, y0 } = pixelsAt(frame, r)
  const y = planes[0]!, stride = strides[0]!
  const step = Math.max(1, Math.floor(Math.max(r.width, r.height) / 64))
  let sum = 0, n = 0
  for (let row = r.y; row < r.y + r.height - 1; row += step) {
    const at = (row - y0) * stride - x0
    for (let col = r.x; col < r.x + r.width - 1; col += step) {
      const p = y[at + col]!
      sum += Math.abs(p - y[at + col + 1]!) + Math.abs(p - y[at + stride + col]!)
      n += 2
    }
  }
  return n > 0 ? Math.max(1, sum / n) : 1
}

