import { copyFileSync } from 'node:fs'
import { defineConfig } from 'tsup'

// Two entries: the library and the worker-thread module PlateReader starts (workers load from dist/).
// formats.json is data read at run time: copied next to the bundles.
export default defineConfig({
  entry: ['src/index.ts', 'src/worker.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  async onSuccess() {
    copyFileSync('src/formats.json', 'dist/formats.json')
  },
})
