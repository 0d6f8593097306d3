import type { Rect } from '@oko/core'

/**
 * Van or car by shape. COCO detectors have no van class: they call a van `car` (sometimes
 * `truck`). A van is taller than the cars around it, and taller for its length:
 * - **Height**: against the cars seen before at the same distance (the same band of the bottom
 *   edge's row, `bands` of the frame), a van's box is at least `heightRatio` × their median
 *   height (a saloon is 1.45 m high, an SUV 1.7, a panel van 1.9–2.0, a high-roof van 2.7), once
 *   `minReference` cars were seen in that band. Without that reference nothing is judged.
 * - **Aspect**, read in the view the track's motion gives, must not contradict it: seen from the
 *   side (moving across the picture) a saloon's box is about 0.32 as high as long (1.45 m over
 *   4.6 m), an SUV 0.37, a panel van 0.37–0.41 (Vito 1.9/5.1, Transit 2.0/5.0), a high-roof van
 *   0.46 (Sprinter 2.7/5.9); from the front or rear (moving up or down the picture) a saloon is
 *   about 0.8 as high as wide, an SUV or panel van about 1.0, a high-roof van 1.35. A tall box
 *   under `sideAspect` (0.36) / `endAspect` (0.9) in its view is car-shaped: a car nearer the
 *   camera than the others of its band, not a van.
 * So a van is a car box at least 1.3× as tall as the cars at its distance and not car-shaped.
 * Limits: it needs other cars seen at that distance first (5 by default); the view is guessed from
 * the direction of motion (a turning or standing car has none: the height decides alone); an
 * elevated camera sees the roofs too, which blurs both cues; a big SUV or a pickup with a canopy
 * may pass for a van, a low panel van (Caddy, Berlingo: 1.8 m) for a car; boxes cut by the frame's
 * edge are not judged. Aspect alone is not used: a car seen three-quarters from above (most CCTV)
 * has a van's aspect.
 */
export interface VanRule {
  /** Box height / width under which a car seen from the side is car-shaped (not a van). Default 0.36. */
  readonly sideAspect: number
  /** Box height / width under which a car seen from the front or rear is car-shaped. Default 0.9. */
  readonly endAspect: number
  /** Least height of a van over the median car height at the same distance. Default 1.3. */
  readonly heightRatio: number
  /** Cars seen at that distance before the height test applies. Default 5. */
  readonly minReference: number
  /** Bands of the frame's height the reference heights are kept in. Default 8. */
  readonly bands: number
  /** Least speed of the track for its direction to tell the view, box heights per second. Default 0.3. */
  readonly minSpeed: number
}

export const DEFAULT_VAN_RULE: VanRule = { sideAspect: 0.36, endAspect: 0.9, heightRatio: 1.3, minReference: 5, bands: 8, minSpeed: 0.3 }

/** How a moving vehicle is seen: from the side (it moves across), from its end (it moves up or down the picture), or unknown. */
export function viewOf(box: Rect, velocity: { x: number; y: number }, rule: VanRule = DEFAULT_VAN_RULE): 'side' | 'end' | undefined {
  const speed = Math.hypot(velocity.x, velocity.y)
  if (speed < rule.minSpeed * box.height) return undefined
  if (Math.abs(velocity.x) >= 2 * Math.abs(velocity.y)) return 'side'
  if (Math.abs(velocity.y) >= 2 * Math.abs(velocity.x)) return 'end'
  return undefined
}

/** Heights of the car boxes one camera has seen, by band of their bottom edge (where they are on the ground: their distance). */
export class CarHeights {
  readonly #bands: number[][]
  readonly #rule: VanRule

  constructor(rule: VanRule = DEFAULT_VAN_RULE) {
    this.#rule = rule
    this.#bands = Array.from({ length: rule.bands }, () => [])
  }

  add(box: Rect, frameHeight: number): void {
    const band = this.#bands[this.#band(box, frameHeight)]!
    band.push(box.height)
    if (band.length > 64) band.shift()
  }

  /** The median height of the cars seen at the distance of `box`, or undefined below `minReference` of them. */
  median(box: Rect, frameHeight: number): number | undefined {
    const band = this.#bands[this.#band(box, frameHeight)]!
    if (band.length < this.#rule.minReference) return undefined
    const sorted = [...band].sort((a, b) => a - b)
    return sorted[Math.floor(sorted.length / 2)]
  }

  #band(box: Rect, frameHeight: number): number {
    return Math.max(0, Math.min(this.#rule.bands - 1, Math.floor(((box.y + box.height) / frameHeight) * this.#rule.bands)))
  }
}

/** Whether one view of a car looks like a van: true, false, or undefined (cannot tell: no reference height at its distance yet). */
export function looksLikeVan(box: Rect, view: 'side' | 'end' | undefined, referenceHeight: number | undefined, rule: VanRule = DEFAULT_VAN_RULE): boolean | undefined {
  if (referenceHeight === undefined) return undefined
  const aspect = box.height / Math.max(1, box.width)
  const carShaped = view === 'side' ? aspect < rule.sideAspect : view === 'end' ? aspect < rule.endAspect : false
  return box.height >= rule.heightRatio * referenceHeight && !carShaped
}
