// Line counts on a CDnet sequence: the truth from its ground-truth masks, and oko's chain on its
// frames (`oko eval lines`, test/eval/lines-cdnet.test.ts).
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OkoError, type Point } from '@oko/core'
import { anchorOf, LineCrosser, type Direction } from '@oko/rules'
import { decodeImageFile } from '@oko/source'
import { countLine } from './line-count.js'

/** The line rule's default hysteresis (a share of the frame diagonal), used for the truth too. */
const HYSTERESIS = 0.01
/** Ground-truth blobs smaller than this (pixels) are noise, not vehicles. */
const MIN_BLOB_PX = 40

export interface CdnetSequence {
  readonly dir: string
  /** The scored (development) frames, from temporalROI.txt, 1-based. */
  readonly first: number
  readonly last: number
}

export interface FrameCrossing {
  /** CDnet frame number (1-based). */
  readonly frame: number
  readonly trackId: string
  readonly direction: Direction
}

export interface DirectionCounts { 'a-b': number; 'b-a': number }

export interface LineTally {
  readonly crossings: FrameCrossing[]
  readonly counts: DirectionCounts
}

export interface LineEvaluation {
  readonly dir: string
  readonly line: readonly [Point, Point]
  readonly first: number
  readonly last: number
  /** Tracks the truth's masks gave over the scored frames. */
  readonly truthTracks: number
  readonly truth: LineTally
  readonly oko: LineTally
}

/** Reads a CDnet folder's layout and temporal ROI; errors name the missing file. */
export function openCdnet(dir: string): CdnetSequence {
  for (const p of ['input', 'groundtruth', 'temporalROI.txt']) {
    if (!existsSync(join(dir, p))) throw new OkoError('ERR_FILE_NOT_FOUND', `${dir} is not a CDnet sequence: ${p} is missing (expected input/, groundtruth/, temporalROI.txt)`)
  }
  const [first, last] = readFileSync(join(dir, 'temporalROI.txt'), 'utf8').trim().split(/\s+/).map(Number)
  if (!Number.isInteger(first) || !Number.isInteger(last) || first! < 1 || last! < first!) {
    throw new OkoError('ERR_INVALID_INPUT', `${join(dir, 'temporalROI.txt')}: expected two frame numbers "first last"`)
  }
  return { dir, first: first!, last: last! }
}

const frameFile = (dir: string, kind: 'in' | 'gt', i: number): string =>
  join(dir, kind === 'in' ? 'input' : 'groundtruth', `${kind}${String(i).padStart(6, '0')}.${kind === 'in' ? 'jpg' : 'png'}`)

interface Blob { readonly pixels: Int32Array; readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number }

/** 8-connected components of the moving pixels (255) of one mask, at least MIN_BLOB_PX each. */
export function movingBlobs(mask: Uint8Array, width: number, height: number): Blob[] {
  const seen = new Uint8Array(width * height)
  const stack: number[] = []
  const blobs: Blob[] = []
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] !== 255 || seen[start]) continue
    const pixels: number[] = []
    let x0 = width, y0 = height, x1 = -1, y1 = -1
    seen[start] = 1
    stack.push(start)
    while (stack.length > 0) {
      const i = stack.pop()!
      pixels.push(i)
      const x = i % width, y = (i - x) / width
      if (x < x0) x0 = x
      if (x > x1) x1 = x
      if (y < y0) y0 = y
      if (y > y1) y1 = y
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx, ny = y + dy
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue
          const j = ny * width + nx
          if (mask[j] === 255 && !seen[j]) { seen[j] = 1; stack.push(j) }
        }
      }
    }
    if (pixels.length >= MIN_BLOB_PX) blobs.push({ pixels: Int32Array.from(pixels), x0, y0, x1, y1 })
  }
  return blobs
}

/**
 * The truth's crossings: ground-truth blobs of each scored frame, associated with the previous
 * frame's blobs by pixel overlap (greedy, largest overlap first, one to one; an unmatched blob
 * starts a track), and the tracks' bottom centres stepped through the line rule's own crosser.
 */
