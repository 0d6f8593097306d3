import type { Rect, RawImage } from '@oko/core'
import { ort, type InferenceSession } from '@oko/onnx'
import { sampleBox, type Normalization, type OrientedBox } from '@oko/imaging'

/** A text line found by the detector, in image pixels. */
export interface TextBox extends OrientedBox {
  /** Mean text probability inside the component, in [0, 1]. */
  score: number
}

export interface TextDetectorOptions {
  /** Longest side the region is scaled to before detection (multiple of 32). */
  maxSidePx: number
  /**
   * Longest side for frames more than 1.5× maxSidePx (1080p and larger): their plates are large
   * in pixels, so a coarser first pass finds them and the finer second look reads them.
   */
  largeFrameSidePx: number
  /** Pixel probability threshold of the DB map. */
  binaryThreshold: number
  /** Minimum mean probability of a kept box. */
  boxThreshold: number
  /** DB unclip ratio: how far a shrunk text kernel is grown back. */
  unclipRatio: number
  normalization: Normalization
}

export const PADDLE_DET: TextDetectorOptions = {
  maxSidePx: 960,
  largeFrameSidePx: 768,
  binaryThreshold: 0.3,
  boxThreshold: 0.5,
  unclipRatio: 1.6,
  normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], order: 'bgr' },
}

/** Differentiable-binarisation (DB) text detector, e.g. PaddleOCR's, on an ONNX session. */
export class TextDetector {
  constructor(private readonly session: InferenceSession, private readonly options: TextDetectorOptions) {}

  release(): Promise<void> {
    return this.session.release()
  }

  /** Finds text boxes inside `region` of `image` (whole image by default). */
  async detect(image: RawImage, region: Rect = { x: 0, y: 0, width: image.width, height: image.height }, scale?: number): Promise<TextBox[]> {
    const longest = Math.max(region.width, region.height)
    const maxSidePx = longest > 1.5 * this.options.maxSidePx ? Math.min(this.options.maxSidePx, this.options.largeFrameSidePx) : this.options.maxSidePx
    // Default: fit maxSidePx, scaling small images and regions up (at most 2×, or to 320 px) so small plates' characters grow.
    const s = Math.min(scale ?? Math.max(Math.min(2, maxSidePx / longest), Math.min(320 / longest, 8)), maxSidePx / longest)
    const w = Math.max(32, Math.round((region.width * s) / 32) * 32)
    const h = Math.max(32, Math.round((region.height * s) / 32) * 32)
    const box: OrientedBox = { cx: region.x + region.width / 2, cy: region.y + region.height / 2, width: region.width, height: region.height, angle: 0 }
    const input = sampleBox(image, box, w, h, this.options.normalization, false, undefined, 2)
    const feeds = { [this.session.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, h, w]) }
    const result = await this.session.run(feeds)
    const map = result[this.session.outputNames[0]!]!.data as Float32Array
    const boxes = dbBoxes(map, w, h, this.options)
    const kx = region.width / w
    const ky = region.height / h
    return boxes.map((b) => ({
      cx: region.x + b.cx * kx,
      cy: region.y + b.cy * ky,
      width: b.width * Math.hypot(kx * Math.cos(b.angle), ky * Math.sin(b.angle)),
      height: b.height * Math.hypot(kx * Math.sin(b.angle), ky * Math.cos(b.angle)),
      angle: Math.atan2(ky * Math.sin(b.angle), kx * Math.cos(b.angle)),
      score: b.score,
    }))
  }
}

/**
 * DB post-processing: threshold the probability map, label 8-connected components, fit an
 * oriented rectangle to each by second moments, and grow it by the unclip distance.
 */
export function dbBoxes(map: Float32Array, w: number, h: number, o: Pick<TextDetectorOptions, 'binaryThreshold' | 'boxThreshold' | 'unclipRatio'>): TextBox[] {
  const labels = new Int32Array(w * h)
  const stack = new Int32Array(w * h)
  const boxes: TextBox[] = []
  let next = 0
  for (let start = 0; start < w * h; start++) {
    if (labels[start] !== 0 || map[start]! <= o.binaryThreshold) continue
    next++
    labels[start] = next
    let top = 0
    stack[top++] = start
    let n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, sp = 0
    let xlo = w, xhi = 0, ylo = h, yhi = 0
    while (top > 0) {
      const p = stack[--top]!
      const x = p % w
      const y = (p - x) / w
      if (x < xlo) xlo = x
      if (x > xhi) xhi = x
      if (y < ylo) ylo = y
      if (y > yhi) yhi = y
      n++; sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y; sp += map[p]!
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy
        if (yy < 0 || yy >= h) continue
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx
          if (xx < 0 || xx >= w) continue
          const q = yy * w + xx
          if (labels[q] === 0 && map[q]! > o.binaryThreshold) { labels[q] = next; stack[top++] = q }
        }
      }
    }
    if (n < 6) continue
    const score = sp / n
    if (score < o.boxThreshold) continue
    const mx = sx / n, my = sy / n
    const cxx = sxx / n - mx * mx, cyy = syy / n - my * my, cxy = sxy / n - mx * my
    let angle = 0.5 * Math.atan2(2 * cxy, cxx - cyy)
    // Text lines are wide: keep the long axis as x, within ±45°.
    if (angle > Math.PI / 4) angle -= Math.PI / 2
    if (angle < -Math.PI / 4) angle += Math.PI / 2
    // Extents of the component along its axes (second pass over its pixels, bounded by its bbox).
    const cos = Math.cos(angle), sin = Math.sin(angle)
    let u0 = Infinity, u1 = -Infinity, v0 = Infinity, v1 = -Infinity
    const id = next
    for (let y = ylo; y <= yhi; y++) {
      for (let x = xlo; x <= xhi; x++) {
        if (labels[y * w + x] !== id) continue
        const u = (x - mx) * cos + (y - my) * sin
        const v = -(x - mx) * sin + (y - my) * cos
        if (u < u0) u0 = u
        if (u > u1) u1 = u
        if (v < v0) v0 = v
        if (v > v1) v1 = v
      }
    }
    const bw = u1 - u0 + 1, bh = v1 - v0 + 1
    if (bh < 2) continue
    const d = (bw * bh * o.unclipRatio) / (2 * (bw + bh))
    const cu = (u0 + u1) / 2, cv = (v0 + v1) / 2
    boxes.push({
      cx: mx + cu * cos - cv * sin + 0.5,
      cy: my + cu * sin + cv * cos + 0.5,
      width: bw + 2 * d,
      height: bh + 2 * d,
      angle,
      score,
    })
  }
  return boxes
}
