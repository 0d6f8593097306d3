import type { Frame, FrameInfo, Rect, Stage } from '@oko/core'
import { OkoError, checkArray, regionsFrame, checkKnownKeys, checkObject, checkOneOf, checkString, defineStage, optionalNumber, type RawImage, bytesPerPixel, checkRawImage, clampRect } from '@oko/core'

export interface RedactOptions {
  /** `pixelate` (default: coarse blocks, cannot be undone by deblurring) or `blur` (strong box blur). */
  mode?: 'pixelate' | 'blur'
  /** Widen each box by this fraction of its size on every side (hair, ears, plate frame). Default 0.15. */
  paddingFrac?: number
  /** Blocks (pixelate) or blur radius (blur) are this fraction of the box's longer side. Default 0.125. */
  strength?: number
}

interface Resolved { mode: 'pixelate' | 'blur'; paddingFrac: number; strength: number }

function resolve(value: unknown): Resolved {
  const o = checkObject('options', value, {})
  checkKnownKeys('options', o, ['mode', 'paddingFrac', 'strength', 'labels'])
  return {
    mode: checkOneOf('options.mode', o.mode, ['pixelate', 'blur'] as const, 'pixelate'),
    paddingFrac: optionalNumber('options.paddingFrac', o.paddingFrac, 0.15, { min: 0, max: 2 }),
    strength: optionalNumber('options.strength', o.strength, 0.125, { min: 0.01, max: 1 }),
  }
}

/** Validates redaction options (`mode`, `paddingFrac`, `strength`); an InvalidOptionError names the one that is wrong. */
export function checkRedactOptions(options: RedactOptions): void {
  resolve(options)
}

/** One 8-bit plane (or packed image) to redact in place. */
interface Plane { data: Uint8Array; width: number; height: number; stride: number; channels: number }

/**
 * Pixelates (or blurs) `boxes` of an image in place: faces, plates. Use it on every frame and
 * snapshot that leaves the process when privacy rules apply.
 */
export function redactImage(image: RawImage, boxes: readonly Rect[], options: RedactOptions = {}): void {
  const img = checkRawImage('image', image)
  const opts = resolve(options)
  const ch = bytesPerPixel(img.format)
  const plane: Plane = { data: img.data, width: img.width, height: img.height, stride: img.stride ?? img.width * ch, channels: ch }
  for (const b of boxes) redactPlane(plane, b, opts)
}

/**
 * A redacted copy of a frame (the original is untouched): gray8, rgb24, bgr24, rgba, yuv420p and
 * nv12 (every plane is redacted, chroma at its own scale); of an owned copy of some regions, a
 * copy of its crops.
 */
export function redactFrame(frame: Frame, boxes: readonly Rect[], options: RedactOptions = {}): Frame {
  const opts = resolve(options)
  const layout = planeLayout(frame)
  const redact = (planes: readonly Uint8Array[], strides: readonly number[], x0: number, y0: number, width: number, height: number) => {
    layout.forEach((l, i) => {
      const plane: Plane = { data: planes[i]!, width: Math.ceil(width / l.sx), height: Math.ceil(height / l.sy), stride: strides[i]!, channels: l.channels }
      for (const b of boxes) redactPlane(plane, { x: (b.x - x0) / l.sx, y: (b.y - y0) / l.sy, width: b.width / l.sx, height: b.height / l.sy }, opts)
    })
  }
  // new Uint8Array(p), not p.slice(): on a Buffer (what decoders hand out) slice() is a view.
  const copy = (planes: readonly Uint8Array[]) => planes.map((p) => new Uint8Array(p))
  if (frame.crops) {
    const crops = frame.crops.map((c) => ({ rect: c.rect, planes: copy(c.planes), strides: [...c.strides] }))
    for (const c of crops) redact(c.planes, c.strides, c.rect.x, c.rect.y, c.rect.width, c.rect.height)
    return regionsFrame(frame, crops)
  }
  const planes = copy(frame.planes)
  redact(planes, frame.strides, 0, 0, frame.width, frame.height)
  return { ...infoOf(frame), planes, strides: [...frame.strides] }
}

function infoOf(f: Frame): FrameInfo {
  return { cameraId: f.cameraId, seq: f.seq, ptsUs: f.ptsUs, wallMs: f.wallMs, width: f.width, height: f.height, format: f.format }
}

