import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.js'

// Three entries: the library; `@oko/pipeline/worker` (what worker modules import; it must not pull
// the main-thread runtime into every thread); the worker `oko bench` measures dispatch with.
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/worker.ts', 'src/bench-worker.ts'] })
