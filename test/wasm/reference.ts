// JS reference implementations of the WASM kernels: the oracle tests compare both builds against.

export function absDiffCountRef(a: Uint8Array, b: Uint8Array, out: Uint8Array, threshold: number): number {
  let count = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!)
    out[i] = d
    if (d > threshold) count++
  }
  return count
}
