import type { Options } from 'tsup'

/**
 * What every oko package builds: ESM for Node 20 with type declarations and source maps. Members
 * marked `@internal` are left out of the declarations (they are for the package itself).
 */
export const packageBuild = {
  format: ['esm'],
  dts: { compilerOptions: { stripInternal: true } },
  clean: true,
  sourcemap: true,
  target: 'node20',
} satisfies Options
