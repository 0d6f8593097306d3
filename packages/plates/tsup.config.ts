import { copyFileSync } from 'node:fs'
import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.js'

// Two entries: the library and the worker-thread module PlateReader starts (workers load from dist/).
// formats.json is data read at run time: copied next to the bundles.
export default defineConfig({
  ...packageBuild,
  entry: ['src/index.ts', 'src/worker.ts'],
  async onSuccess() {
    copyFileSync('src/formats.json', 'dist/formats.json')
  },
})
