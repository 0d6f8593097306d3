import { InvalidOptionError, describeValue, type Rect } from '@oko/core'

/** The square CenterNet inputs a search picks from (multiples of 32): a run at 160² costs ~1/10 of one at 512². */
export const SEARCH_SIZES: readonly number[] = [160, 224, 320, 512]

/** Default `detail`: search areas are read at up to 1.25× the scale the whole frame gets at the largest input. */
export const DEFAULT_DETAIL = 1.25

/** Least padding around what moved, frame pixels, each side (a car's parts move first: its whole box must fit). */
const MIN_PAD_PX = 16

/** One detector run: a square of the frame sampled onto a square model input. */
export interface SearchPlan {
  /** The square's top-left corner and side, frame pixels; it may reach past the frame's edge (those input pixels repeat the edge). */
  readonly x: number
  readonly y: number
  readonly side: number
  /** The model input it is sampled to, pixels (size × size). */
  readonly size: number
  /** The part of the frame inside the square, whole pixels: what the detector reads (and what is copied for it). */
  readonly area: Rect
}

export interface SearchInput {
  readonly frame: { readonly width: number; readonly height: number }
  /** What moved in this frame (frame pixels); none: the whole frame is searched. */
  readonly moving: readonly Rect[]
  /** Where objects are expected (the boxes of the camera's last run that moved), searched with what moved. */
  readonly expected?: readonly Rect[]
  /** The model inputs available, pixels (any order). */
  readonly sizes: readonly number[]
  /** The most input pixels per frame pixel, as a factor of the scale the whole frame gets at the largest input (see `checkDetail`). */
  readonly detail: number
  /** `frame`: always the whole frame; `motion`: always around what moved; `auto`: around it unless it covers half the frame. */
  readonly within: 'auto' | 'motion' | 'frame'
}

/** Checks the `detail` option: a number from 0.5 to 4. */
export function checkDetail(path: string, value: unknown): number {
  if (value === undefined) return DEFAULT_DETAIL
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0.5 || value > 4) {
    throw new InvalidOptionError(path, `expected a number from 0.5 to 4 (input pixels per frame pixel, as a factor of the whole frame's scale; default ${DEFAULT_DETAIL}: higher finds smaller objects and costs more), received ${describeValue(value)}`)
  }
  return value
}

/**
 * Plans one detector run for a frame: the union of what moved and where objects are expected,
 * padded (a quarter of its size each side, at least MIN_PAD_PX), read at the whole frame's scale
 * (at the largest input) times `detail`, never finer than one input pixel per frame pixel unless
 * the whole frame already is, onto the smallest input that holds it. The square around it takes
 * the rest of that input (more context, no more cost). An area that needs more than the largest
 * input is read coarser on it; a square as large as the frame (or, with `auto`, an area of half
 * the frame) is the whole frame.
 */
export function planSearch(input: SearchInput): SearchPlan {
  const { frame, within } = input
  const sizes = [...input.sizes].sort((a, b) => a - b)
  const largest = sizes.at(-1)
  if (largest === undefined) throw new RangeError('planSearch: no input sizes')
  const detail = checkDetail('detail', input.detail)
  const { width: fw, height: fh } = frame
  const long = Math.max(fw, fh)
  const frameScale = largest / long
  // the whole frame: at the largest input, or a smaller one where detail < 1 asks for less
  const whole = wholeFrame(fw, fh, sizes.find((s) => s >= long * frameScale * Math.min(1, detail) - 1e-6) ?? largest)
  if (within === 'frame' || input.moving.length === 0) return whole
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity
  for (const r of [...input.moving, ...(input.expected ?? [])]) { x0 = Math.min(x0, r.x); y0 = Math.min(y0, r.y); x1 = Math.max(x1, r.x + r.width); y1 = Math.max(y1, r.y + r.height) }
  const px = Math.max(MIN_PAD_PX, (x1 - x0) / 4), py = Math.max(MIN_PAD_PX, (y1 - y0) / 4)
  x0 = Math.max(0, x0 - px); y0 = Math.max(0, y0 - py); x1 = Math.min(fw, x1 + px); y1 = Math.min(fh, y1 + py)
  if (x1 <= x0 || y1 <= y0) return whole
  if (within === 'auto' && (x1 - x0) * (y1 - y0) >= 0.5 * fw * fh) return whole
  let scale = Math.min(frameScale * detail, Math.max(frameScale, 1))
  const extent = Math.max(x1 - x0, y1 - y0)
  let size = sizes.find((s) => s >= extent * scale - 1e-6)
  if (size === undefined) {
    size = largest
    scale = largest / extent
  }
  const side = size / scale
  // a square as large as the frame is the whole frame
  if (side >= long - 1e-6) return whole
  const place = (lo: number, hi: number, length: number) => (side >= length ? 0 : Math.min(Math.max(0, (lo + hi) / 2 - side / 2), length - side))
  const x = place(x0, x1, fw), y = place(y0, y1, fh)
  return { x, y, side, size, area: inFrame(x, y, side, fw, fh) }
}

