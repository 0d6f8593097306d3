import { defineConfig } from 'tsup'

// Two entries: the library, and `@oko/pipeline/worker` (what worker modules import; it must not
// pull the main-thread runtime into every thread).
export default defineConfig({
  entry: ['src/index.ts', 'src/worker.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
})
