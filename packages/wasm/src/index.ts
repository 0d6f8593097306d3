export { KernelModule, KernelInstance } from './loader.js'
export type { KernelModuleOptions, WasmBuild } from './loader.js'
export type { KernelExports } from './exports.js'
export { wasmSimdSupported } from './simd.js'
