// Builds packages/wasm/assembly/ into four variants: SIMD and scalar, each as release and debug (assertions on).
// Output: packages/wasm/build/oko-{simd,scalar}[.debug].wasm. Run by `pnpm build`.
import asc from 'assemblyscript/asc'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../', import.meta.url))
const out = fileURLToPath(new URL('../build/', import.meta.url))
mkdirSync(out, { recursive: true })

const variants = [
  { name: 'oko-simd', simd: true, debug: false },
  { name: 'oko-scalar', simd: false, debug: false },
  { name: 'oko-simd.debug', simd: true, debug: true },
  { name: 'oko-scalar.debug', simd: false, debug: true },
]

for (const v of variants) {
  const args = [
    `${root}assembly/index.ts`,
    '--outFile', `${out}${v.name}.wasm`,
    '--runtime', 'stub',
    '--importMemory',
    '--initialMemory', '1',
    '--noExportMemory',
    v.debug ? '--debug' : '--noAssert',
    '-O3',
    ...(v.simd ? ['--enable', 'simd'] : ['--disable', 'simd']),
  ]
  const { error, stderr } = await asc.main(args)
  if (error) {
    console.error(stderr.toString())
    throw new Error(`AssemblyScript build ${v.name} failed: ${error.message}`)
  }
}
console.log(`built ${variants.length} wasm variants into ${out}`)
