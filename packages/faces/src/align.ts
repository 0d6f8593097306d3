import type { Point, RgbImage } from '@oko/core'

/**
 * dlib's mean face shape for landmarks 17–67 of the 68-point scheme, in [0, 1] (from dlib's
 * `get_face_chip_details`). The face-api descriptor network is a port of dlib's ResNet, trained on
 * chips made from this template: aligning to it is what makes descriptors comparable.
 */
const TEMPLATE_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004,
  0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737,
  0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751,
  0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
  0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127,
  0.42689,
]
const TEMPLATE_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454,
  0.203352, 0.307009, 0.409805, 0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423,
  0.178758, 0.179852, 0.231733, 0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077,
  0.245099, 0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805, 0.902192,
  0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803,
  0.824182,
]

/** Geometry of an aligned face chip: side in pixels and padding around the template (dlib: 150, 0.25). */
export interface ChipGeometry {
  readonly sizePx: number
  readonly padding: number
}

export const DLIB_CHIP: ChipGeometry = { sizePx: 150, padding: 0.25 }

/** Index of the 68-scheme point in the 51-point template. */
const t51 = (i68: number): Point => ({ x: TEMPLATE_X[i68 - 17]!, y: TEMPLATE_Y[i68 - 17]! })
const mean = (ps: Point[]): Point => ({ x: ps.reduce((s, p) => s + p.x, 0) / ps.length, y: ps.reduce((s, p) => s + p.y, 0) / ps.length })
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i)

/**
 * Five points in image order: left eye centre, right eye centre, nose tip, left and right mouth
 * corner ("left" = smaller x in a frontal image). YuNet, RetinaFace and SCRFD use this order.
 */
export function fivePointsOf68(landmarks: readonly Point[]): Point[] {
  const p = (i: number): Point => landmarks[i]!
  return [mean(range(36, 41).map(p)), mean(range(42, 47).map(p)), p(30), p(48), p(54)]
}

const TEMPLATE_5: Point[] = [mean(range(36, 41).map(t51)), mean(range(42, 47).map(t51)), t51(30), t51(48), t51(54)]
const TEMPLATE_51: Point[] = TEMPLATE_X.map((x, i) => ({ x, y: TEMPLATE_Y[i]! }))

/** The template points (chip pixels) matching `landmarks` (68 or 5 points). */
function templateFor(count: number, chip: ChipGeometry): { template: Point[]; first: number } {
  const scale = (p: Point): Point => ({
    x: ((chip.padding + p.x) / (2 * chip.padding + 1)) * chip.sizePx,
    y: ((chip.padding + p.y) / (2 * chip.padding + 1)) * chip.sizePx,
  })
  if (count === 68) return { template: TEMPLATE_51.map(scale), first: 17 }
  if (count === 5) return { template: TEMPLATE_5.map(scale), first: 0 }
  throw new RangeError(`alignment needs 68 or 5 landmarks, received ${count}`)
}

/** x' = a·x − b·y + tx, y' = b·x + a·y + ty. */
export interface Similarity {
  readonly a: number
  readonly b: number
  readonly tx: number
  readonly ty: number
}

/** Least-squares similarity transform (rotation, uniform scale, shift) taking `src` onto `dst`. */
export function similarityTransform(src: readonly Point[], dst: readonly Point[]): Similarity {
  const n = src.length
  let sx = 0, sy = 0, dx = 0, dy = 0
  for (let i = 0; i < n; i++) { sx += src[i]!.x; sy += src[i]!.y; dx += dst[i]!.x; dy += dst[i]!.y }
  sx /= n; sy /= n; dx /= n; dy /= n
  let num1 = 0, num2 = 0, den = 0
  for (let i = 0; i < n; i++) {
    const x = src[i]!.x - sx, y = src[i]!.y - sy, u = dst[i]!.x - dx, v = dst[i]!.y - dy
    num1 += x * u + y * v
    num2 += x * v - y * u
    den += x * x + y * y
  }
  const a = den > 0 ? num1 / den : 1
  const b = den > 0 ? num2 / den : 0
  return { a, b, tx: dx - (a * sx - b * sy), ty: dy - (b * sx + a * sy) }
}

/** An aligned face: float RGB, HWC, 0–255, `sizePx`² (what the descriptor network takes). */
export interface AlignedFace {
  readonly data: Float32Array
  readonly sizePx: number
  /** Chip → image transform (maps chip pixels back onto the source image). */
  readonly toImage: Similarity
}

/**
 * Warps the face onto the canonical chip with a similarity transform fitted to its landmarks
 * (68 points, or 5), bilinear sampling, edges clamped. `image` is only read.
 */
export function alignFace(image: RgbImage, landmarks: readonly Point[], chip: ChipGeometry = DLIB_CHIP): AlignedFace {
  const { template, first } = templateFor(landmarks.length, chip)
  return warpToTemplate(image, landmarks.slice(first), template, chip.sizePx)
}

/** ArcFace/InsightFace 5-point template for 112×112 chips (eyes, nose, mouth corners). */
export const ARCFACE_112: readonly Point[] = [
  { x: 38.2946, y: 51.6963 }, { x: 73.5318, y: 51.5014 }, { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 }, { x: 70.7299, y: 92.2041 },
]

/** Warps `points` of the image onto `template` (chip pixels) in a `size`² chip. */
export function warpToTemplate(image: RgbImage, points: readonly Point[], template: readonly Point[], size: number): AlignedFace {
  const t = similarityTransform(template, points)
  const out = new Float32Array(size * size * 3)
  const { data, width: w, height: h } = image
  let o = 0
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const X = t.a * x - t.b * y + t.tx
      const Y = t.b * x + t.a * y + t.ty
      const x0 = Math.floor(X), y0 = Math.floor(Y)
      const fx = X - x0, fy = Y - y0
      const xa = x0 < 0 ? 0 : x0 >= w ? w - 1 : x0
      const xb = x0 + 1 < 0 ? 0 : x0 + 1 >= w ? w - 1 : x0 + 1
      const ya = y0 < 0 ? 0 : y0 >= h ? h - 1 : y0
      const yb = y0 + 1 < 0 ? 0 : y0 + 1 >= h ? h - 1 : y0 + 1
      const i00 = (ya * w + xa) * 3, i01 = (ya * w + xb) * 3, i10 = (yb * w + xa) * 3, i11 = (yb * w + xb) * 3
      for (let c = 0; c < 3; c++) {
        const top = data[i00 + c]! * (1 - fx) + data[i01 + c]! * fx
        const bottom = data[i10 + c]! * (1 - fx) + data[i11 + c]! * fx
        out[o++] = top * (1 - fy) + bottom * fy
      }
    }
  }
  return { data: out, sizePx: size, toImage: t }
}

/** Rounds an aligned chip to a packed rgb24 image (for snapshots). */
export function chipToRgb(chip: AlignedFace): RgbImage {
  const data = new Uint8Array(chip.data.length)
  for (let i = 0; i < data.length; i++) data[i] = Math.round(chip.data[i]!)
  return { data, width: chip.sizePx, height: chip.sizePx, format: 'rgb24' }
}
