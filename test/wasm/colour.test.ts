import { beforeAll, describe, expect, it } from 'vitest'
import type { RawImage } from '@oko/core'
import { ColourKernel, VEHICLE_COLOURS } from '@oko/objects'
import { KernelModule } from '@oko/wasm'
import { dominantColour as reference, pixelColour } from './colour-reference.js'

// The `colourVotes` kernel in all four builds against the JS reference (colour-reference.ts, the
// floating-point rules oko used before): every one of the 2²⁴ colours, then whole boxes through
// ColourKernel (every colour, shadowed, infrared, odd sizes and strides, boxes at a frame's edge).

type Rgb = [number, number, number]
interface Variant { name: string; module: KernelModule }
const variants: Variant[] = []

beforeAll(async () => {
  for (const build of ['simd', 'scalar'] as const) {
    for (const debug of [false, true]) variants.push({ name: `${build}${debug ? '.debug' : ''}`, module: await KernelModule.load({ build, debug }) })
  }
})

function random(seed: number): () => number {
  let s = seed >>> 0
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32
}

/** A car-like picture: background `bg`, a body of colour `body` in the middle, a dark window above it, some sensor noise. */
function car(body: Rgb, bg: Rgb = [90, 95, 100], w = 80, h = 50, noise = 6, seed = 1): RawImage {
  const data = new Uint8Array(w * h * 3)
  const rnd = random(seed)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inBody = x >= 4 && x < w - 4 && y >= h * 0.3 && y < h * 0.85
      const window = x >= w * 0.2 && x < w * 0.8 && y >= h * 0.1 && y < h * 0.3
      const c = inBody ? body : window ? [20, 22, 25] : bg
      for (let k = 0; k < 3; k++) data[(y * w + x) * 3 + k] = Math.max(0, Math.min(255, Math.round(c[k]! + (rnd() - 0.5) * noise)))
    }
  }
  return { data, width: w, height: h, format: 'rgb24' }
}

/** The lower part of the body (rows from `fromRow`) in shadow: `factor` as bright. */
function shadow(img: RawImage, fromRow: number, factor: number): RawImage {
  const data = Uint8Array.from(img.data)
  for (let i = fromRow * img.width * 3; i < data.length; i++) data[i] = Math.round(data[i]! * factor)
  return { ...img, data }
}

/** An infrared frame: one brightness per pixel in all three channels, channels up to `spread` levels apart. */
function infrared(w: number, h: number, spread: number, seed = 3): RawImage {
  const data = new Uint8Array(w * h * 3)
  const rnd = random(seed)
  for (let i = 0; i < w * h; i++) {
    const v = Math.floor(rnd() * 240)
    for (let k = 0; k < 3; k++) data[i * 3 + k] = v + Math.floor(rnd() * (spread + 1))
  }
  return { data, width: w, height: h, format: 'rgb24' }
}

function same(kernel: ColourKernel, img: RawImage, label: string, step = 2): void {
  const want = reference(img, step)
  const got = kernel.dominantColour(img, step)
  expect(got, label).toEqual(want)
}

const CASES: [Rgb, string][] = [
  [[200, 20, 25], 'red'], [[30, 60, 190], 'blue'], [[30, 150, 50], 'green'], [[230, 210, 30], 'yellow'], [[240, 130, 20], 'orange'],
  [[110, 70, 40], 'brown'], [[225, 200, 160], 'beige'], [[245, 245, 242], 'white'], [[25, 25, 28], 'black'], [[100, 100, 104], 'grey'], [[170, 172, 175], 'silver'],
]

