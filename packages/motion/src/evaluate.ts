// CDnet 2014 evaluation of the motion detector (`oko eval motion`, the eval tests): `@oko/motion/eval`.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { OkoError } from '@oko/core'
import { decodeImageFile } from '@oko/source'
import { MotionDetector } from './detector.js'
import type { MotionOptions } from './options.js'

/** Pixel counts over the scored frames, CDnet rules. */
export interface CdnetCounts { tp: number; fp: number; fn: number; tn: number }

/** CDnet's metrics (fractions; pwc in percent). */
export interface CdnetMetrics {
  recall: number
  precision: number
  fMeasure: number
  fpr: number
  fnr: number
  pwc: number
  specificity: number
}

export interface MotionEvaluation {
  dir: string
  frames: number
  scoredFrames: number
  width: number
  height: number
  counts: CdnetCounts
  metrics: CdnetMetrics
  /** Detector speed on the decoded frames (decoding excluded). */
  fps: number
  /** OpenCV MOG2 over the same frames and rules, or why it was skipped. */
  mog2?: { counts: CdnetCounts; metrics: CdnetMetrics; fps: number; opencv: string } | { skipped: string }
}

export function cdnetMetrics(c: CdnetCounts): CdnetMetrics {
  const div = (a: number, b: number) => (b > 0 ? a / b : 0)
  const recall = div(c.tp, c.tp + c.fn)
  const precision = div(c.tp, c.tp + c.fp)
  return {
    recall,
    precision,
    fMeasure: div(2 * precision * recall, precision + recall),
    fpr: div(c.fp, c.fp + c.tn),
    fnr: div(c.fn, c.tp + c.fn),
    pwc: 100 * div(c.fn + c.fp, c.tp + c.fn + c.fp + c.tn),
    specificity: div(c.tn, c.tn + c.fp),
  }
}

/**
 * Adds one frame to the counts: only ground truth 255 (moving) and 0/50 (static, hard shadow)
 * inside the ROI count; 85 (outside ROI) and 170 (unknown) are ignored.
 */
export function scoreCdnetFrame(foreground: Uint8Array, truth: Uint8Array, roi: Uint8Array, c: CdnetCounts): void {
  for (let i = 0; i < truth.length; i++) {
    if (roi[i] === 0) continue
    const t = truth[i]!
    const moving = foreground[i] !== 0
    if (t === 255) moving ? c.tp++ : c.fn++
    else if (t === 0 || t === 50) moving ? c.fp++ : c.tn++
  }
}

/** The detector settings the evaluation uses: full CDnet resolution, no camera-health checks. */
export const CDNET_MOTION_OPTIONS: MotionOptions = { processingHeight: 240, minFrames: 1, tamper: false }

function frameName(kind: 'in' | 'gt', i: number, ext: string): string {
  return `${kind}${String(i).padStart(6, '0')}.${ext}`
}

/** Runs the detector over a CDnet-layout folder and scores the temporal ROI. */
export async function evaluateMotion(dir: string, options: { mog2?: boolean; motion?: MotionOptions } = {}): Promise<MotionEvaluation> {
  for (const p of ['input', 'groundtruth', 'ROI.bmp', 'temporalROI.txt']) {
    if (!existsSync(join(dir, p))) throw new OkoError('ERR_FILE_NOT_FOUND', `${dir} is not a CDnet sequence: ${p} is missing (expected input/, groundtruth/, ROI.bmp, temporalROI.txt)`)
  }
  const [first, last] = readFileSync(join(dir, 'temporalROI.txt'), 'utf8').trim().split(/\s+/).map(Number)
  if (!Number.isInteger(first) || !Number.isInteger(last) || first! < 1 || last! < first!) {
    throw new OkoError('ERR_INVALID_INPUT', `${join(dir, 'temporalROI.txt')}: expected two frame numbers "first last"`)
  }
  const roiImage = decodeImageFile(join(dir, 'ROI.bmp'), { format: 'gray8' })
  const { width, height } = roiImage
  const detector = await MotionDetector.create({ ...CDNET_MOTION_OPTIONS, ...options.motion })
  const counts: CdnetCounts = { tp: 0, fp: 0, fn: 0, tn: 0 }
  const mask = new Uint8Array(width * height)
  let detectMs = 0
  let frames = 0
  try {
    for (let i = 1; i <= last!; i++) {
      const path = join(dir, 'input', frameName('in', i, 'jpg'))
      if (!existsSync(path)) break
      const image = decodeImageFile(path, { format: 'gray8' })
      const t0 = performance.now()
      detector.detect({ data: image.data, width: image.width, height: image.height, stride: image.width }, { seq: i, ptsUs: Math.round((i * 1e6) / 25) })
      detectMs += performance.now() - t0
      frames++
      if (i < first!) continue
      const fg = detector.foreground!
      upscaleNearest(fg.data, fg.width, fg.height, mask, width, height)
      const truth = decodeImageFile(join(dir, 'groundtruth', frameName('gt', i, 'png')), { format: 'gray8' })
      scoreCdnetFrame(mask, truth.data, roiImage.data, counts)
    }
  } finally {
    await detector.close()
  }
  const result: MotionEvaluation = {
    dir, frames, scoredFrames: Math.max(0, Math.min(last!, frames) - first! + 1), width, height,
    counts, metrics: cdnetMetrics(counts), fps: frames / (detectMs / 1000),
  }
  if (options.mog2 !== false) result.mog2 = runMog2Peer(dir, first!, last!)
  return result
}

