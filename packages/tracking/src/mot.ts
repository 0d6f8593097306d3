import { iou, type Rect } from '@oko/core'
import { assign } from './assign.js'

/** One box of one object in one frame (MOT-challenge rows: frame numbers from 1). */
export interface MotBox extends Rect {
  readonly frame: number
  readonly id: string
}

/** CLEAR-MOT and identity metrics of tracker output against ground truth. */
export interface TrackMetrics {
  readonly frames: number
  readonly truthBoxes: number
  readonly truthIds: number
  readonly trackIds: number
  /** Truth boxes matched (IoU ≥ the threshold), missed, and output boxes matching nothing. */
  readonly matches: number
  readonly misses: number
  readonly falsePositives: number
  /** A truth object matched to another track id than in its last matched frame. */
  readonly idSwitches: number
  /** 1 − (misses + false positives + id switches) / truth boxes. */
  readonly mota: number
  /** Identity F1: boxes matched under the one best truth-id ↔ track-id assignment over the whole clip. */
  readonly idf1: number
  readonly recall: number
  readonly precision: number
  /** Truth objects matched in at least 80% / at most 20% of their frames (mostly tracked / lost). */
  readonly mostlyTracked: number
  readonly mostlyLost: number
}

/** Reads MOT-challenge `gt.txt` (frame, id, x, y, w, h, conf, class, visibility); rows with conf 0 (ignored) are left out. */
export function parseMotFile(text: string, source = 'gt.txt'): MotBox[] {
  const out: MotBox[] = []
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return
    const f = line.split(',').map((v) => v.trim())
    const [frame, id, x, y, w, h] = f.slice(0, 6).map(Number)
    if (f.length < 6 || [frame, x, y, w, h].some((v) => !Number.isFinite(v))) throw new Error(`${source} line ${i + 1}: expected frame,id,x,y,w,h[,conf,class,visibility], received ${JSON.stringify(line.slice(0, 80))}`)
    if (f[6] !== undefined && Number(f[6]) === 0) return
    out.push({ frame: frame!, id: String(id), x: x!, y: y!, width: w!, height: h! })
  })
  return out
}

/** Writes boxes as MOT-challenge rows (conf 1, class and visibility −1). */
export function formatMotFile(boxes: readonly MotBox[]): string {
  return boxes.map((b) => `${b.frame},${b.id},${b.x.toFixed(2)},${b.y.toFixed(2)},${b.width.toFixed(2)},${b.height.toFixed(2)},1,-1,-1`).join('\n') + '\n'
}

/**
 * Scores tracker output against truth by CLEAR-MOT rules (per frame: a truth object keeps its
 * previous track while their IoU stays at or above `minIou`, the rest are matched by the
 * Hungarian method on IoU) and by identity (IDF1: the one truth↔track assignment maximising
 * the frames they are matched in).
 */
export function scoreTracks(truth: readonly MotBox[], output: readonly MotBox[], minIou = 0.5): TrackMetrics {
  const byFrame = (boxes: readonly MotBox[]) => {
    const m = new Map<number, MotBox[]>()
    for (const b of boxes) m.set(b.frame, [...(m.get(b.frame) ?? []), b])
    return m
  }
  const t = byFrame(truth), o = byFrame(output)
  const frames = [...new Set([...t.keys(), ...o.keys()])].sort((a, b) => a - b)
  const last = new Map<string, string>()
  // per truth id × track id: frames where the two overlap at minIou (for IDF1)
  const overlap = new Map<string, Map<string, number>>()
  const matchedFrames = new Map<string, number>()
  let matches = 0, misses = 0, fp = 0, idsw = 0
  for (const f of frames) {
    const ts = t.get(f) ?? [], os = o.get(f) ?? []
    for (const a of ts) for (const b of os) {
      if (iou(a, b) < minIou) continue
      const row = overlap.get(a.id) ?? new Map<string, number>()
      row.set(b.id, (row.get(b.id) ?? 0) + 1)
      overlap.set(a.id, row)
    }
    const pairs = new Map<MotBox, MotBox>()
    const usedOut = new Set<MotBox>()
    for (const a of ts) {
      const prev = last.get(a.id)
      const b = prev === undefined ? undefined : os.find((x) => x.id === prev && !usedOut.has(x))
      if (b && iou(a, b) >= minIou) { pairs.set(a, b); usedOut.add(b) }
    }
    const restT = ts.filter((a) => !pairs.has(a)), restO = os.filter((b) => !usedOut.has(b))
    const cost = new Float64Array(restT.length * restO.length)
    restT.forEach((a, r) => restO.forEach((b, c) => { const v = iou(a, b); cost[r * restO.length + c] = v >= minIou ? 1 - v : 1e6 }))
    assign(cost, restT.length, restO.length).forEach((c, r) => { if (c >= 0) pairs.set(restT[r]!, restO[c]!) })
    for (const [a, b] of pairs) {
      const prev = last.get(a.id)
      if (prev !== undefined && prev !== b.id) idsw++
      last.set(a.id, b.id)
      matchedFrames.set(a.id, (matchedFrames.get(a.id) ?? 0) + 1)
    }
    matches += pairs.size
    misses += ts.length - pairs.size
    fp += os.length - pairs.size
  }
  const truthIds = [...new Set(truth.map((b) => b.id))], trackIds = [...new Set(output.map((b) => b.id))]
  const cost = new Float64Array(truthIds.length * trackIds.length)
  truthIds.forEach((a, r) => trackIds.forEach((b, c) => { const n = overlap.get(a)?.get(b) ?? 0; cost[r * trackIds.length + c] = n > 0 ? -n : 1e6 }))
  let idtp = 0
  assign(cost, truthIds.length, trackIds.length).forEach((c, r) => { if (c >= 0) idtp += overlap.get(truthIds[r]!)?.get(trackIds[c]!) ?? 0 })
  const framesOf = (id: string) => truth.filter((b) => b.id === id).length
  const share = (id: string) => (matchedFrames.get(id) ?? 0) / Math.max(1, framesOf(id))
  const gt = truth.length
  return {
    frames: frames.length, truthBoxes: gt, truthIds: truthIds.length, trackIds: trackIds.length,
    matches, misses, falsePositives: fp, idSwitches: idsw,
    mota: gt > 0 ? 1 - (misses + fp + idsw) / gt : 0,
    idf1: gt + output.length > 0 ? (2 * idtp) / (gt + output.length) : 0,
    recall: gt > 0 ? matches / gt : 0,
    precision: output.length > 0 ? matches / output.length : 0,
    mostlyTracked: truthIds.filter((id) => share(id) >= 0.8).length,
    mostlyLost: truthIds.filter((id) => share(id) <= 0.2).length,
  }
}
