/**
 * The functions every build of assembly/ exports. Pointers are byte offsets into the instance's
 * memory; sizes are in bytes or pixels as named. u16 buffers (bg, dev) hold 8.8 fixed point.
 * Kernels allocate nothing and keep no state; callers validate sizes before calling (the debug
 * builds assert that every buffer lies inside memory).
 */
export interface KernelExports {
  /** out = |a − b| per byte; returns the count above threshold. */
  absDiffCount(a: number, b: number, out: number, length: number, threshold: number): number
  /** Count of |a − b| > threshold, nothing written (4× unrolled SIMD). */
  absDiffThresholdCount(a: number, b: number, length: number, threshold: number): number
  /** dst = src > threshold ? 255 : 0; returns the count of 255s. */
  threshold(src: number, dst: number, length: number, threshold: number): number
  /** Σ |a − b|. */
  sumAbsDiff(a: number, b: number, length: number): number
  /** Count of pixels non-zero in both a and b. */
  countAnd(a: number, b: number, length: number): number
  /** dst &= mask. */
  maskApply(dst: number, mask: number, length: number): void

  /** Area-average downscale of a strided plane (dw ≤ sw, dh ≤ sh ≤ 257·dh). */
  downscaleArea(src: number, srcStride: number, srcWidth: number, srcHeight: number, dst: number, dstWidth: number, dstHeight: number, scratch: number): void
  downscaleScratchBytes(srcWidth: number, dstWidth: number): number

  /** 3×3 filters in one pass (vertical, then horizontal); dst must not overlap src. */
  blur3(src: number, dst: number, width: number, height: number): void
  erode3(src: number, dst: number, width: number, height: number): void
  dilate3(src: number, dst: number, width: number, height: number): void

  /** Foreground test against the background model; returns the foreground count. */
  bgSubtract(cur: number, bg: number, dev: number, thr: number, fg: number, n: number, offset: number, noiseGainQ2: number): number
  /** Running-average update (rates in 1/4096 per frame, at most 2047). */
  bgUpdate(cur: number, bg: number, dev: number, fg: number, n: number, rate: number, fgRate: number, devRate: number, offset: number): void
  bgReset(cur: number, bg: number, n: number): void
  bgToU8(bg: number, dst: number, n: number): void
  fillU16(dst: number, n: number, value: number): void
  /** 511-bin histogram of cur − round(bg) + 255 on a step grid; returns the sample count. */
  diffHistogram(cur: number, bg: number, hist: number, width: number, height: number, step: number): number

  /** 8-connected components; returns the region count or −1 when a capacity was exceeded. */
  labelRegions(mask: number, width: number, height: number, labels: number, parent: number, capacity: number, regions: number, regionCapacity: number): number
  keepRegions(mask: number, labels: number, keep: number, n: number, regionCount: number): void
  regionLabelCapacity(width: number, height: number): number

  /** out (f64 × 2) = Σ src, Σ src². */
  sumStats(src: number, n: number, out: number): void
  /** out (f64 × 5) = Σa, Σb, Σa², Σb², Σab. */
  correlationSums(a: number, b: number, n: number, out: number): void
  /** Σ |∂x| + |∂y| (forward differences). */
  gradientSum(src: number, width: number, height: number): number

  /**
   * Colour votes of an rgb24 box, every stepX-th pixel of every stepY-th row: adds each band pixel
   * to votes (i32 × 12: VEHICLE_COLOURS order, then "says nothing"); returns the largest chroma
   * of all sampled pixels (≤ 8: no colour, infrared).
   */
  colourVotes(src: number, stride: number, width: number, height: number, stepX: number, stepY: number, bandX0: number, bandY0: number, bandX1: number, bandY1: number, votes: number): number
}
