import { checkRange } from './common'

// Connected components (8-connected) of a mask, into a region table, with no allocation:
// labels: u32 per pixel; parent: u32 × capacity (union-find, then final ids);
// regions: i32 × 5 per region (minX, minY, maxX, maxY, pixels), region id k at index k − 1.

/** Words of `parent` that are always enough for a w-wide, h-tall mask: ⌈w/2⌉·h + 1. */
export function regionLabelCapacity(w: i32, h: i32): i32 {
  return ((w + 1) >> 1) * h + 1
}

@inline function find(parent: usize, l: u32): u32 {
  let p = load<u32>(parent + (<usize>l << 2))
  while (p != l) {
    l = p
    p = load<u32>(parent + (<usize>l << 2))
  }
  return l
}

@inline function union(parent: usize, a: u32, b: u32): u32 {
  const ra = find(parent, a)
  const rb = find(parent, b)
  if (ra < rb) { store<u32>(parent + (<usize>rb << 2), ra); return ra }
  if (rb < ra) { store<u32>(parent + (<usize>ra << 2), rb); return rb }
  return ra
}

/** True when the 16 (SIMD) or 8 (scalar) mask bytes at p are all 0. */
@inline function emptyChunk(p: usize): bool {
  if (ASC_FEATURE_SIMD) return !v128.any_true(v128.load(p))
  return load<u64>(p) == 0
}

@inline function chunk(): i32 {
  return ASC_FEATURE_SIMD ? 16 : 8
}

/**
 * Labels the non-zero pixels of `mask` (w × h) into regions. Writes the final region id (1-based)
 * into `labels` for every non-zero pixel (zero pixels are left as they were) and the regions'
 * boxes and pixel counts into `regions`. Returns the region count, or −1 when more than
 * `capacity − 1` provisional labels were needed (use regionLabelCapacity) or more regions than
 * `regionCapacity` were found.
 */
export function labelRegions(mask: usize, w: i32, h: i32, labels: usize, parent: usize, capacity: i32, regions: usize, regionCapacity: i32): i32 {
  if (w <= 0 || h <= 0) return 0
  const n = <usize>w * <usize>h
  checkRange(mask, n); checkRange(labels, n << 2); checkRange(parent, <usize>capacity << 2)
  checkRange(regions, <usize>regionCapacity * 20)
  let next: u32 = 1
  const step = chunk()
  for (let y: i32 = 0; y < h; y++) {
    const row = <usize>y * <usize>w
    let x: i32 = 0
    while (x < w) {
      if (x + step <= w && emptyChunk(mask + row + <usize>x)) { x += step; continue }
      const end = min(x + step, w)
      for (; x < end; x++) {
        const i = row + <usize>x
        if (load<u8>(mask + i) == 0) continue
        let l: u32 = 0
        const hasN = y > 0 && load<u8>(mask + i - <usize>w) != 0
        if (hasN) {
          l = load<u32>(labels + ((i - <usize>w) << 2))
        } else {
          const hasNE = y > 0 && x + 1 < w && load<u8>(mask + i - <usize>w + 1) != 0
          const hasNW = y > 0 && x > 0 && load<u8>(mask + i - <usize>w - 1) != 0
          const hasW = x > 0 && load<u8>(mask + i - 1) != 0
          if (hasNW) {
            l = load<u32>(labels + ((i - <usize>w - 1) << 2))
            if (hasNE) l = union(parent, l, load<u32>(labels + ((i - <usize>w + 1) << 2)))
          } else if (hasW) {
            l = load<u32>(labels + ((i - 1) << 2))
            if (hasNE) l = union(parent, l, load<u32>(labels + ((i - <usize>w + 1) << 2)))
          } else if (hasNE) {
            l = load<u32>(labels + ((i - <usize>w + 1) << 2))
          } else {
            if (<i32>next >= capacity) return -1
            l = next++
            store<u32>(parent + (<usize>l << 2), l)
          }
        }
        store<u32>(labels + (i << 2), l)
      }
    }
  }
  // final ids: roots in label order get 1, 2, …; parent[l] < l for non-roots
  let count: i32 = 0
  for (let l: u32 = 1; l < next; l++) {
    const p = load<u32>(parent + (<usize>l << 2))
    if (p == l) {
      count++
      if (count > regionCapacity) return -1
      store<u32>(parent + (<usize>l << 2), <u32>count)
      const r = regions + <usize>(count - 1) * 20
      store<i32>(r, w); store<i32>(r, h, 4); store<i32>(r, -1, 8); store<i32>(r, -1, 12); store<i32>(r, 0, 16)
    } else {
      store<u32>(parent + (<usize>l << 2), load<u32>(parent + (<usize>p << 2)))
    }
  }
  for (let y: i32 = 0; y < h; y++) {
    const row = <usize>y * <usize>w
    let x: i32 = 0
    while (x < w) {
      if (x + step <= w && emptyChunk(mask + row + <usize>x)) { x += step; continue }
      const end = min(x + step, w)
      for (; x < end; x++) {
        const i = row + <usize>x
        if (load<u8>(mask + i) == 0) continue
        const id = load<u32>(parent + (<usize>load<u32>(labels + (i << 2)) << 2))
        store<u32>(labels + (i << 2), id)
        const r = regions + <usize>(id - 1) * 20
        if (x < load<i32>(r)) store<i32>(r, x)
        if (y < load<i32>(r, 4)) store<i32>(r, y, 4)
        if (x > load<i32>(r, 8)) store<i32>(r, x, 8)
        store<i32>(r, y, 12)
        store<i32>(r, load<i32>(r, 16) + 1, 16)
      }
    }
  }
  return count
}

/**
 * Keeps the mask pixels whose region is kept: mask[i] = keep[labels[i] − 1] != 0 ? 255 : 0 for
 * non-zero mask pixels (labels from labelRegions on this mask; keep: u8 per region).
 */
export function keepRegions(mask: usize, labels: usize, keep: usize, n: i32, regionCount: i32): void {
  if (n <= 0) return
  checkRange(mask, n); checkRange(labels, <usize>n << 2); checkRange(keep, regionCount)
  const step = chunk()
  let i: i32 = 0
  while (i < n) {
    if (i + step <= n && emptyChunk(mask + <usize>i)) { i += step; continue }
    const end = min(i + step, n)
    for (; i < end; i++) {
      const o = <usize>i
      if (load<u8>(mask + o) == 0) continue
      const id = load<u32>(labels + (o << 2))
      assert(id >= 1 && <i32>id <= regionCount, 'keepRegions: label out of range')
      store<u8>(mask + o, load<u8>(keep + <usize>(id - 1)) != 0 ? 255 : 0)
    }
  }
}
