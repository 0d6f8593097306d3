import type { MotionEvent, OkoEvent, Rect } from '@oko/core'
import { overlaps } from '@oko/core'
import type { PlateEvent } from '@oko/plates'
import type { RuleEvent } from '@oko/rules'
import type { CityScene, SampleClip } from '@oko/samples'
import type { ObjectEvent } from '@oko/tracking'

/** One check of a camera's events against its scene's truth. */
export interface Check {
  readonly name: 'motion' | 'objects' | 'plates' | 'rules'
  readonly ok: boolean
  /** What was found and what the truth says, one short phrase per item. */
  readonly found: readonly string[]
}

export interface TruthCheck {
  readonly cameraId: string
  /** Objects of the clip and whether a motion event covered them. */
  readonly objects: readonly { readonly id: string; readonly found: boolean }[]
  /** Motion events in frames where nothing moved (lighting change, rain, noise). */
  readonly falseEvents: number
  readonly checks: readonly Check[]
  /** Per truth object, the tracks that were it (by box overlap), their classes and colours. */
  readonly tracks: Readonly<Record<string, readonly { readonly trackId: string; readonly class: string; readonly colour?: string }[]>>
  /** Tracks that were nothing of the truth. */
  readonly falseTracks: number
  /** Plate events on the crossing: the truth object of the track each was read on (undefined: none), and its text. */
  readonly plates?: readonly { readonly vehicle?: string; readonly text: string }[]
  /** Rule events on the crossing, as the truth objects they were about. */
  readonly rules?: { readonly crossings: Readonly<Record<'a-b' | 'b-a', readonly string[]>>; readonly redLight: readonly string[]; readonly dwell: readonly string[] }
  readonly ok: boolean
}

/** What each track of the camera was, by its boxes' overlap with the truth. */
type TrackTruth = Map<string, string>

const short = (trackId: string) => `…${trackId.slice(-6)}`

/** Compares a camera's events with the clip's ground truth: motion, and objects; plates and rules on the crossing. */
export function checkAgainstTruth(cameraId: string, clip: SampleClip, events: readonly OkoEvent[], city?: CityScene): TruthCheck {
  const motion = checkMotion(clip, events.filter((e): e is MotionEvent => e.type === 'motion'))
  const objectEvents = events.filter((e): e is ObjectEvent => e.type === 'object')
  const tracks = matchTracks(clip, objectEvents)
  const checks: Check[] = [motion.check, checkObjects(clip, objectEvents, tracks, city)]
  const last = new Map<string, ObjectEvent>()
  for (const e of objectEvents) last.set(e.trackId, e)
  const byTruth: Record<string, { trackId: string; class: string; colour?: string }[]> = {}
  for (const o of clip.scene.objects) {
    byTruth[o.id] = [...last.values()].filter((e) => tracks.get(e.trackId) === o.id).map((e) => ({
      trackId: e.trackId, class: String(e.attributes.type?.value ?? e.class), ...(e.attributes.colour ? { colour: String(e.attributes.colour.value) } : {}),
    }))
  }
  const base = { cameraId, objects: motion.objects, falseEvents: motion.falseEvents, checks, tracks: byTruth, falseTracks: [...last.keys()].filter((id) => !tracks.has(id)).length }
  if (!city) return { ...base, ok: checks.every((c) => c.ok) }
  const plateEvents = events.filter((e): e is PlateEvent => e.type === 'plate')
  const ruleEvents = events.filter((e): e is RuleEvent => e.type === 'rule')
  checks.push(checkPlates(city, plateEvents, tracks), checkRules(city, ruleEvents, tracks))
  const of = (trackId: string) => tracks.get(trackId) ?? '?'
  const rules = {
    crossings: {
      'a-b': ruleEvents.flatMap((e) => (e.kind === 'line' && e.direction === 'a-b' ? [of(e.trackId)] : [])),
      'b-a': ruleEvents.flatMap((e) => (e.kind === 'line' && e.direction === 'b-a' ? [of(e.trackId)] : [])),
    },
    redLight: ruleEvents.flatMap((e) => (e.kind === 'red-light' ? [of(e.trackId)] : [])),
    dwell: ruleEvents.flatMap((e) => (e.kind === 'dwell' ? [of(e.trackId)] : [])),
  }
  const plates = plateEvents.map((e) => ({ ...(e.objectId && tracks.has(e.objectId) ? { vehicle: tracks.get(e.objectId)! } : {}), text: e.text }))
  return { ...base, plates, rules, ok: checks.every((c) => c.ok) }
}

