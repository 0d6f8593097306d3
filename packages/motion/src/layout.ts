import type { LumaPlane, MotionRegion } from '@oko/core'
import type { KernelExports, KernelInstance, KernelModule } from '@oko/wasm'
import { rasterizePolygon } from './raster.js'
import type { ResolvedMotionOptions } from './options.js'

export interface ZoneBuffer {
  readonly name: string
  readonly mask: number
  readonly area: number
  readonly minScore: number
}

/**
 * One camera's WASM memory: every buffer reserved once, at the first frame, with the views the
 * per-frame path uses (made here, never per frame). Offsets are byte offsets into the instance.
 */
export class Layout {
  readonly instance: KernelInstance
  readonly kernels: KernelExports
  readonly frameWidth: number
  readonly frameHeight: number
  /** `{ frameWidth, frameHeight }`, made once (the stage compares it with every frame). */
  readonly frameSize: { readonly width: number; readonly height: number }
  readonly maxStride: number
  readonly w: number
  readonly h: number
  readonly n: number
  /** Unmasked processing pixels (≥ 1). */
  readonly unmasked: number
  readonly minPixels: number
  readonly capacity: number
  readonly histStep: number
  readonly rate: number
  readonly fgRate: number
  readonly devRate: number
  readonly sceneRate: number
  // offsets
  readonly src: number
  readonly cur: number
  readonly prev: number
  readonly tmp: number
  readonly fg: number
  readonly keep: number
  readonly thr: number
  readonly mask: number
  readonly bg: number
  readonly dev: number
  readonly scene: number
  readonly labels: number
  readonly parent: number
  readonly regions: number
  readonly keepFlagsPtr: number
  readonly scratch: number
  readonly hist: number
  readonly stats: number
  readonly zones: readonly ZoneBuffer[]
  // views
  readonly srcView: Uint8Array
  /** The source plane's memory with rows packed to the frame width (what `copyLumaTo` fills). */
  readonly packedView: Uint8Array
  readonly curView: Uint8Array
  readonly prevView: Uint8Array
  readonly fgView: Uint8Array
  readonly keepView: Uint8Array
  readonly keepFlags: Uint8Array
  readonly regionView: Int32Array
  readonly histView: Uint32Array
  readonly statsView: Float64Array
  readonly #sx: number
  readonly #sy: number

