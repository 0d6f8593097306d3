/** A worker as placement sees it: its id and how many camera units it can run. */
export interface PlacementWorker {
  readonly id: string
  readonly capacity: number
}

export interface PlacementOptions {
  /**
   * How far above its even share a worker may go before a camera goes to its next choice
   * (bounded-load hashing): 0.15 = 15 %. More slack moves fewer cameras when workers join or
   * leave; less spreads them more evenly. Default 0.15.
   */
  readonly slack?: number
}

/**
 * Where each camera runs: weighted rendezvous hashing with bounded loads. Every worker that sees
 * the same cameras and workers computes the same answer (no coordinator). A camera goes to the
 * worker that ranks it highest (hash of camera and worker, weighted by capacity) among those
 * under their bound: min(capacity, ceil((1 + slack) × share)), share = cameras × capacity / total
 * capacity. When a worker leaves only its cameras (and the few that overflowed onto others) move;
 * when one joins it takes about its share. Cameras beyond the total capacity are left out.
 */
export function place(cameraIds: readonly string[], workers: readonly PlacementWorker[], options: PlacementOptions = {}): Map<string, string> {
  const slack = options.slack ?? 0.15
  const out = new Map<string, string>()
  const live = workers.filter((w) => w.capacity > 0).slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  if (live.length === 0 || cameraIds.length === 0) return out
  const total = live.reduce((n, w) => n + w.capacity, 0)
  const n = cameraIds.length
  const bound = live.map((w) => Math.min(w.capacity, Math.ceil((1 + slack) * (n * w.capacity) / total)))
  const load = new Array<number>(live.length).fill(0)
  const workerHash = live.map((w) => hash32(w.id))
  const weight = live.map((w) => w.capacity)
  // a fixed order of cameras (by their hash) so the answer does not depend on the input order
  const cameras = cameraIds.map((id) => ({ id, h: hash32(id) })).sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1))
  for (const camera of cameras) {
    let best = -1
    let bestScore = -Infinity
    for (let i = 0; i < live.length; i++) {
      if (load[i]! >= bound[i]!) continue
      const s = score(camera.h, workerHash[i]!, weight[i]!)
      if (s > bestScore) { bestScore = s; best = i }
    }
    if (best < 0) continue
    load[best]!++
    out.set(camera.id, live[best]!.id)
  }
  return out
}

/** Cameras whose worker differs between two placements (a camera placed in one only counts). */
export function movedCameras(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const moved: string[] = []
  for (const [camera, worker] of after) if (before.get(camera) !== worker) moved.push(camera)
  for (const camera of before.keys()) if (!after.has(camera)) moved.push(camera)
  return moved
}

/** Weighted rendezvous score: -w / ln(u), u uniform in (0, 1) from the pair's hash. */
function score(cameraHash: number, workerHash: number, weight: number): number {
  const u = (mix32(cameraHash ^ Math.imul(workerHash, 0x9e3779b1)) + 0.5) / 4294967296
  return -weight / Math.log(u)
}

/** FNV-1a, 32 bits. */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return mix32(h)
}

/** murmur3's finaliser: every input bit reaches every output bit. */
function mix32(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return x >>> 0
}
