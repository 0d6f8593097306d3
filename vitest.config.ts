import { defineConfig } from 'vitest/config'

// Packages resolve to their TypeScript sources through the `oko-source` export condition, so
// tests need no build of the code under test. Worker threads cannot load .ts: code that starts
// workers points them at dist/ (built by `pnpm build`, which `pnpm install` runs).
const conditions = ['oko-source', 'node', 'import', 'module', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['oko-source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
})
