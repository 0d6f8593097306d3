import { existsSync } from 'node:fs'
import { Module, createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { OkoError } from '@oko/core'

/** TF.js backends faces can run on: `tensorflow` is @tensorflow/tfjs-node (native), when installed. */
export type TfBackend = 'tensorflow' | 'wasm' | 'cpu'
export type BackendChoice = 'auto' | TfBackend

/* Minimal shapes of the parts of TF.js and face-api that faces uses. */
export interface Tensor {
  readonly shape: number[]
  dispose(): void
}
export interface Tf {
  setBackend(name: string): Promise<boolean>
  ready(): Promise<void>
  getBackend(): string
  tensor3d(data: Uint8Array | Int32Array | Float32Array, shape: [number, number, number], dtype?: 'int32' | 'float32'): Tensor
}
export interface Box { x: number; y: number; width: number; height: number }
export interface FaceApiDetection { readonly box: Box; readonly score: number }
export interface FaceApiLandmarks { readonly positions: { x: number; y: number }[] }
export interface FaceApiNet {
  loadFromDisk(dir: string): Promise<void>
  dispose(): void
}
export interface FaceApiDetectorNet extends FaceApiNet {
  locateFaces(input: Tensor, options: unknown): Promise<FaceApiDetection[]>
}
export interface FaceApiLandmarkNet extends FaceApiNet {
  detectLandmarks(input: Tensor | Tensor[]): Promise<FaceApiLandmarks | FaceApiLandmarks[]>
}
export interface FaceApiRecognitionNet extends FaceApiNet {
  computeFaceDescriptor(input: Tensor | Tensor[]): Promise<Float32Array | Float32Array[]>
}
export interface FaceApi {
  readonly tf: Tf
  readonly version: string
  SsdMobilenetv1: new () => FaceApiDetectorNet
  TinyFaceDetector: new () => FaceApiDetectorNet
  FaceLandmark68Net: new () => FaceApiLandmarkNet
  FaceLandmark68TinyNet: new () => FaceApiLandmarkNet
  FaceRecognitionNet: new () => FaceApiRecognitionNet
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults?: number }) => unknown
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown
}

/** face-api and TF.js as loaded in this thread, and which backend runs the models. */
export interface FaceRuntime {
  readonly faceapi: FaceApi
  readonly tf: Tf
  readonly backend: TfBackend
  /** Why this backend: e.g. "@tensorflow/tfjs-node not installed; using wasm (SIMD)". */
  readonly reason: string
  /** Folder of the face-api weights. */
  readonly modelDir: string
}

/**
 * Loads face-api in the calling thread. `auto` takes @tensorflow/tfjs-node where the user has it
 * installed (native TensorFlow) and falls back to the WASM backend. TF.js keeps one engine per
 * thread: run one runtime per worker thread (see FacePool) rather than many in one thread.
 */
export async function loadFaceRuntime(choice: BackendChoice = 'auto', modelDir?: string): Promise<FaceRuntime> {
  const require = createRequire(import.meta.url)
  // The TF.js wasm module adds process-wide handlers that rethrow any uncaught error (printing its
  // whole minified source); a library must not change that, so they are removed once it is ready.
  const before = { uncaughtException: process.listeners('uncaughtException'), unhandledRejection: process.listeners('unhandledRejection') }
  try {
    return await load(require, choice, modelDir)
  } finally {
    for (const l of process.listeners('uncaughtException')) if (!before.uncaughtException.includes(l)) process.removeListener('uncaughtException', l)
    for (const l of process.listeners('unhandledRejection')) if (!before.unhandledRejection.includes(l)) process.removeListener('unhandledRejection', l)
  }
}

/**
 * Under `--conditions import` (as vitest runs Node) `require('long')` returns long 5's ES module
 * namespace, and TF.js's CommonJS interop then fails ("Long.fromString is not a function"). This
 * registers long's own CommonJS build under that path, once, before TF.js loads.
 */
function ensureCommonJsLong(require: NodeJS.Require): void {
  try {
    const tfRequire = createRequire(require.resolve('@tensorflow/tfjs'))
    const resolved = tfRequire.resolve('long')
    const umd = join(dirname(resolved), 'umd', 'index.js')
    if (resolved === umd || require.cache[resolved] || !existsSync(umd)) return
    const m = new Module(resolved)
    m.filename = resolved
    m.exports = tfRequire(umd)
    m.loaded = true
    require.cache[resolved] = m
  } catch {
    // Not resolvable here: TF.js will report its own error.
  }
}

async function load(require: NodeJS.Require, choice: BackendChoice, modelDir: string | undefined): Promise<FaceRuntime> {
  ensureCommonJsLong(require)
  let faceapi: FaceApi | undefined
  let backend: TfBackend = 'wasm'
  let reason = ''
  if (choice === 'auto' || choice === 'tensorflow') {
    try {
      faceapi = require('@vladmandic/face-api/dist/face-api.node.js') as FaceApi
      backend = 'tensorflow'
      reason = '@tensorflow/tfjs-node is installed: native TensorFlow'
    } catch (cause) {
      if (choice === 'tensorflow') {
        throw new OkoError('ERR_UNSUPPORTED', 'backend "tensorflow" needs @tensorflow/tfjs-node 4.22 installed next to @oko/faces; use "auto" or "wasm"', { cause })
      }
      const code = (cause as { code?: string }).code
      reason = code === 'MODULE_NOT_FOUND' ? '@tensorflow/tfjs-node not installed; ' : `@tensorflow/tfjs-node failed to load (${String((cause as Error).message).split('\n')[0]}); `
    }
  }
  if (!faceapi) {
    try {
      faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi
    } catch (cause) {
      throw new OkoError('ERR_MODEL', `cannot load @vladmandic/face-api: ${(cause as Error).message}`, { cause })
    }
    backend = choice === 'cpu' ? 'cpu' : 'wasm'
    const ok = await faceapi.tf.setBackend(backend)
    if (!ok) throw new OkoError('ERR_MODEL', `TF.js backend "${backend}" failed to initialise`)
    reason += backend === 'wasm' ? 'using TF.js wasm (SIMD, one thread per worker)' : 'using TF.js cpu (slow; for debugging)'
  }
  await faceapi.tf.ready()
  const dir = modelDir ?? join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model')
  return { faceapi, tf: faceapi.tf, backend, reason, modelDir: dir }
}

/** Loads one network's weights, with an error that names the folder. */
export async function loadNet<T extends FaceApiNet>(net: T, dir: string, what: string): Promise<T> {
  try {
    await net.loadFromDisk(dir)
    return net
  } catch (cause) {
    throw new OkoError('ERR_MODEL', `cannot load the ${what} weights from ${dir}: ${(cause as Error).message}`, { cause })
  }
}
