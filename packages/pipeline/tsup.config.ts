import { defineConfig } from 'tsup'

// Two entries: the library, and `@oko/pipeline/worker` (what worker modules import; it must not
// pull the main-thread runtime into every thread), and the worker `oko bench` measures dispatch with.
export default defineConfig({
  entry: ['src/index.ts', 'src/worker.ts', 'src/bench-worker.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
})
