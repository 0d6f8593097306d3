import type { MotionEvent, Rect } from '@oko/core'
import type { SampleClip } from '@oko/samples'

export interface TruthCheck {
  readonly cameraId: string
  /** Objects of the clip and whether a motion event covered them. */
  readonly objects: readonly { readonly id: string; readonly found: boolean }[]
  /** Motion events in frames where nothing moved (lighting change, rain, noise). */
  readonly falseEvents: number
  readonly ok: boolean
}

/** Compares a camera's motion events with the clip's ground truth. */
export function checkAgainstTruth(cameraId: string, clip: SampleClip, events: readonly MotionEvent[]): TruthCheck {
  const { fps } = clip.scene
  const found = new Set<string>()
  let falseEvents = 0
  for (const event of events) {
    const truth = clip.truth[Math.round((event.ptsUs * fps) / 1e6)]
    if (!truth) continue
    const hits = truth.objects.filter((o) => event.regions.some((r) => overlaps(r, grow(o.box, 4))))
    for (const hit of hits) found.add(hit.id)
    if (truth.objects.length === 0) falseEvents++
  }
  const objects = clip.scene.objects.map((o) => ({ id: o.id, found: found.has(o.id) }))
  return { cameraId, objects, falseEvents, ok: falseEvents === 0 && objects.every((o) => o.found) }
}

function grow(r: Rect, by: number): Rect {
  return { x: r.x - by, y: r.y - by, width: r.width + 2 * by, height: r.height + 2 * by }
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
}