function checkMotion(clip: SampleClip, events: readonly MotionEvent[]): { objects: { id: string; found: boolean }[]; falseEvents: number; check: Check } {
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
  const seen = objects.filter((o) => o.found).length
  const missed = objects.filter((o) => !o.found).map((o) => `${o.id} MISSED`)
  return {
    objects, falseEvents,
    check: { name: 'motion', ok: falseEvents === 0 && missed.length === 0, found: [`${seen} of ${objects.length} objects seen moving`, ...missed, `${falseEvents} motion events while nothing moved (truth 0)`] },
  }
}

/** Each track is the truth object its boxes overlap most often (IoU ≥ 0.3); a track that overlaps none is false. */
function matchTracks(clip: SampleClip, events: readonly ObjectEvent[]): TrackTruth {
  const votes = new Map<string, Map<string, number>>()
  for (const e of events) {
    const truth = clip.truth[Math.round((e.ptsUs * clip.scene.fps) / 1e6)]
    const byTrack = votes.get(e.trackId) ?? new Map<string, number>()
    votes.set(e.trackId, byTrack)
    let best: string | undefined, bestIou = 0.3
    for (const o of truth?.objects ?? []) {
      const v = iou(e.box, o.box)
      if (v >= bestIou) { best = o.id; bestIou = v }
    }
    if (best) byTrack.set(best, (byTrack.get(best) ?? 0) + 1)
  }
  const out: TrackTruth = new Map()
  for (const [trackId, byTruth] of votes) {
    const top = [...byTruth].sort((a, b) => b[1] - a[1])[0]
    if (top) out.set(trackId, top[0])
  }
  return out
}

function checkObjects(clip: SampleClip, events: readonly ObjectEvent[], tracks: TrackTruth, city: CityScene | undefined): Check {
  const last = new Map<string, ObjectEvent>()
  for (const e of events) last.set(e.trackId, e)
  const found: string[] = []
  let ok = true
  for (const o of clip.scene.objects) {
    const mine = [...last.values()].filter((e) => tracks.get(e.trackId) === o.id)
    const want = o.kind === 'car' ? 'car' : 'person'
    const colour = city?.vehicles.find((v) => v.id === o.id)?.colour
    if (mine.length === 0) { ok = false; found.push(`${o.id} MISSED`); continue }
    const typed = mine.filter((e) => String(e.attributes.type?.value ?? e.class) === want)
    const seen = mine.map((e) => String(e.attributes.colour?.value ?? '?'))
    if (typed.length === 0) ok = false
    const fragments = mine.length > 1 ? ` in ${mine.length} tracks` : ''
    const colourText = colour ? ` ${seen.join('/')}${seen.includes(colour) || (colour === 'grey' && seen.includes('silver')) ? '' : ` (truth ${colour})`}` : ''
    found.push(`${o.id}: ${mine.map((e) => e.class).join('/')}${colourText}, track ${mine.map((e) => short(e.trackId)).join(' ')}${fragments}${typed.length ? '' : ` WRONG TYPE (truth ${want})`}`)
  }
  const falseTracks = [...last.keys()].filter((id) => !tracks.has(id))
  if (falseTracks.length) { ok = false; found.push(`${falseTracks.length} tracks of nothing in the truth`) }
  return { name: 'objects', ok, found }
}

