import type { Options } from 'tsup'

/** What every oko package builds: ESM for Node 20 with type declarations and source maps. */
export const packageBuild = {
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
} satisfies Options
