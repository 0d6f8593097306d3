// oko pixel kernels. One source, two builds: `ASC_FEATURE_SIMD` selects v128 code at compile
// time, the scalar path handles the tail and the scalar build. Memory belongs to the host
// (imported); kernels take byte offsets and sizes, allocate nothing and keep no state.
// Debug builds assert that every buffer lies inside memory.

export { absDiffCount, absDiffThresholdCount, threshold, sumAbsDiff, countAnd, maskApply } from './kernels/diff'
export { downscaleArea, downscaleScratchBytes } from './kernels/resize'
export { blur3, erode3, dilate3 } from './kernels/filter'
export { bgSubtract, bgUpdate, bgReset, bgToU8, fillU16, diffHistogram } from './kernels/background'
export { labelRegions, keepRegions, regionLabelCapacity } from './kernels/regions'
export { sumStats, correlationSums, gradientSum } from './kernels/stats'
export { colourVotes } from './kernels/colour'
