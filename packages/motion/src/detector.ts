import { OkoError, checkNumber, checkObject, lumaOf, type Frame, type LumaPlane, type MotionRegion, type ZoneHit } from '@oko/core'
import { KernelModule } from '@oko/wasm'
import { CameraHealth, type TamperChange, type TamperState } from './health.js'
import { resolveMotionOptions, type MotionOptions, type ResolvedMotionOptions } from './options.js'
import { Layout } from './layout.js'

/** Which frame a detection is about. */
export interface DetectInfo {
  readonly seq: number
  readonly ptsUs: number
}

export interface MotionResult {
  readonly seq: number
  readonly ptsUs: number
  /** Motion held for `minFrames` frames in a row (what a gate should act on). */
  readonly motion: boolean
  /** Fraction of the unmasked picture that moved in this frame, in [0, 1]. */
  readonly score: number
  /** Moving regions in frame pixel coordinates, largest first (at most 64). */
  readonly regions: readonly MotionRegion[]
  /** Zones with a hit in this frame. */
  readonly zones: readonly ZoneHit[]
  readonly tamper: TamperState
  /** Tamper conditions that started or cleared in this frame. */
  readonly tamperChanges: readonly TamperChange[]
  /** A sudden change over most of the picture (lights, IR switch) restarted the background. */
  readonly lightingReset: boolean
}

interface Found {
  readonly score: number
  readonly regions: readonly MotionRegion[]
  readonly zones: readonly ZoneHit[]
}
const NOTHING: Found = { score: 0, regions: [], zones: [] }
const NO_TAMPER: TamperState = { frozen: false, covered: false, defocused: false, moved: false }
const NO_CHANGES: readonly TamperChange[] = Object.freeze([])
const MAX_REGIONS = 64
/** Frames after the first (or a reset) during which the model learns faster. */
const WARMUP_FRAMES = 30
/** The long-term scene (for `moved`) is refreshed and compared every this many frames. */
const SCENE_EVERY = 8
/** Changed fraction above which the detector checks whether the light changed. */
const GLOBAL_CHANGE_PROBE = 0.12
/** Correlation of changed pixels with the background above which the change is light, not objects. */
const SAME_STRUCTURE = 0.7
/** Grey-level variance under which the changed pixels count as flat (covered, blacked out). */
const FLAT_VARIANCE = 2

/**
 * Motion detector for one camera: WASM background model at a reduced height, masks, zones,
 * lighting-change resets and camera-health checks. Create one per camera with `create`; feed it
 * every decoded luma plane in order. Its memory is sized once, at the first frame.
 */
export class MotionDetector implements AsyncDisposable {
  readonly options: ResolvedMotionOptions
  readonly #module: KernelModule
  #layout: Layout | undefined
  readonly #health: CameraHealth | undefined
  #frames = 0
  #streak = 0
  #sinceReset = 0
  #closed = false
  readonly #changes: TamperChange[] = []

  private constructor(options: ResolvedMotionOptions, module: KernelModule) {
    this.options = options
    this.#module = module
    this.#health = options.tamper === false ? undefined : new CameraHealth(options.tamper)
  }

  /** Validates `options` (synchronously: a bad option rejects before any work) and loads the kernels. */
  static async create(options: MotionOptions = {}): Promise<MotionDetector> {
    const resolved = resolveMotionOptions(options)
    const module = resolved.module ?? (await KernelModule.load())
    return new MotionDetector(resolved, module)
  }

  /** Frame size this detector works on (fixed by the first frame). */
  get frameSize(): { readonly width: number; readonly height: number } | undefined {
    return this.#layout?.frameSize
  }

  /** Processing size (after the first frame), e.g. 320 × 180. */
  get processingSize(): { width: number; height: number } | undefined {
    return this.#layout && { width: this.#layout.w, height: this.#layout.h }
  }

  /**
   * The foreground of the last frame at processing size: 255 moving, 0 still (after cleaning and
   * the region-size filter). A view into the detector's memory, valid until the next `detect`.
   */
  get foreground(): LumaPlane | undefined {
    const l = this.#layout
    return l && { data: l.keepView, width: l.w, height: l.h, stride: l.w }
  }

