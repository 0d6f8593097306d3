/** A minimal module that uses a v128 instruction; valid only where the engine supports WASM SIMD. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
])

/** True when this engine validates WASM SIMD (Node 16.4+ on x86-64 and arm64). */
export function wasmSimdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE)
}
