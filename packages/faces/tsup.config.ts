import { defineConfig } from 'tsup'

// Two entries: the library and the worker-thread module FacePool starts (workers load from dist/).
export default defineConfig({
  entry: ['src/index.ts', 'src/worker.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
})