describe('colourVotes kernel against the JS reference', () => {
  it('names every one of the 2²⁴ colours as the reference does (release builds; debug on every 7th)', () => {
    // one call per 16 colours (b = 16j … 16j + 15 at fixed r, g): its votes are the reference's names
    // counted. Once packed (every pixel sampled), once on every 2nd pixel (SIMD chroma), a
    // colourful pixel between them that must not count.
    const packed = new Uint8Array(256 * 3), spread = new Uint8Array(512 * 3)
    for (let i = 0; i < 256; i++) spread.set([255, 0, 128], (2 * i + 1) * 3)
    const want = new Int32Array(16 * 12)
    const chromaWant = new Int32Array(16)
    const runs = variants.map((v) => {
      const k = v.module.instantiate(8192)
      const src = k.reserve(packed.length), even = k.reserve(spread.length), votes = k.reserve(96)
      return { v, k, src, even, votes, out: new Int32Array(k.memory.buffer, votes, 12) }
    })
    for (let r = 0; r < 256; r++) {
      for (let g = 0; g < 256; g++) {
        want.fill(0)
        chromaWant.fill(0)
        for (let b = 0; b < 256; b++) {
          packed[b * 3] = r; packed[b * 3 + 1] = g; packed[b * 3 + 2] = b
          spread[b * 6] = r; spread[b * 6 + 1] = g; spread[b * 6 + 2] = b
          const c = pixelColour(r, g, b), j = b >> 4
          want[j * 12 + (c < 0 ? 11 : c)]!++
          chromaWant[j] = Math.max(chromaWant[j]!, Math.max(r, g, b) - Math.min(r, g, b))
        }
        for (const { v, k, src, even, votes, out } of runs) {
          if (v.module.debug && (r * 256 + g) % 7 !== 0) continue
          k.view(src, packed.length).set(packed)
          k.view(even, spread.length).set(spread)
          for (let j = 0; j < 16; j++) {
            for (const [at, width, step] of [[src + j * 48, 16, 1], [even + j * 96, 32, 2]] as const) {
              out.fill(0)
              const chroma = k.kernels.colourVotes(at, width * 3, width, 1, step, 1, 0, 0, width, 1, votes)
              // without a band every pixel goes through the chroma pass (SIMD at step 2)
              const chromaOnly = k.kernels.colourVotes(at, width * 3, width, 1, step, 1, 0, 0, 0, 1, votes + 48)
              let ok = chroma === chromaWant[j] && chromaOnly === chromaWant[j]
              for (let i = 0; i < 12; i++) ok &&= out[i] === want[j * 12 + i]
              if (!ok) expect.fail(`${v.name} step ${step}: r=${r} g=${g} b=${16 * j}…${16 * j + 15}: votes ${[...out]} (chroma ${chroma}, ${chromaOnly}), reference ${[...want.subarray(j * 12, j * 12 + 12)]} (chroma ${chromaWant[j]})`)
            }
          }
        }
      }
    }
  }, 300_000)

  it('adds to the votes, samples every stepX-th pixel of every stepY-th row, and leaves empty boxes alone', () => {
    for (const v of variants) {
      const k = v.module.instantiate(65536)
      const img = car([200, 20, 25], [30, 60, 190], 40, 30, 0)
      const src = k.reserve(img.data.length), votes = k.reserve(48)
      k.view(src, img.data.length).set(img.data)
      const out = new Int32Array(k.memory.buffer, votes, 12)
      out.fill(0)
      // the whole box, every 3rd pixel of every 2nd row: 14 × 15 samples
      k.kernels.colourVotes(src, 120, 40, 30, 3, 2, 0, 0, 40, 30, votes)
      expect(out.reduce((a, b) => a + b, 0), v.name).toBe(14 * 15)
      k.kernels.colourVotes(src, 120, 40, 30, 3, 2, 0, 0, 40, 30, votes)
      expect(out.reduce((a, b) => a + b, 0), v.name).toBe(2 * 14 * 15)
      out.fill(0)
      expect(k.kernels.colourVotes(src, 120, 0, 30, 1, 1, 0, 0, 40, 30, votes)).toBe(0)
      expect(k.kernels.colourVotes(src, 120, 40, 30, 1, 1, 30, 0, 20, 30, votes)).toBeGreaterThan(8) // an empty band still tells colour
      expect([...out]).toEqual(new Array(12).fill(0))
    }
  })
})

