/**
 * The functions every build of assembly/ exports. Pointers are byte offsets into the instance's
 * memory; sizes are in bytes or pixels as named.
 */
export interface KernelExports {
  absDiffCount(a: number, b: number, out: number, length: number, threshold: number): number
}
