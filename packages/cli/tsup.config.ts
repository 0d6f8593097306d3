import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.js'

export default defineConfig({ ...packageBuild, entry: { index: 'src/index.ts', bin: 'src/bin.ts', 'bench-worker': 'src/bench/worker.ts' }, dts: { ...packageBuild.dts, entry: 'src/index.ts' } })
