import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.js'

// Two entries: the library, and `@oko/pipeline/worker` (what worker modules import; it must not
// pull the main-thread runtime into every thread).
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/worker.ts'] })
