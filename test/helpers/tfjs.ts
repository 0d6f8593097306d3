import { existsSync, readFileSync } from 'node:fs'
import { Module, createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/* The parts of TF.js the reference runs use. */
export interface TfTensor { readonly shape: number[]; data(): Promise<Float32Array>; dispose(): void }
export interface TfGraphModel { executeAsync(x: TfTensor, outputs?: string[]): Promise<TfTensor | TfTensor[]>; execute(x: TfTensor, outputs?: string[]): TfTensor | TfTensor[] }
export interface TfJs {
  tensor(data: Float32Array, shape: number[]): TfTensor
  loadGraphModel(io: unknown): Promise<TfGraphModel>
  io: { fromMemory(artifacts: unknown): unknown }
  setBackend(name: string): Promise<boolean>
  ready(): Promise<void>
  getBackend(): string
}

/**
 * TF.js with its wasm backend on one thread, as a reference for converted models. Under vitest's
 * `import` condition `long` resolves to its ES module, which TF.js's CommonJS cannot use: its UMD
 * build is registered first (as @oko/faces does).
 */
export async function loadTfjsWasm(): Promise<TfJs> {
  const require = createRequire(import.meta.url)
  const tfRequire = createRequire(require.resolve('@tensorflow/tfjs'))
  const resolved = tfRequire.resolve('long')
  const umd = join(dirname(resolved), 'umd', 'index.js')
  if (resolved !== umd && !require.cache[resolved] && existsSync(umd)) {
    const m = new Module(resolved)
    m.filename = resolved
    m.exports = tfRequire(umd)
    m.loaded = true
    require.cache[resolved] = m
  }
  const before = process.listeners('uncaughtException')
  const tf = require('@tensorflow/tfjs') as TfJs
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { setThreadsCount(n: number): void }
  wasm.setThreadsCount(1)
  if (!(await tf.setBackend('wasm'))) throw new Error('TF.js wasm backend failed to initialise')
  await tf.ready()
  for (const l of process.listeners('uncaughtException')) if (!before.includes(l)) process.removeListener('uncaughtException', l)
  return tf
}

/** Loads a TF.js graph model from its model.json and weight files. */
export async function loadTfjsGraph(tf: TfJs, json: string, weights: string[]): Promise<TfGraphModel> {
  return loadTfjsGraphFrom(tf, JSON.parse(readFileSync(json, 'utf8')), Buffer.concat(weights.map((p) => readFileSync(p))))
}

/** Loads a TF.js graph model from its parsed model.json and its weight bytes. */
export async function loadTfjsGraphFrom(tf: TfJs, json: unknown, weightData: Uint8Array): Promise<TfGraphModel> {
  const model = json as { modelTopology: unknown; weightsManifest: { weights: unknown[] }[]; signature?: unknown; format?: string; generatedBy?: string; convertedBy?: string }
  return tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: model.modelTopology,
    weightSpecs: model.weightsManifest.flatMap((g) => g.weights),
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
    format: model.format,
    signature: model.signature,
  }))
}