function planeLayout(frame: Frame): { sx: number; sy: number; channels: number }[] {
  switch (frame.format) {
    case 'gray8': return [{ sx: 1, sy: 1, channels: 1 }]
    case 'rgb24': case 'bgr24': return [{ sx: 1, sy: 1, channels: 3 }]
    case 'rgba': return [{ sx: 1, sy: 1, channels: 4 }]
    case 'yuv420p': return [{ sx: 1, sy: 1, channels: 1 }, { sx: 2, sy: 2, channels: 1 }, { sx: 2, sy: 2, channels: 1 }]
    case 'nv12': return [{ sx: 1, sy: 1, channels: 1 }, { sx: 2, sy: 2, channels: 2 }]
    default: throw new OkoError('ERR_UNSUPPORTED', `redaction does not support frame format ${String(frame.format)}`)
  }
}

function redactPlane(p: Plane, box: Rect, o: Resolved): void {
  const pad = o.paddingFrac
  const r = clampRect({ x: box.x - box.width * pad, y: box.y - box.height * pad, width: box.width * (1 + 2 * pad), height: box.height * (1 + 2 * pad) }, p.width, p.height)
  if (!r) return
  const size = Math.max(2, Math.round(Math.max(r.width, r.height) * o.strength))
  if (o.mode === 'pixelate') pixelate(p, r, size)
  else for (let pass = 0; pass < 3; pass++) boxBlur(p, r, size)
}

function pixelate(p: Plane, r: Rect, block: number): void {
  const { data, stride, channels: ch } = p
  const sums = new Float64Array(ch)
  for (let by = r.y; by < r.y + r.height; by += block) {
    for (let bx = r.x; bx < r.x + r.width; bx += block) {
      const ey = Math.min(by + block, r.y + r.height), ex = Math.min(bx + block, r.x + r.width)
      sums.fill(0)
      for (let y = by; y < ey; y++) for (let x = bx; x < ex; x++) for (let c = 0; c < ch; c++) sums[c]! += data[y * stride + x * ch + c]!
      const n = (ey - by) * (ex - bx)
      for (let y = by; y < ey; y++) for (let x = bx; x < ex; x++) for (let c = 0; c < ch; c++) data[y * stride + x * ch + c] = Math.round(sums[c]! / n)
    }
  }
}

/** Separable box blur of radius `radius` inside r (reads clamp to r, so nothing outside changes). */
function boxBlur(p: Plane, r: Rect, radius: number): void {
  const { data, stride, channels: ch } = p
  const line = new Float64Array(Math.max(r.width, r.height) * ch)
  const pass = (n: number, at: (i: number) => number): void => {
    for (let i = 0; i < n; i++) for (let c = 0; c < ch; c++) line[i * ch + c] = data[at(i) + c]!
    for (let i = 0; i < n; i++) {
      const a = Math.max(0, i - radius), b = Math.min(n - 1, i + radius)
      for (let c = 0; c < ch; c++) {
        let s = 0
        for (let k = a; k <= b; k++) s += line[k * ch + c]!
        data[at(i) + c] = Math.round(s / (b - a + 1))
      }
    }
  }
  for (let y = r.y; y < r.y + r.height; y++) pass(r.width, (i) => y * stride + (r.x + i) * ch)
  for (let x = r.x; x < r.x + r.width; x++) pass(r.height, (i) => (r.y + i) * stride + x * ch)
}

export interface RedactionStageOptions extends RedactOptions {
  /** Labels of the envelope's detections to hide. Default `['face', 'plate']`. */
  labels?: readonly string[]
}

/**
 * Hides the envelope's faces and plates (its detections with those labels, as the face and plate
 * stages add them): the frame becomes a redacted copy (an owned frame is redacted in place), so
 * frames that leave the process (recording, live view, webhooks) carry no identifiable faces or
 * plates. Plain pixel work: no model runtime.
 */
export function redactionStage(options: RedactionStageOptions = {}): Stage {
  const { labels: rawLabels, ...rest } = options
  resolve(rest)
  const labels = new Set(checkArray('options.labels', rawLabels, ['face', 'plate']).map((l, i) => checkString(`options.labels[${i}]`, l)))
  return defineStage({
    name: 'redact',
    process(envelope) {
      const boxes: Rect[] = []
      for (const d of envelope.detections) if (labels.has(d.label)) boxes.push(d.box)
      if (boxes.length > 0) envelope.frame = redactFrame(envelope.frame, boxes, rest)
      return envelope
    },
  })
}