  /** Detects motion in one luma plane (borrowed: read during the call only). */
  detect(luma: LumaPlane, info: DetectInfo): MotionResult {
    if (this.#closed) throw new OkoError('ERR_CLOSED', 'MotionDetector.detect: the detector is closed')
    checkInfo(info)
    checkLuma(luma, this.#layout)
    const l = (this.#layout ??= new Layout(this.#module, this.options, luma))
    l.copyIn(luma)
    return this.#detect(l, luma.stride, info)
  }

  /**
   * `detect(lumaOf(frame), frame)`, except that a frame which can copy its luma into memory the
   * reader owns (`copyLumaTo`: frames of @oko/source at their decoded size) copies it straight into
   * the detector's memory: one copy of the plane instead of two (0.1 ms less a 1080p frame).
   */
  detectFrame(frame: Frame): MotionResult {
    if (typeof frame.copyLumaTo !== 'function') return this.detect(lumaOf(frame), frame)
    if (this.#closed) throw new OkoError('ERR_CLOSED', 'MotionDetector.detectFrame: the detector is closed')
    checkInfo(frame)
    const { width, height } = frame
    checkSize('frame', width, height, width, this.#layout)
    // sized for the frame's own planes too, in case a later frame of the camera has to be read through them
    const l = this.#layout ?? new Layout(this.#module, this.options, { width, height, stride: Math.max(width, frame.strides[0] ?? 0) })
    if (!frame.copyLumaTo(l.packedView)) return this.detect(lumaOf(frame), frame)
    this.#layout = l
    return this.#detect(l, width, frame)
  }

  /** Everything after the luma plane is in `l.src` (rows `srcStride` bytes apart). */
  #detect(l: Layout, srcStride: number, info: DetectInfo): MotionResult {
    const k = l.kernels
    const { w, h, n } = l
    k.downscaleArea(l.src, srcStride, l.frameWidth, l.frameHeight, l.tmp, w, h, l.scratch)
    if (l.mask !== 0) k.maskApply(l.tmp, l.mask, n)
    // edge energy before the blur (fine detail is what a lens out of focus loses)
    const gradient = this.#health ? k.gradientSum(l.tmp, w, h) : 0
    k.blur3(l.tmp, l.cur, w, h)

    const first = this.#frames === 0
    this.#frames++
    let lightingReset = false
    if (first) {
      this.#resetModel(l, true)
    }
    // robust global brightness shift: median of (picture − background) on a grid
    const samples = k.diffHistogram(l.cur, l.bg, l.hist, w, h, l.histStep)
    const offset = -medianOffset(l.histView, samples)
    const warm = this.#sinceReset < WARMUP_FRAMES
    const changed = first ? 0 : k.bgSubtract(l.cur, l.bg, l.dev, l.thr, l.fg, n, offset, Math.round(this.options.noiseGain * 4))
    const fraction = changed / l.unmasked
    if (fraction > GLOBAL_CHANGE_PROBE) {
      // A large part changed at once. Most of the picture: lights, IR switch, a moved or covered
      // camera. Less, but the changed pixels still look like the background did (high
      // correlation between picture and background over them): light, not objects. Either way
      // restart the background; keep the long-term scene only when the structure held.
      const changedLikeBefore = this.#correlateChanged(l, changed)
      if (fraction > this.options.lightingChange || changedLikeBefore >= SAME_STRUCTURE) {
        lightingReset = true
        this.#resetModel(l, this.#correlate(l, l.bg) >= 0.5)
      }
    }

    let found: Found = NOTHING
    if (lightingReset || first) {
      l.keepView.fill(0)
      this.#streak = 0
    } else {
      found = this.#regions(l)
      this.#streak = found.regions.length > 0 ? this.#streak + 1 : 0
    }

    // scratch list, copied out only in the rare frame where a tamper condition changed
    const changes = this.#changes
    changes.length = 0
    if (this.#health) this.#checkHealth(this.#health, l, info.ptsUs, gradient, first, lightingReset, changes)

    if (!lightingReset && !first) {
      const rate = warm ? Math.min(2047, Math.max(l.rate, 4096 / (this.#sinceReset + 2))) : l.rate
      const devRate = warm ? Math.min(2047, Math.max(l.devRate, 4096 / (this.#sinceReset + 4))) : l.devRate
      k.bgUpdate(l.cur, l.bg, l.dev, l.keep, n, Math.round(rate), warm ? Math.round(rate) : l.fgRate, Math.round(devRate), offset)
      this.#sinceReset++
    }
    const covered = this.#health?.covered ?? false
    return {
      seq: info.seq,
      ptsUs: info.ptsUs,
      motion: this.#streak >= this.options.minFrames && !covered,
      score: found.score,
      regions: found.regions,
      zones: found.zones,
      tamper: this.#health ? this.#health.state : NO_TAMPER,
      tamperChanges: changes.length > 0 ? changes.slice() : NO_CHANGES,
      lightingReset,
    }
  }

  /** Releases the WASM memory. Idempotent; `detect` afterwards throws ERR_CLOSED. */
  async close(): Promise<void> {
    this.#closed = true
    this.#layout = undefined
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Cleans the foreground (closing), labels it, drops small regions; fills keep and the result. */
  #regions(l: Layout): Found {
    const k = l.kernels
    const { w, h, n } = l
    k.dilate3(l.fg, l.tmp, w, h)
    k.erode3(l.tmp, l.fg, w, h)
    const count = k.labelRegions(l.fg, w, h, l.labels, l.parent, l.capacity, l.regions, l.capacity)
    if (count < 0) throw new OkoError('ERR_WASM', `labelRegions: capacity ${l.capacity} exceeded (bug: the capacity is a proven bound)`)
    let kept = 0
    let regions: MotionRegion[] = []
    const table = l.regionView
    const keep = l.keepFlags
    for (let i = 0; i < count; i++) {
      const pixels = table[i * 5 + 4]!
      const on = pixels >= l.minPixels
      keep[i] = on ? 1 : 0
      if (!on) continue
      kept += pixels
      regions.push(l.toFrameRect(table[i * 5]!, table[i * 5 + 1]!, table[i * 5 + 2]!, table[i * 5 + 3]!, pixels))
    }
    l.keepView.set(l.fgView)
    if (count > 0) k.keepRegions(l.keep, l.labels, l.keepFlagsPtr, n, count)
    if (regions.length > 1) {
      regions.sort((a, b) => b.pixels - a.pixels)
      if (regions.length > MAX_REGIONS) regions = regions.slice(0, MAX_REGIONS)
    }
    return { score: kept / l.unmasked, regions, zones: kept > 0 ? this.#zoneHits(l) : [] }
  }

  /** Frozen, covered, defocused, moved: measured on the blurred picture (gradient: before the blur). */
  #checkHealth(health: CameraHealth, l: Layout, ptsUs: number, gradient: number, first: boolean, lightingReset: boolean, changes: TamperChange[]): void {
    const k = l.kernels
    k.sumStats(l.cur, l.n, l.stats)
    const mean = l.statsView[0]! / l.unmasked
    const std = Math.sqrt(Math.max(0, l.statsView[1]! / l.unmasked - mean * mean))
    const frameDiff = first ? 1 : k.sumAbsDiff(l.cur, l.prev, l.n) / l.unmasked
    const sharpness = gradient / (2 * l.unmasked) / Math.max(std, 2)
    let correlation: number | undefined
    if (this.#frames % SCENE_EVERY === 0 && !lightingReset) {
      correlation = this.#correlate(l, l.scene)
      // the long-term scene learns slowly (devRate 0: the noise levels are left alone)
      k.bgUpdate(l.cur, l.scene, l.dev, l.keep, l.n, l.sceneRate, l.sceneRate >> 3, 0, 0)
    }
    health.update({ ptsUs, frameDiff, mean, std, sharpness, correlation }, changes)
    l.prevView.set(l.curView)
  }

  #resetModel(l: Layout, resetScene: boolean): void {
    const k = l.kernels
    k.bgReset(l.cur, l.bg, l.n)
    k.fillU16(l.dev, l.n, 2 * 256)
    if (resetScene) k.bgReset(l.cur, l.scene, l.n)
    this.#sinceReset = 0
  }

  /** Correlation of the current picture with a u16 model (background or long-term scene). */
  #correlate(l: Layout, model: number): number {
    const k = l.kernels
    k.bgToU8(model, l.tmp, l.n)
    k.correlationSums(l.cur, l.tmp, l.n, l.stats)
    return correlation(l.statsView, l.n)
  }

  /**
   * Correlation of picture and background over the changed (fg) pixels only; 1 when the picture
   * is flat there (a covered lens, a blackout: not objects either).
   */
  #correlateChanged(l: Layout, changed: number): number {
    const k = l.kernels
    k.bgToU8(l.bg, l.tmp, l.n)
    k.maskApply(l.tmp, l.fg, l.n)
    l.keepView.set(l.curView)
    k.maskApply(l.keep, l.fg, l.n)
    k.correlationSums(l.keep, l.tmp, l.n, l.stats)
    const s = l.statsView
    const mean = s[0]! / changed
    if (s[2]! / changed - mean * mean <= FLAT_VARIANCE) return 1
    return correlation(s, changed)
  }

  #zoneHits(l: Layout): ZoneHit[] {
    const hits: ZoneHit[] = []
    for (const z of l.zones) {
      const moved = l.kernels.countAnd(l.keep, z.mask, l.n)
      const score = moved / z.area
      if (moved > 0 && score >= z.minScore) hits.push({ zone: z.name, score })
    }
    return hits
  }
}

/** Pearson correlation from [Σa, Σb, Σa², Σb², Σab] over n pixels; 0 when either is flat. */
function correlation(sums: Float64Array, n: number): number {
  const ma = sums[0]! / n
  const mb = sums[1]! / n
  const cov = sums[4]! / n - ma * mb
  const va = sums[2]! / n - ma * ma
  const vb = sums[3]! / n - mb * mb
  return va > 1 && vb > 1 ? cov / Math.sqrt(va * vb) : 0
}

/** Median of the 511-bin (cur − bg + 255) histogram, minus 255. */
function medianOffset(hist: Uint32Array, samples: number): number {
  if (samples === 0) return 0
  const half = samples / 2
  let acc = 0
  for (let i = 0; i < 511; i++) {
    acc += hist[i]!
    if (acc >= half) return Math.max(-255, Math.min(255, i - 255))
  }
  return 0
}

function checkInfo(info: DetectInfo): void {
  const o = checkObject('info', info)
  checkNumber('info.seq', o.seq)
  checkNumber('info.ptsUs', o.ptsUs)
}

const MAX_SIDE = 16384

/** Checks a luma plane before any byte of it reaches WASM memory. */
function checkLuma(luma: LumaPlane, layout: Layout | undefined): void {
  const o = checkObject('luma', luma)
  const width = checkNumber('luma.width', o.width, { min: 1, max: MAX_SIDE, integer: true })
  const height = checkNumber('luma.height', o.height, { min: 1, max: MAX_SIDE, integer: true })
  const stride = checkNumber('luma.stride', o.stride, { min: width, max: 4 * MAX_SIDE, integer: true })
  if (!(o.data instanceof Uint8Array)) throw new OkoError('ERR_INVALID_INPUT', 'luma.data: expected a Uint8Array')
  const needed = stride * (height - 1) + width
  if (o.data.length < needed) {
    throw new OkoError('ERR_INVALID_INPUT', `luma.data: ${width}×${height} with stride ${stride} needs ${needed} bytes, received ${o.data.length}`)
  }
  checkSize('luma', width, height, stride, layout)
}

/** The plane fits the detector (its first frame fixed the size). */
function checkSize(what: 'luma' | 'frame', width: number, height: number, stride: number, layout: Layout | undefined): void {
  checkNumber(`${what}.width`, width, { min: 1, max: MAX_SIDE, integer: true })
  checkNumber(`${what}.height`, height, { min: 1, max: MAX_SIDE, integer: true })
  if (layout && (width !== layout.frameWidth || height !== layout.frameHeight)) {
    throw new OkoError('ERR_INVALID_INPUT', `${what}: this detector works on ${layout.frameWidth}×${layout.frameHeight} frames, received ${width}×${height}; use one detector per camera and resolution`)
  }
  if (layout && stride > layout.maxStride) {
    throw new OkoError('ERR_INVALID_INPUT', `luma.stride: ${stride} is wider than the first frame's ${layout.maxStride}`)
  }
}

