// Shared by bench/kernels.bench.ts and bench/motion.bench.ts: synthetic frames, the native C
// baseline (built here with gcc), the OpenCV peers (Debian python3-opencv, installed if missing
// and possible), machine facts and table printing.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const benchDir = fileURLToPath(new URL('.', import.meta.url))
export const python = '/usr/bin/python3'

/** 8-bit frames like a fixed street camera: static texture, ±4 sensor noise, a moving bright box. */
export function syntheticFrames(width: number, height: number, count: number, seed = 1): Uint8Array {
  const out = new Uint8Array(width * height * count)
  let s = seed >>> 0
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) >>> 24)
  const texture = new Uint8Array(width * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) texture[y * width + x] = 60 + ((x * 7 + y * 13) % 61) + ((x >> 5) + (y >> 5)) % 2 * 40
  }
  const bw = Math.max(1, width >> 4)
  const bh = Math.max(1, height >> 3)
  for (let f = 0; f < count; f++) {
    const base = f * width * height
    const bx = Math.floor(((f * 13) % 100) / 100 * (width - bw))
    const by = height >> 1
    for (let i = 0; i < width * height; i++) out[base + i] = Math.max(0, Math.min(255, texture[i]! + (rand() % 9) - 4))
    for (let y = by; y < Math.min(height, by + bh); y++) for (let x = bx; x < bx + bw; x++) out[base + y * width + x] = 235
  }
  return out
}

export interface Machine {
  cpu: string
  cores: number
  node: string
  v8: string
  loadAverage1m: number
}

export function machine(): Machine {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, v8: process.versions.v8, loadAverage1m: loadavg()[0]! }
}

/** Makes sure /usr/bin/python3 can import cv2, installing Debian's python3-opencv when root. */
export function openCvAvailable(): { ok: true } | { ok: false; why: string } {
  const check = () => existsSync(python) && spawnSync(python, ['-c', 'import cv2'], { encoding: 'utf8' }).status === 0
  if (check()) return { ok: true }
  if (process.getuid?.() === 0) {
    console.error('installing python3-opencv (apt-get) for the OpenCV peer…')
    spawnSync('apt-get', ['update'], { stdio: 'ignore' })
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', 'python3-opencv', 'python3-numpy'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    if (check()) return { ok: true }
  }
  return { ok: false, why: `${python} cannot import cv2 (apt-get install -y python3-opencv)` }
}

/** Runs a script and parses the JSON lines it prints. */
export function jsonLines(command: string, args: string[]): Record<string, unknown>[] {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 16 << 20 })
  if (r.status !== 0) throw new Error(`${command} ${args[0] ?? ''} failed: ${r.stderr || r.error?.message}`)
  return r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
}

/**
 * Builds bench/native/kernels.c with gcc -O3 -march=native into `dir` (`width128`: without AVX,
 * i.e. 128-bit vectors like WASM SIMD); a reason instead when gcc is missing or fails.
 */
export function buildNative(dir: string, width128 = false): { binary: string; compiler: string } | { why: string } {
  const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' })
  if (gcc.status !== 0) return { why: 'gcc not found (apt-get install -y gcc)' }
  const binary = join(dir, width128 ? 'oko-kernels-c128' : 'oko-kernels-c')
  const flags = ['-O3', '-march=native', ...(width128 ? ['-mno-avx', '-mno-avx2'] : [])]
  const r = spawnSync('gcc', [...flags, '-o', binary, join(benchDir, 'native', 'kernels.c')], { encoding: 'utf8' })
  if (r.status !== 0) return { why: `gcc failed: ${r.stderr}` }
  return { binary, compiler: gcc.stdout.split('\n')[0]! }
}

export function writeResult(area: string, data: unknown): string {
  const dir = join(benchDir, 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${area}.json`)
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`)
  return file
}

/** Prints rows as an aligned text table. */
export function printTable(head: string[], rows: (string | number | undefined)[][]): void {
  const cells = [head, ...rows.map((r) => r.map((c) => (c === undefined ? '–' : typeof c === 'number' ? formatNumber(c) : c)))]
  const widths = head.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)))
  for (const [k, r] of cells.entries()) {
    console.log(r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  '))
    if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  }
}

function formatNumber(x: number): string {
  if (x >= 100) return x.toFixed(0)
  if (x >= 10) return x.toFixed(1)
  return x.toFixed(2)
}