export function truthCrossings(seq: CdnetSequence, line: readonly [Point, Point]): LineTally & { tracks: number } {
  let crosser: LineCrosser | undefined
  let labels: Int32Array | undefined
  let previous: { id: number }[] = []
  let nextId = 0
  const crossings: FrameCrossing[] = []
  for (let frame = seq.first; frame <= seq.last; frame++) {
    const gt = decodeImageFile(frameFile(seq.dir, 'gt', frame), { format: 'gray8' })
    const { width, height } = gt
    crosser ??= new LineCrosser({ a: { x: line[0].x * width, y: line[0].y * height }, b: { x: line[1].x * width, y: line[1].y * height } }, HYSTERESIS * Math.hypot(width, height))
    const blobs = movingBlobs(gt.data, width, height)
    // overlaps with the previous frame's blobs (labels holds their index + 1)
    const pairs: { blob: number; prev: number; overlap: number }[] = []
    if (labels) {
      for (let b = 0; b < blobs.length; b++) {
        const byPrev = new Map<number, number>()
        for (const i of blobs[b]!.pixels) { const l = labels[i]!; if (l > 0) byPrev.set(l - 1, (byPrev.get(l - 1) ?? 0) + 1) }
        for (const [prev, overlap] of byPrev) pairs.push({ blob: b, prev, overlap })
      }
    }
    pairs.sort((p, q) => q.overlap - p.overlap || p.blob - q.blob || p.prev - q.prev)
    const ids = new Array<number | undefined>(blobs.length)
    const taken = new Set<number>()
    for (const p of pairs) {
      if (ids[p.blob] !== undefined || taken.has(p.prev)) continue
      ids[p.blob] = previous[p.prev]!.id
      taken.add(p.prev)
    }
    labels = new Int32Array(width * height)
    previous = blobs.map((b, k) => {
      const id = ids[k] ?? nextId++
      for (const i of b.pixels) labels![i] = k + 1
      const c = crosser!.step(String(id), anchorOf({ x: b.x0, y: b.y0, width: b.x1 + 1 - b.x0, height: b.y1 + 1 - b.y0 }), Math.round((frame * 1e6) / 25))
      if (c) crossings.push({ frame, trackId: `truth-${id}`, direction: c.direction })
      return { id }
    })
  }
  return { crossings, counts: tally(crossings), tracks: nextId }
}

function tally(crossings: readonly FrameCrossing[]): DirectionCounts {
  const counts: DirectionCounts = { 'a-b': 0, 'b-a': 0 }
  for (const c of crossings) counts[c.direction]++
  return counts
}

/**
 * oko's chain on the same frames: input/ frames 1..last (the earlier ones learn the background)
 * concatenated into a temporary MJPEG stream (the JPEGs as they are, 25 fps), through motion →
 * tracking fromMotion → one line rule; crossings in the scored frames only.
 */
export async function okoCrossings(seq: CdnetSequence, line: readonly [Point, Point], signal?: AbortSignal): Promise<LineTally> {
  const tmp = mkdtempSync(join(tmpdir(), 'oko-lines-'))
  try {
    const video = join(tmp, 'frames.mjpeg')
    const fd = openSync(video, 'w')
    try {
      for (let i = 1; i <= seq.last; i++) {
        const path = frameFile(seq.dir, 'in', i)
        if (!existsSync(path)) throw new OkoError('ERR_FILE_NOT_FOUND', `${path} is missing (the input frames must run from 1 to ${seq.last})`)
        writeSync(fd, readFileSync(path))
      }
    } finally {
      closeSync(fd)
    }
    const counted = await countLine(video, { line, direction: 'both', detector: {}, fromMotion: true, ...(signal ? { signal } : {}) })
    const crossings = counted.crossings
      .map((c) => ({ frame: c.seq + 1, trackId: c.trackId, direction: c.direction }))
      .filter((c) => c.frame >= seq.first && c.frame <= seq.last)
    return { crossings, counts: tally(crossings) }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

/** The truth's and oko's crossings of `line` (fractions of the frame) over the scored frames of a CDnet folder. */
export async function evaluateLines(dir: string, line: readonly [Point, Point], signal?: AbortSignal): Promise<LineEvaluation> {
  const seq = openCdnet(dir)
  const truth = truthCrossings(seq, line)
  const oko = await okoCrossings(seq, line, signal)
  return { dir, line, first: seq.first, last: seq.last, truthTracks: truth.tracks, truth: { crossings: truth.crossings, counts: truth.counts }, oko }
}