function checkPlates(city: CityScene, events: readonly PlateEvent[], tracks: TrackTruth): Check {
  const found: string[] = []
  let ok = true
  for (const v of city.vehicles) {
    const mine = events.filter((e) => e.objectId !== undefined && tracks.get(e.objectId) === v.id)
    const right = mine.filter((e) => e.text === v.plate)
    if (right.length === 0) ok = false
    const wrong = mine.filter((e) => e.text !== v.plate).map((e) => `${e.text} WRONG`)
    found.push(`${v.id}: ${right.length ? `${v.plate} (${right[0]!.format ?? '?'}) on track ${short(right[0]!.objectId!)}` : `${v.plate} NOT READ`}${right.length > 1 ? ` ×${right.length}` : ''}${wrong.length ? ` ${wrong.join(' ')}` : ''}`)
    if (wrong.length) ok = false
  }
  const stray = events.filter((e) => e.objectId === undefined || !tracks.has(e.objectId))
  if (stray.length) { ok = false; found.push(`${stray.length} plates on no vehicle of the truth`) }
  return { name: 'plates', ok, found }
}

function checkRules(city: CityScene, events: readonly RuleEvent[], tracks: TrackTruth): Check {
  const found: string[] = []
  let ok = true
  const vehicle = (trackId: string) => city.vehicles.find((v) => v.id === tracks.get(trackId))
  // line crossings: each passing car once, in its direction (eastbound a→b)
  for (const [direction, heading] of [['a-b', 'east'], ['b-a', 'west']] as const) {
    const want = city.vehicles.filter((v) => v.heading === heading).map((v) => v.id).sort()
    const got = events.flatMap((e) => (e.kind === 'line' && e.direction === direction ? [vehicle(e.trackId)?.id ?? '?'] : [])).sort()
    const same = JSON.stringify(want) === JSON.stringify(got)
    if (!same) ok = false
    found.push(`line ${direction}: ${got.length} (truth ${want.length}${same ? '' : `: ${want.join(', ')}; found ${got.join(', ') || 'none'}`})`)
  }
  const count = events.findLast((e) => e.kind === 'count')
  if (count?.kind === 'count') {
    const totals = (d: 'a-b' | 'b-a') => Object.values(count.totals[d]).reduce((a, b) => a + b, 0)
    const want = (h: string) => city.vehicles.filter((v) => v.heading === h).length
    const same = totals('a-b') === want('east') && totals('b-a') === want('west')
    if (!same) ok = false
    found.push(`counts a-b ${JSON.stringify(count.totals['a-b'])} b-a ${JSON.stringify(count.totals['b-a'])}${same ? '' : ' WRONG'}`)
  } else { ok = false; found.push('no count event') }
  const red = events.flatMap((e) => (e.kind === 'red-light' ? [e] : []))
  const redTruth = city.vehicles.filter((v) => v.lightAtStopLine === 'red').map((v) => v.id)
  const redGot = red.map((e) => vehicle(e.trackId)?.id ?? '?')
  const redOk = JSON.stringify(redGot) === JSON.stringify(redTruth)
  if (!redOk) ok = false
  found.push(`red-light ${red.length}: ${red.map((e) => `${vehicle(e.trackId)?.id ?? '?'}${e.plate ? ` ${e.plate}` : ''}`).join(', ') || 'none'} (truth ${redTruth.join(', ') || 'none'})`)
  const dwell = events.flatMap((e) => (e.kind === 'dwell' ? [e] : []))
  const dwellTruth = city.vehicles.filter((v) => v.zoneSeconds > city.dwellSeconds).map((v) => v.id)
  const dwellGot = dwell.map((e) => vehicle(e.trackId)?.id ?? '?')
  const dwellOk = JSON.stringify(dwellGot) === JSON.stringify(dwellTruth)
  if (!dwellOk) ok = false
  const shortStops = city.vehicles.filter((v) => v.zoneSeconds > 0 && v.zoneSeconds <= city.dwellSeconds).map((v) => `${v.id} ${v.zoneSeconds} s`)
  found.push(`dwell over ${city.dwellSeconds} s ${dwell.length}: ${dwellGot.join(', ') || 'none'} (truth ${dwellTruth.join(', ') || 'none'}; not ${shortStops.join(', ')})`)
  return { name: 'rules', ok, found }
}

function iou(a: Rect, b: Rect): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x))
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y))
  return (w * h) / (a.width * a.height + b.width * b.height - w * h)
}

function grow(r: Rect, by: number): Rect {
  return { x: r.x - by, y: r.y - by, width: r.width + 2 * by, height: r.height + 2 * by }
}

