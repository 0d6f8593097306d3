import { iou, type Rect, type RawImage } from '@oko/core'
import { sampleBox, type Normalization } from '@oko/imaging'
import { ort, type InferenceSession } from './session.js'

/** How a box detector's output is laid out. `auto` tells yolov5/yolov8/end2end apart by shape. */
export type BoxLayout = 'auto' | 'yolov5' | 'yolov8' | 'yolox' | 'end2end'

export interface BoxDetectorOptions {
  inputWidth: number
  inputHeight: number
  layout: BoxLayout
  scoreThreshold: number
  /** Class ids to keep (default: every class). */
  classes?: number[]
  normalization: Normalization
  /** Boxes overlapping a better one by more than this IoU are dropped (per class). Default 0.45. */
  nmsIou?: number
}

/** A box a detector found, in image pixels, with its class. */
export interface DetectedBox extends Rect {
  score: number
  classId: number
}

/**
 * A detector with box outputs (YOLO family, fixed input size): the image (or a region of it) is
 * letterboxed into the input, boxes are decoded, filtered and de-duplicated (NMS per class).
 * Plates use it for a bring-your-own plate detector; objects for YOLOX/YOLOv5/v8/v11 detectors.
 */
export class BoxDetector {
  constructor(private readonly session: InferenceSession, private readonly options: BoxDetectorOptions) {}

  release(): Promise<void> {
    return this.session.release()
  }

  /** Boxes in `region` (default: the whole image), in image pixels. */
  async detect(image: RawImage, region: Rect = { x: 0, y: 0, width: image.width, height: image.height }): Promise<DetectedBox[]> {
    const { inputWidth: w, inputHeight: h } = this.options
    // Letterbox: keep the aspect ratio, pad right/bottom by sampling a larger box (border repeats).
    const scale = Math.min(w / region.width, h / region.height)
    const boxW = w / scale
    const boxH = h / scale
    const input = sampleBox(image, { cx: region.x + boxW / 2, cy: region.y + boxH / 2, width: boxW, height: boxH, angle: 0 }, w, h, this.options.normalization)
    const feeds = { [this.session.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, h, w]) }
    const result = await this.session.run(feeds)
    const out = result[this.session.outputNames[0]!]!
    const boxes = decodeBoxes(out.data as Float32Array, out.dims as number[], this.options)
    const kept = nms(boxes.filter((b) => b.x < region.width * scale && b.y < region.height * scale), this.options.nmsIou ?? 0.45)
    return kept.map((b) => ({
      x: region.x + b.x / scale,
      y: region.y + b.y / scale,
      width: b.width / scale,
      height: b.height / scale,
      score: b.score,
      classId: b.classId,
    }))
  }
}

type Scored = Rect & { score: number; classId: number }

/** Decodes YOLO-family outputs to boxes in input pixels (per box: its best wanted class). */
export function decodeBoxes(data: Float32Array, dims: readonly number[], o: Pick<BoxDetectorOptions, 'layout' | 'scoreThreshold' | 'classes' | 'inputWidth' | 'inputHeight'>): Scored[] {
  const shape = dims.filter((d, i) => !(i === 0 && d === 1 && dims.length === 3))
  let layout = o.layout
  if (layout === 'auto') {
    if (shape.length === 2 && (shape[1] === 6 || shape[1] === 7)) layout = 'end2end'
    else if (shape.length === 2 && shape[0]! < shape[1]!) layout = 'yolov8'
    else layout = 'yolov5'
  }
  const [a, b] = [shape[0]!, shape[1]!]
  const out: Scored[] = []
  const wanted = (cls: number) => !o.classes || o.classes.includes(cls)
  const push = (cx: number, cy: number, bw: number, bh: number, score: number, classId: number) => {
    if (score >= o.scoreThreshold) out.push({ x: cx - bw / 2, y: cy - bh / 2, width: bw, height: bh, score, classId })
  }
  if (layout === 'end2end') {
    // Rows: [batch, x1, y1, x2, y2, class, score] or [x1, y1, x2, y2, score, class].
    for (let i = 0; i < a; i++) {
      const r = data.subarray(i * b, (i + 1) * b)
      const [x1, y1, x2, y2, cls, score] = b === 7 ? [r[1]!, r[2]!, r[3]!, r[4]!, r[5]!, r[6]!] : [r[0]!, r[1]!, r[2]!, r[3]!, r[5]!, r[4]!]
      if (wanted(Math.round(cls)) && score >= o.scoreThreshold) out.push({ x: x1, y: y1, width: x2 - x1, height: y2 - y1, score, classId: Math.round(cls) })
    }
    return out
  }
  if (layout === 'yolov8') {
    // [4 + classes, N]: cx, cy, w, h, class scores.
    for (let i = 0; i < b; i++) {
      let best = 0, cls = 0
      for (let c = 4; c < a; c++) if (wanted(c - 4) && data[c * b + i]! > best) { best = data[c * b + i]!; cls = c - 4 }
      push(data[i]!, data[b + i]!, data[2 * b + i]!, data[3 * b + i]!, best, cls)
    }
    return out
  }
  // yolov5 / yolox: [N, 5 + classes]: cx, cy, w, h, objectness, class scores (yolox: grid-relative).
  const grid = layout === 'yolox' ? yoloxGrid(o.inputWidth, o.inputHeight) : undefined
  for (let i = 0; i < a; i++) {
    const r = i * b
    let best = b > 5 ? 0 : 1, cls = 0
    for (let c = 5; c < b; c++) if (wanted(c - 5) && data[r + c]! > best) { best = data[r + c]!; cls = c - 5 }
    const score = data[r + 4]! * best
    if (grid) {
      const [gx, gy, s] = [grid[3 * i]!, grid[3 * i + 1]!, grid[3 * i + 2]!]
      push((data[r]! + gx) * s, (data[r + 1]! + gy) * s, Math.exp(data[r + 2]!) * s, Math.exp(data[r + 3]!) * s, score, cls)
    } else {
      push(data[r]!, data[r + 1]!, data[r + 2]!, data[r + 3]!, score, cls)
    }
  }
  return out
}

/** YOLOX anchor points: (gx, gy, stride) for strides 8, 16, 32. */
function yoloxGrid(w: number, h: number): Float32Array {
  const cells: number[] = []
  for (const s of [8, 16, 32]) for (let y = 0; y < Math.floor(h / s); y++) for (let x = 0; x < Math.floor(w / s); x++) cells.push(x, y, s)
  return Float32Array.from(cells)
}

/** Greedy non-maximum suppression, per class, best score first. */
export function nms<B extends Rect & { score: number; classId?: number }>(boxes: B[], threshold: number): B[] {
  const kept: B[] = []
  for (const b of boxes.sort((p, q) => q.score - p.score)) if (kept.every((k) => k.classId !== b.classId || iou(k, b) <= threshold)) kept.push(b)
  return kept
}
