import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.js'

// Two entries: the pixel work in plain JavaScript (safe to load in model worker threads), and
// `@oko/imaging/jpeg`, which loads FFmpeg (node-av) to encode snapshots.
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/jpeg.ts'] })
