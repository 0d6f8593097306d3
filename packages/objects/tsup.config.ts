import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.js'

// Two entries: the library and the worker-thread module ObjectDetectorPool starts (workers load from dist/).
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/worker.ts'] })