describe('ColourKernel against the JS reference', () => {
  it('every colour, plain and shadowed, gives the reference result (the colour, its confidence and every vote)', () => {
    for (const v of variants) {
      const kernel = ColourKernel.create(v.module)
      for (const [rgb, name] of CASES) {
        const img = car(rgb)
        expect(kernel.dominantColour(img).colour, `${v.name} ${name}`).toBe(name)
        same(kernel, img, `${v.name} ${name}`)
        // shadow over the lower third, then over all of the body: the reference's answer either way
        same(kernel, shadow(img, 32, 0.5), `${v.name} ${name} shadowed`)
        same(kernel, shadow(img, 0, 0.6), `${v.name} ${name} all in shadow`)
      }
      // a shadow over part of a red car leaves it red
      expect(kernel.dominantColour(shadow(car([200, 20, 25]), 32, 0.5)).colour).toBe('red')
    }
  })

  it('infrared and black-and-white pictures are unknown; a grey (gray8) image is unknown', () => {
    for (const v of variants) {
      const kernel = ColourKernel.create(v.module)
      for (const spread of [0, 4, 8]) {
        const ir = infrared(120, 80, spread)
        expect(kernel.dominantColour(ir).colour, `${v.name} spread ${spread}`).toBe('unknown')
        same(kernel, ir, `${v.name} infrared spread ${spread}`)
      }
      // 9 levels apart is colour (as the reference says)
      same(kernel, infrared(120, 80, 12), `${v.name} tinted`)
      const grey = car([180, 180, 180], [90, 90, 90], 80, 50, 0)
      expect(kernel.dominantColour(grey).colour).toBe('unknown')
      same(kernel, grey, `${v.name} grey car`)
      const gray8: RawImage = { data: new Uint8Array(64 * 48).fill(128), width: 64, height: 48, format: 'gray8' }
      expect(kernel.dominantColour(gray8)).toEqual({ colour: 'unknown', confidence: 1, votes: new Array(VEHICLE_COLOURS.length).fill(0) })
    }
  })

  it('odd sizes, padded strides, steps 1 to 5, random pixels and boxes big enough to go in chunks', () => {
    const sizes: [number, number][] = [[1, 1], [2, 3], [7, 5], [17, 9], [33, 17], [81, 49], [241, 161], [501, 333], [1920, 1080]]
    for (const v of variants) {
      const kernel = ColourKernel.create(v.module)
      for (const [w, h] of sizes) {
        if (v.module.debug && w > 600) continue
        const rnd = random(w * 31 + h)
        const body: Rgb = [Math.floor(rnd() * 256), Math.floor(rnd() * 256), Math.floor(rnd() * 256)]
        const img = car(body, [90, 95, 100], w, h, 40, w + h)
        for (const step of [1, 2, 3, 5]) same(kernel, img, `${v.name} ${w}×${h} step ${step}`, step)
        // the same pixels with 7 bytes of padding a row
        const stride = w * 3 + 7
        const padded = new Uint8Array(stride * h).fill(255)
        for (let y = 0; y < h; y++) padded.set(img.data.subarray(y * w * 3, (y + 1) * w * 3), y * stride)
        same(kernel, { ...img, data: padded, stride }, `${v.name} ${w}×${h} stride ${stride}`)
        const noise: RawImage = { data: Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rnd() * 256)), width: w, height: h, format: 'rgb24' }
        same(kernel, noise, `${v.name} ${w}×${h} noise`)
      }
    }
  })

  it('boxes at a frame edge: a view into the frame, its last row ending where the frame ends', () => {
    const fw = 320, fh = 200
    const frame = car([30, 60, 190], [200, 190, 60], fw, fh, 30, 9)
    const boxes = [{ x: 0, y: 0, width: 90, height: 60 }, { x: 250, y: 150, width: 70, height: 50 }, { x: 0, y: 140, width: 320, height: 60 }, { x: 319, y: 199, width: 1, height: 1 }]
    for (const v of variants) {
      const kernel = ColourKernel.create(v.module)
      for (const b of boxes) {
        const start = (b.y * fw + b.x) * 3
        const view: RawImage = { data: frame.data.subarray(start, start + ((b.height - 1) * fw + b.width) * 3), width: b.width, height: b.height, format: 'rgb24', stride: fw * 3 }
        same(kernel, view, `${v.name} box ${JSON.stringify(b)}`)
      }
    }
  })

  it('takes bgr24 and rgba as the reference takes them converted to rgb24; refuses a bad step and a non-module', () => {
    const kernel = ColourKernel.create(variants[0]!.module)
    const img = car([240, 130, 20])
    const bgr = Uint8Array.from(img.data, (_, i) => img.data[i - (i % 3) + 2 - (i % 3)]!)
    expect(kernel.dominantColour({ ...img, data: bgr, format: 'bgr24' })).toEqual(reference(img))
    const rgba = new Uint8Array(img.width * img.height * 4)
    for (let i = 0; i < img.width * img.height; i++) rgba.set([...img.data.subarray(i * 3, i * 3 + 3), 255], i * 4)
    expect(kernel.dominantColour({ ...img, data: rgba, format: 'rgba' })).toEqual(reference(img))
    expect(() => kernel.dominantColour(img, 0)).toThrow(/step: expected an integer in \[1, 64\]/)
    expect(() => ColourKernel.create({} as KernelModule)).toThrow(/options\.module: expected a KernelModule from KernelModule\.load\(\)/)
  })
})
