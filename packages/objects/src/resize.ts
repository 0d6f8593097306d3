import type { TfjsModelJson } from './tfjs-to-onnx.js'

/** MB3-CenterNet's input as published (512²: a 128² output grid, stride 4). */
export const CENTERNET_SIZE = 512

/**
 * MB3-CenterNet at another square input (a multiple of 32): its convolutions take any size, but
 * the graph holds its output grid as constants (the three upsample sizes, the grid width its
 * in-graph decode divides by, the box gather's row count). Returns a copy of the TF.js graph with
 * those constants and the input shape set for `size`; the weights bytes are copied and patched.
 */
export function resizeCenternet(json: TfjsModelJson, weights: Uint8Array, size: number): { json: TfjsModelJson; weights: Uint8Array } {
  const g = size / 4
  const grid: Record<string, number[]> = {
    'tower_0/BatchGather/concat': [g * g, 4],
    'tower_0/strided_slice_6': [g],
    'tower_0/CenternetHead/c5_upsample/up_sampling2d/mul': [g / 4, g / 4],
    'tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul': [g / 2, g / 2],
    'tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul': [g, g],
  }
  // what each constant holds at 512²: a graph that differs is refused rather than patched wrongly
  const g0 = CENTERNET_SIZE / 4
  const published: Record<string, number[]> = {
    'tower_0/BatchGather/concat': [g0 * g0, 4], 'tower_0/strided_slice_6': [g0],
    'tower_0/CenternetHead/c5_upsample/up_sampling2d/mul': [g0 / 4, g0 / 4], 'tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul': [g0 / 2, g0 / 2], 'tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul': [g0, g0],
  }
  const out = new Uint8Array(weights)
  const copy = JSON.parse(JSON.stringify(json)) as TfjsModelJson
  let offset = 0
  let patched = 0
  for (const group of copy.weightsManifest) {
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1)
      const bytes = w.quantization ? (w.quantization.dtype === 'uint8' ? 1 : 2) : w.dtype === 'bool' ? 1 : 4
      const values = grid[w.name]
      if (values) {
        if (w.dtype !== 'int32' || n !== values.length) throw new Error(`centernet: constant ${w.name} is not the int32[${values.length}] expected`)
        const view = new DataView(out.buffer, out.byteOffset + offset, n * 4)
        values.forEach((v, i) => {
          if (view.getInt32(i * 4, true) !== published[w.name]![i]) throw new Error(`centernet: constant ${w.name} is not the published graph's; cannot resize it`)
          view.setInt32(i * 4, v, true)
        })
        patched++
      }
      offset += n * bytes
    }
  }
  if (patched !== Object.keys(grid).length) throw new Error(`centernet: found ${patched} of the ${Object.keys(grid).length} grid constants; cannot resize it`)
  const input = copy.modelTopology.node.find((node) => node.op === 'Placeholder')
  if (!input?.attr?.shape?.shape) throw new Error('centernet: no input shape in the graph')
  input.attr.shape.shape.dim = [{ size: '1' }, { size: String(size) }, { size: String(size) }, { size: '3' }]
  return { json: copy, weights: out }
}