/** The whole frame at input `size`, its top-left corner at the input's (letterboxed: the rest repeats the edge). */
function wholeFrame(fw: number, fh: number, size: number): SearchPlan {
  return { x: 0, y: 0, side: Math.max(fw, fh), size, area: { x: 0, y: 0, width: fw, height: fh } }
}

function inFrame(x: number, y: number, side: number, fw: number, fh: number): Rect {
  // (float noise in the square's corner must not add a pixel row)
  const ax = Math.max(0, Math.floor(x + 1e-6)), ay = Math.max(0, Math.floor(y + 1e-6))
  const bx = Math.min(fw, Math.ceil(x + side - 1e-6)), by = Math.min(fh, Math.ceil(y + side - 1e-6))
  return { x: ax, y: ay, width: bx - ax, height: by - ay }
}

/** At most this many squares per detector run (each is one model run). */
export const MAX_SEARCHES = 4

/** What one model run costs beyond its input pixels, in input pixels (session call, decode, NMS; measured ~1 ms against ~9 ms at 160²). */
const RUN_OVERHEAD_PX = 160 * 160 / 8

/** More separate areas than this are searched as one square (grouping them would cost more than it saves). */
const MAX_GROUPED_AREAS = 16

/**
 * The squares of one detector run: what moved (and where objects are expected) in groups, each
 * group one square on the smallest input that reads it (planSearch); two groups are one square
 * when that costs no more input pixels than two (a run's cost is its input's area, plus a little
 * per run). Movers far apart (a walker by the gate, a car across the yard) are two 160² runs
 * instead of one 320² (half the pixels). The whole frame, when planSearch would read it, is one.
 */
export function planSearches(input: SearchInput): SearchPlan[] {
  const all = planSearch(input)
  const areas = [...input.moving, ...(input.expected ?? [])]
  const isWhole = all.area.width === input.frame.width && all.area.height === input.frame.height
  if (isWhole || areas.length < 2 || areas.length > MAX_GROUPED_AREAS) return [all]
  const planOf = (rects: readonly Rect[]) => planSearch({ ...input, moving: rects, expected: [] })
  const cost = (p: SearchPlan) => p.size * p.size + RUN_OVERHEAD_PX
  let groups = areas.map((r) => { const plan = planOf([r]); return { rects: [r], plan, cost: cost(plan) } })
  for (;;) {
    let best: { i: number; j: number; rects: Rect[]; plan: SearchPlan; cost: number; gain: number } | undefined
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const rects = [...groups[i]!.rects, ...groups[j]!.rects]
        const plan = planOf(rects)
        const c = cost(plan)
        const gain = groups[i]!.cost + groups[j]!.cost - c
        if (!best || gain > best.gain) best = { i, j, rects, plan, cost: c, gain }
      }
    }
    if (!best || (best.gain < 0 && groups.length <= MAX_SEARCHES)) break
    const merged = { rects: best.rects, plan: best.plan, cost: best.cost }
    groups = [...groups.filter((_, k) => k !== best.i && k !== best.j), merged]
  }
  // as many pixels as the one square of everything: that square (one run)
  const total = groups.reduce((s, g) => s + g.cost, 0)
  return total < cost(all) ? groups.map((g) => g.plan) : [all]
}