function upscaleNearest(src: Uint8Array, sw: number, sh: number, dst: Uint8Array, dw: number, dh: number): void {
  if (sw === dw && sh === dh) { dst.set(src); return }
  for (let y = 0; y < dh; y++) {
    const sy = Math.min(sh - 1, Math.floor((y * sh) / dh))
    for (let x = 0; x < dw; x++) dst[y * dw + x] = src[sy * sw + Math.min(sw - 1, Math.floor((x * sw) / dw))]!
  }
}

/** OpenCV MOG2 (defaults, colour input, shadows counted as background), scored by the same rules. */
const MOG2_PEER = String.raw`
import sys, json, time, os
import numpy as np, cv2
d, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cv2.setNumThreads(1)
roi = cv2.imread(os.path.join(d, 'ROI.bmp'), cv2.IMREAD_GRAYSCALE) > 0
mog = cv2.createBackgroundSubtractorMOG2()
tp = fp = fn = tn = 0; spent = 0.0; n = 0
for i in range(1, last + 1):
    p = os.path.join(d, 'input', 'in%06d.jpg' % i)
    if not os.path.exists(p): break
    img = cv2.imread(p)
    t0 = time.perf_counter(); fg = mog.apply(img); spent += time.perf_counter() - t0; n += 1
    if i < first: continue
    gt = cv2.imread(os.path.join(d, 'groundtruth', 'gt%06d.png' % i), cv2.IMREAD_GRAYSCALE)
    m = fg == 255
    pos = (gt == 255) & roi; neg = ((gt == 0) | (gt == 50)) & roi
    tp += int(np.count_nonzero(m & pos)); fn += int(np.count_nonzero(~m & pos))
    fp += int(np.count_nonzero(m & neg)); tn += int(np.count_nonzero(~m & neg))
print(json.dumps({'counts': {'tp': tp, 'fp': fp, 'fn': fn, 'tn': tn}, 'fps': n / spent if spent > 0 else 0, 'opencv': cv2.__version__}))
`

function runMog2Peer(dir: string, first: number, last: number): NonNullable<MotionEvaluation['mog2']> {
  const python = '/usr/bin/python3'
  if (!existsSync(python)) return { skipped: `${python} not found (apt-get install -y python3-opencv)` }
  const check = spawnSync(python, ['-c', 'import cv2'], { encoding: 'utf8' })
  if (check.status !== 0) return { skipped: 'python3-opencv is not installed (apt-get install -y python3-opencv)' }
  const tmp = mkdtempSync(join(tmpdir(), 'oko-mog2-'))
  try {
    const script = join(tmp, 'mog2.py')
    writeFileSync(script, MOG2_PEER)
    const run = spawnSync(python, [script, dir, String(first), String(last)], { encoding: 'utf8', maxBuffer: 1 << 20 })
    if (run.status !== 0) return { skipped: `MOG2 peer failed: ${run.stderr.trim().split('\n').pop()}` }
    const out = JSON.parse(run.stdout) as { counts: CdnetCounts; fps: number; opencv: string }
    return { counts: out.counts, metrics: cdnetMetrics(out.counts), fps: out.fps, opencv: out.opencv }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

