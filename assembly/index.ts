// oko pixel kernels. One source, two builds: `ASC_FEATURE_SIMD` selects v128 code at compile
// time, the scalar path handles the tail and the scalar build. Memory belongs to the host
// (imported); kernels take byte offsets and sizes, allocate nothing and keep no state.

export { absDiffCount } from './kernels/diff'
