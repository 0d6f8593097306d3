import { InvalidOptionError, checkNumber, type RawImage } from '@oko/core'
import { toRgb } from '@oko/imaging'
import type { KernelInstance, KernelModule } from '@oko/wasm'

/** The colour names a vehicle gets; `unknown` where the picture has no colour (infrared, black-and-white). */
export const VEHICLE_COLOURS = ['white', 'black', 'grey', 'silver', 'red', 'blue', 'green', 'yellow', 'brown', 'orange', 'beige'] as const
export type VehicleColour = (typeof VEHICLE_COLOURS)[number] | 'unknown'

export interface ColourResult {
  readonly colour: VehicleColour
  /** Share of the counted pixels that had the colour, in [0, 1]. */
  readonly confidence: number
  /** Pixels counted per colour, in VEHICLE_COLOURS order. */
  readonly votes: readonly number[]
}

/** Bytes of a box's sampled rows copied into the kernel's memory per call (a bigger box goes in chunks). */
const CHUNK_BYTES = 256 * 1024
/** i32 × 12: a vote per colour, then the pixels that said nothing. */
const VOTES_BYTES = 48

/**
 * The dominant colour of vehicle boxes, counted by the `colourVotes` WASM kernel. The pixels of
 * the middle band (the body below the windows, inside the wheels: 15–85 % across, 35–80 % down)
 * vote, every `step`-th in each direction; highlights and pixels too dark to tell a hue do not.
 * A picture without colour anywhere in the box (every sampled pixel's channels within 8 levels:
 * an infrared or black-and-white camera) is `unknown`, as is a grey (gray8) image.
 *
 * One per camera: it owns a kernel instance (about 320 KiB of memory, sized once). Only the
 * sampled rows of a box are copied in.
 */
export class ColourKernel {
  readonly #k: KernelInstance
  readonly #rows: number
  readonly #votesAt: number
  readonly #votes: Int32Array

  private constructor(k: KernelInstance) {
    this.#k = k
    this.#rows = k.reserve(CHUNK_BYTES)
    this.#votesAt = k.reserve(VOTES_BYTES)
    this.#votes = new Int32Array(k.memory.buffer, this.#votesAt, VOTES_BYTES / 4)
  }

  /** A kernel with its own instance of `module` (from `KernelModule.load()`). */
  static create(module: KernelModule, path = 'options.module'): ColourKernel {
    if (typeof module !== 'object' || module === null || typeof (module as KernelModule).instantiate !== 'function') {
      throw new InvalidOptionError(path, 'expected a KernelModule from KernelModule.load()')
    }
    return new ColourKernel(module.instantiate(CHUNK_BYTES + VOTES_BYTES))
  }

  /** The dominant colour of `image` (rgb24, bgr24, rgba or gray8: a crop of the vehicle's box). */
  dominantColour(image: RawImage, step = 2): ColourResult {
    checkNumber('step', step, { min: 1, max: 64, integer: true })
    const none = (): ColourResult => ({ colour: 'unknown', confidence: 1, votes: new Array<number>(VEHICLE_COLOURS.length).fill(0) })
    if (image.format === 'gray8') return none()
    const rgb = image.format === 'rgb24' ? image : toRgb(image)
    const { width, height, data } = rgb
    const rowBytes = width * 3
    const stride = rgb.stride ?? rowBytes
    const x0 = Math.floor(width * 0.15), x1 = Math.ceil(width * 0.85), y0 = Math.floor(height * 0.35), y1 = Math.ceil(height * 0.8)
    // sampled row k is row k·step of the box; the band's rows in that index
    const k0 = Math.ceil(y0 / step), k1 = Math.ceil(y1 / step)
    const sampled = Math.ceil(height / step)
    const perChunk = Math.floor(CHUNK_BYTES / rowBytes)
    const votes = this.#votes
    votes.fill(0)
    let chromaMax = 0
    for (let first = 0; first < sampled; first += perChunk) {
      const n = Math.min(perChunk, sampled - first)
      const rows = this.#k.view(this.#rows, n * rowBytes)
      for (let k = 0; k < n; k++) {
        const at = (first + k) * step * stride
        rows.set(data.subarray(at, at + rowBytes), k * rowBytes)
      }
      const c = this.#k.kernels.colourVotes(this.#rows, rowBytes, width, n, step, 1, x0, k0 - first, x1, k1 - first, this.#votesAt)
      if (c > chromaMax) chromaMax = c
    }
    const counts = Array.from(votes.subarray(0, VEHICLE_COLOURS.length))
    const counted = counts.reduce((a, b) => a + b, 0)
    if (chromaMax <= 8 || counted === 0) return { colour: 'unknown', confidence: 1, votes: counts }
    let best = 0
    for (let k = 1; k < counts.length; k++) if (counts[k]! > counts[best]!) best = k
    return { colour: VEHICLE_COLOURS[best]!, confidence: counts[best]! / counted, votes: counts }
  }
}
