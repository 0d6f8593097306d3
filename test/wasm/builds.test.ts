import { describe, expect, it } from 'vitest'
import { KernelModule, wasmSimdSupported } from '@oko/wasm'
import { absDiffCountRef } from './reference.js'

function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let s = seed >>> 0
  for (let i = 0; i < length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0
    out[i] = s >>> 24
  }
  return out
}

describe('WASM builds', () => {
  it('picks SIMD on this engine and says why', async () => {
    const module = await KernelModule.load()
    expect(wasmSimdSupported()).toBe(true)
    expect(module.build).toBe('simd')
    expect(module.reason).toMatch(/SIMD/)
  })

  it('rejects an unknown build with the option named', async () => {
    await expect(KernelModule.load({ build: 'avx' as never })).rejects.toThrow(/options.build: expected one of "auto", "simd", "scalar", received "avx"/)
  })

  // Odd lengths exercise the scalar tail after the 16-byte SIMD body.
  for (const length of [0, 1, 15, 16, 17, 1000, 1920 * 1080 + 7]) {
    it(`absDiffCount: SIMD, scalar and JS agree on ${length} bytes`, async () => {
      const a = noise(length, 1)
      const b = noise(length, 2)
      const expected = new Uint8Array(length)
      const expectedCount = absDiffCountRef(a, b, expected, 25)
      for (const build of ['simd', 'scalar'] as const) {
        for (const debug of [false, true]) {
          const instance = (await KernelModule.load({ build, debug })).instantiate(length * 3 + 64)
          const [pa, pb, po] = [instance.reserve(length), instance.reserve(length), instance.reserve(length)]
          instance.view(pa, length).set(a)
          instance.view(pb, length).set(b)
          const count = instance.kernels.absDiffCount(pa, pb, po, length, 25)
          expect(count, `${build}${debug ? ' debug' : ''}`).toBe(expectedCount)
          expect(Buffer.from(instance.view(po, length)).equals(Buffer.from(expected))).toBe(true)
        }
      }
    })
  }
})