  constructor(module: KernelModule, o: ResolvedMotionOptions, luma: Pick<LumaPlane, 'width' | 'height' | 'stride'>) {
    const W = luma.width
    const H = luma.height
    this.frameWidth = W
    this.frameHeight = H
    this.frameSize = Object.freeze({ width: W, height: H })
    this.maxStride = luma.stride
    // the downscale sums ≤ 257 rows in u16: keep H ≤ 256·h
    const h = Math.min(H, Math.max(o.processingHeight, Math.ceil(H / 256)))
    const w = Math.max(1, Math.min(W, Math.round((W * h) / H)))
    const n = w * h
    this.w = w
    this.h = h
    this.n = n
    this.#sx = W / w
    this.#sy = H / h
    const probe = module.instantiate(0).kernels
    this.capacity = probe.regionLabelCapacity(w, h)
    const scratchBytes = probe.downscaleScratchBytes(W, w)
    const frameBytes = luma.stride * H
    const sizes = [frameBytes, n, n, n, n, n, n, n, 2 * n, 2 * n, 2 * n, 4 * n, 4 * this.capacity, 20 * this.capacity, this.capacity, scratchBytes, 511 * 4, 64, ...o.zones.map(() => n)]
    const instance = module.instantiate(sizes.reduce((s, b) => s + ((b + 15) & ~15), 0) + 64)
    this.instance = instance
    this.kernels = instance.kernels
    const r = (bytes: number) => instance.reserve(bytes)
    this.src = r(frameBytes)
    this.cur = r(n); this.prev = r(n); this.tmp = r(n); this.fg = r(n); this.keep = r(n); this.thr = r(n)
    const maskBuf = r(n)
    this.bg = r(2 * n); this.dev = r(2 * n); this.scene = r(2 * n)
    this.labels = r(4 * n); this.parent = r(4 * this.capacity); this.regions = r(20 * this.capacity)
    this.keepFlagsPtr = r(this.capacity)
    this.scratch = r(scratchBytes)
    this.hist = r(511 * 4)
    this.stats = r(64)
    const buffer = instance.memory.buffer
    this.srcView = instance.view(this.src, frameBytes)
    this.packedView = instance.view(this.src, W * H)
    this.curView = instance.view(this.cur, n)
    this.prevView = instance.view(this.prev, n)
    this.fgView = instance.view(this.fg, n)
    this.keepView = instance.view(this.keep, n)
    this.keepFlags = instance.view(this.keepFlagsPtr, this.capacity)
    this.regionView = new Int32Array(buffer, this.regions, 5 * this.capacity)
    this.histView = new Uint32Array(buffer, this.hist, 511)
    this.statsView = new Float64Array(buffer, this.stats, 8)

    // masks: 255 where the picture counts, 0 where masked
    const maskView = instance.view(maskBuf, n)
    maskView.fill(255)
    for (const polygon of o.masks) rasterizePolygon(polygon, w, h, maskView, 0)
    let unmasked = 0
    for (let i = 0; i < n; i++) if (maskView[i] !== 0) unmasked++
    this.mask = o.masks.length > 0 ? maskBuf : 0
    this.unmasked = Math.max(1, unmasked)
    // thresholds: base, zones' own (the most sensitive where zones overlap), 255 under masks
    const thrView = instance.view(this.thr, n)
    thrView.fill(o.threshold)
    const zoneThr = new Uint8Array(n) // 0: in no zone
    this.zones = o.zones.map((z) => {
      const mask = r(n)
      const view = instance.view(mask, n)
      const area = rasterizePolygon(z.polygon, w, h, view, 255)
      for (let i = 0; i < n; i++) {
        if (view[i] !== 0) zoneThr[i] = zoneThr[i] === 0 ? z.threshold : Math.min(zoneThr[i]!, z.threshold)
      }
      return { name: z.name, mask, area, minScore: z.minScore }
    })
    for (let i = 0; i < n; i++) if (zoneThr[i] !== 0) thrView[i] = zoneThr[i]!
    for (let i = 0; i < n; i++) if (maskView[i] === 0) thrView[i] = 255

    this.minPixels = Math.max(1, Math.round(o.minRegionArea * n))
    this.histStep = Math.max(1, Math.floor(Math.sqrt(n / 4000)))
    this.rate = Math.min(2047, Math.max(1, Math.round(o.learningRate * 4096)))
    this.fgRate = Math.round(this.rate * o.foregroundLearning)
    this.devRate = Math.min(2047, this.rate * 2)
    this.sceneRate = Math.max(1, Math.round((4096 * 8) / 8192))
  }

  /** Copies a luma plane into WASM memory: one `set`, no allocation for planes of the usual size. */
  copyIn(luma: LumaPlane): void {
    const needed = luma.stride * (luma.height - 1) + luma.width
    const data = luma.data
    if (data.length <= this.srcView.length) this.srcView.set(data)
    else this.srcView.set(data.subarray(0, needed))
  }

  /** A processing-resolution box as a region in frame pixels. */
  toFrameRect(minX: number, minY: number, maxX: number, maxY: number, pixels: number): MotionRegion {
    const x = Math.floor(minX * this.#sx)
    const y = Math.floor(minY * this.#sy)
    return {
      x, y,
      width: Math.min(this.frameWidth, Math.ceil((maxX + 1) * this.#sx)) - x,
      height: Math.min(this.frameHeight, Math.ceil((maxY + 1) * this.#sy)) - y,
      pixels,
    }
  }
}
