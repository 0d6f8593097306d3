/**
 * Minimum-cost assignment of rows to columns (the Hungarian method with potentials, O(n²·m) for
 * n ≤ m): `cost[r * cols + c]`. Returns for each row its column, or -1. Pairs whose cost is at
 * least `forbidden` are never returned (the caller gates them out).
 */
export function assign(cost: Float64Array, rows: number, cols: number, forbidden = 1e6): Int32Array {
  const out = new Int32Array(rows).fill(-1)
  if (rows === 0 || cols === 0) return out
  const transposed = rows > cols
  const n = transposed ? cols : rows
  const m = transposed ? rows : cols
  const at = transposed ? (i: number, j: number) => cost[j * cols + i]! : (i: number, j: number) => cost[i * cols + j]!
  // e-maxx formulation, 1-based: p[j] = row assigned to column j, u/v potentials
  const u = new Float64Array(n + 1), v = new Float64Array(m + 1)
  const p = new Int32Array(m + 1), way = new Int32Array(m + 1)
  const minv = new Float64Array(m + 1)
  const used = new Uint8Array(m + 1)
  for (let i = 1; i <= n; i++) {
    p[0] = i
    let j0 = 0
    minv.fill(Infinity)
    used.fill(0)
    do {
      used[j0] = 1
      const i0 = p[j0]!
      let delta = Infinity, j1 = 0
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue
        const cur = at(i0 - 1, j - 1) - u[i0]! - v[j]!
        if (cur < minv[j]!) { minv[j] = cur; way[j] = j0 }
        if (minv[j]! < delta) { delta = minv[j]!; j1 = j }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) { u[p[j]!] = u[p[j]!]! + delta; v[j] = v[j]! - delta }
        else minv[j] = minv[j]! - delta
      }
      j0 = j1
    } while (p[j0] !== 0)
    do {
      const j1 = way[j0]!
      p[j0] = p[j1]!
      j0 = j1
    } while (j0)
  }
  for (let j = 1; j <= m; j++) {
    const i = p[j]!
    if (i === 0) continue
    const r = transposed ? j - 1 : i - 1, c = transposed ? i - 1 : j - 1
    if (cost[r * cols + c]! < forbidden) out[r] = c
  }
  return out
}
