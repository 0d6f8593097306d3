import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, extname, join, resolve } from 'node:path'
import { OkoError, type RawImage } from '@oko/core'
import type { FaceAnalysis } from './analyzer.js'
import { describeSingleFace } from './analyzer.js'
import type { IdentificationResult, LabelledDescriptor, VerificationResult } from './evaluate.js'
import { evaluateIdentification, evaluateVerification } from './evaluate.js'
import { DEFAULT_MATCH_THRESHOLD, euclidean } from './watchlist.js'

/** Decodes an image file to pixels (faces does not decode: `@oko/source`'s decodeImage fits). */
export type DecodeImage = (path: string) => RawImage

export interface FaceEvalOptions {
  /** Match threshold. Default DEFAULT_MATCH_THRESHOLD. */
  threshold?: number
  /** Also calibrate per fold (open set) for this false-match rate and report it. Default 0.01. */
  falseMatchRate?: number
  /** Called after each image (for progress). File names only: no descriptors, no pixels. */
  onImage?: (file: string, error?: string) => void
}

export interface FaceEvalReport {
  readonly mode: 'identities' | 'pairs'
  readonly images: number
  /** Images without one usable face (their error); they take no further part. */
  readonly failed: readonly { file: string; error: string }[]
  readonly threshold: number
  /** Detection + alignment + descriptor, per described face (ms, wall clock, this thread). */
  readonly msPerFace: number
  /** Identity folders: leave-one-identity-out open-set identification at `threshold`. */
  readonly identification?: IdentificationResult
  /** The same, with the threshold calibrated per fold for `falseMatchRate`. */
  readonly calibrated?: IdentificationResult & { readonly falseMatchRate: number }
  /** Pairs file, or all pairs of the identity folders. */
  readonly verification: VerificationResult
}

const IMAGE = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.pgm', '.ppm', '.webp', '.tif', '.tiff'])

/** Whether a file in an identity folder is read as a photo (by extension), for evaluation and enrolment alike. */
export function isImageFile(name: string): boolean {
  return IMAGE.has(extname(name).toLowerCase())
}

/**
 * `oko eval faces`: `path` is a folder of identity folders (`name/*.png`) or a pairs file
 * (`file_x,file_y,Decision` with Yes/No, paths relative to the file). Tight crops are handled by
 * the detector (`tightCrop: 'auto'`).
 */
export async function evaluateFaces(path: string, decode: DecodeImage, analysis: FaceAnalysis, options: FaceEvalOptions = {}): Promise<FaceEvalReport> {
  const threshold = options.threshold ?? DEFAULT_MATCH_THRESHOLD
  const failed: { file: string; error: string }[] = []
  let ms = 0, faces = 0
  const cache = new Map<string, Float32Array | undefined>()
  const describe = async (file: string): Promise<Float32Array | undefined> => {
    if (cache.has(file)) return cache.get(file)
    let descriptor: Float32Array | undefined
    let error: string | undefined
    try {
      const image = decode(file)
      const t0 = performance.now()
      descriptor = (await describeSingleFace(analysis, image, file, { tightCrop: 'auto' })).descriptor
      ms += performance.now() - t0
      faces++
    } catch (e) {
      if (!(e instanceof OkoError) || (e.code !== 'ERR_INVALID_INPUT' && e.code !== 'ERR_FILE_NOT_FOUND' && e.code !== 'ERR_DECODE')) throw e
      error = e.message
      failed.push({ file, error })
    }
    cache.set(file, descriptor)
    options.onImage?.(file, error)
    return descriptor
  }

  const root = resolve(path)
  if (statSync(root).isFile()) {
    const pairs = readPairs(root)
    const scored: { distance: number; same: boolean }[] = []
    for (const p of pairs) {
      const a = await describe(p.x), b = await describe(p.y)
      if (a && b) scored.push({ distance: euclidean(a, b), same: p.same })
    }
    if (scored.length === 0) throw new OkoError('ERR_INVALID_INPUT', `${root}: no pair could be scored (every pair has an image without a usable face)`)
    return { mode: 'pairs', images: cache.size, failed, threshold, msPerFace: ms / Math.max(1, faces), verification: evaluateVerification(scored, threshold) }
  }

  const samples: LabelledDescriptor[] = []
  const identities = readdirSync(root).filter((d) => statSync(join(root, d)).isDirectory()).sort()
  for (const identity of identities) {
    const files = readdirSync(join(root, identity)).filter(isImageFile).sort()
    for (const f of files) {
      const descriptor = await describe(join(root, identity, f))
      if (descriptor) samples.push({ identity, descriptor, source: `${identity}/${f}` })
    }
  }
  const withTwo = new Set(samples.map((s) => s.identity).filter((id, _, all) => all.filter((x) => x === id).length >= 2))
  if (withTwo.size < 2) throw new OkoError('ERR_INVALID_INPUT', `${root}: needs at least 2 identity folders with 2+ usable face images each (found ${withTwo.size})`)
  const usable = samples.filter((s) => withTwo.has(s.identity))
  const pairs: { distance: number; same: boolean }[] = []
  for (let i = 0; i < usable.length; i++) {
    for (let j = i + 1; j < usable.length; j++) pairs.push({ distance: euclidean(usable[i]!.descriptor, usable[j]!.descriptor), same: usable[i]!.identity === usable[j]!.identity })
  }
  const falseMatchRate = options.falseMatchRate ?? 0.01
  return {
    mode: 'identities', images: cache.size, failed, threshold, msPerFace: ms / Math.max(1, faces),
    identification: evaluateIdentification(usable, { threshold }),
    calibrated: { ...evaluateIdentification(usable, { falseMatchRate }), falseMatchRate },
    verification: evaluateVerification(pairs, threshold),
  }
}

function readPairs(file: string): { x: string; y: string; same: boolean }[] {
  const base = dirname(file)
  const out: { x: string; y: string; same: boolean }[] = []
  const lines = readFileSync(file, 'utf8').split(/\r?\n/)
  lines.forEach((line, i) => {
    const cells = line.split(',').map((c) => c.trim())
    if (line.trim() === '' || (i === 0 && /decision/i.test(cells[2] ?? ''))) return
    if (cells.length !== 3 || !/^(yes|no)$/i.test(cells[2]!)) {
      throw new OkoError('ERR_INVALID_INPUT', `${file}:${i + 1}: expected "file_x,file_y,Yes|No", received ${JSON.stringify(line.slice(0, 80))}`)
    }
    out.push({ x: resolve(base, cells[0]!), y: resolve(base, cells[1]!), same: /^yes$/i.test(cells[2]!) })
  })
  if (out.length === 0) throw new OkoError('ERR_INVALID_INPUT', `${file}: no pairs in it`)
  return out
}
