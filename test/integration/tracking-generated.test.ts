import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineStage, iou, type Detection, type EventOf } from '@oko/core'
import { motionStage } from '@oko/motion'
import { ObjectDetectorPool, objectStage } from '@oko/objects'
import { Pipeline } from '@oko/pipeline'
import { trackingScenes, writeSampleClip, type SampleClip, type TrackingScene } from '@oko/samples'
import { Source, setFfmpegLogLevel } from '@oko/source'
import { assign, scoreTracks, trackingStage, type MotBox } from '@oko/tracking'

// Generated scenes with known paths (@oko/samples trackingScenes), encoded to H.264 and run
// through the real chain: decode → motion → objects (the default detector on a worker thread, on
// every frame that moved, then at 5 fps) → tracking (the deployment's settings for a detector).
// Each object must be one track from its start to its end: no id switch where two walkers cross;
// the car that stops for 3 s and the walker hidden for a second behind a bus shelter keep their ids.
const scenes = trackingScenes()
const MATCH_IOU = 0.3
let dir: string
let pool: ObjectDetectorPool
const clips = new Map<string, SampleClip>()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oko-tracking-generated-'))
  setFfmpegLogLevel('quiet')
  for (const s of scenes) clips.set(s.name, writeSampleClip(join(dir, `${s.name}.mp4`), s.scene))
  pool = await ObjectDetectorPool.create({ threads: 1 })
})
afterAll(async () => {
  await pool?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

interface Followed {
  /** Per frame index: what the detector found (empty where it did not run) and the confirmed tracks. */
  readonly detections: Map<number, Detection[]>
  readonly tracks: Map<number, MotBox[]>
  readonly events: EventOf<'object'>[]
}

async function follow(clip: SampleClip, detectorFps: number): Promise<Followed> {
  const detections = new Map<number, Detection[]>()
  const tracks = new Map<number, MotBox[]>()
  const events: EventOf<'object'>[] = []
  await using source = await Source.open(clip.path, { id: 'generated' })
  const record = defineStage({
    name: 'record',
    process(envelope) {
      const i = envelope.frame.seq
      detections.set(i, [...envelope.detections])
      tracks.set(i, envelope.tracks.filter((t) => t.state === 'confirmed').map((t) => ({ frame: i + 1, id: t.id, ...t.box })))
      return envelope
    },
  })
  await using objects = await objectStage({ detector: pool, fps: detectorFps })
  await using run = Pipeline.from(source)
    .pipe(() => motionStage())
    .pipe(objects)
    .pipe(() => trackingStage({ snapshots: false, highScore: 0.4, newTrackScore: 0.45 }))
    .pipe(() => record)
    .run()
  for await (const e of run.events) if (e.type === 'object') events.push(e)
  await run.completion
  return { detections, tracks, events }
}

/** Truth boxes at least half visible, as MOT rows (frame numbers from 1). */
function truthRows(clip: SampleClip): MotBox[] {
  return clip.truth.flatMap((t) => t.objects.filter((o) => o.visible >= 0.5).map((o) => ({ frame: t.index + 1, id: o.id, ...o.box })))
}

/**
 * For each truth object: the track ids matched to it, with frame counts, by CLEAR-MOT rules (a
 * truth object keeps its previous track while their IoU stays ≥ MATCH_IOU; the rest are paired
 * one to one by the Hungarian method): two boxes on top of each other where walkers cross do not
 * count as a switch, a track that goes on with the other walker does.
 */
function tracksOf(clip: SampleClip, followed: Followed): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>()
  const last = new Map<string, string>()
  for (const t of clip.truth) {
    const truth = t.objects.filter((o) => o.visible >= 0.5)
    const found = followed.tracks.get(t.index) ?? []
    const pairs = new Map<string, MotBox>()
    for (const o of truth) {
      const b = found.find((x) => x.id === last.get(o.id))
      if (b && iou(o.box, b) >= MATCH_IOU) pairs.set(o.id, b)
    }
    const restT = truth.filter((o) => !pairs.has(o.id)), restB = found.filter((b) => ![...pairs.values()].includes(b))
    const cost = new Float64Array(restT.length * restB.length)
    restT.forEach((o, r) => restB.forEach((b, c) => { const v = iou(o.box, b); cost[r * restB.length + c] = v >= MATCH_IOU ? 1 - v : 1e6 }))
    assign(cost, restT.length, restB.length).forEach((c, r) => { if (c >= 0) pairs.set(restT[r]!.id, restB[c]!) })
    for (const [id, b] of pairs) {
      last.set(id, b.id)
      const ids = out.get(id) ?? new Map<string, number>()
      ids.set(b.id, (ids.get(b.id) ?? 0) + 1)
      out.set(id, ids)
    }
  }
  return out
}

/** Share of the truth boxes (at least half visible, whole in the frame) that a detection of the right class overlaps. */
function detectionRate(clip: SampleClip, followed: Followed, kind: string): { found: number; boxes: number } {
  let found = 0, boxes = 0
  const { width, height } = clip.scene
  for (const t of clip.truth) {
    const ds = followed.detections.get(t.index) ?? []
    for (const o of t.objects) {
      const b = o.box
      if (o.kind !== kind || o.visible < 0.5 || b.x <= 0 || b.y <= 0 || b.x + b.width >= width || b.y + b.height >= height) continue
      boxes++
      const classes = kind === 'car' ? ['car', 'truck', 'bus'] : ['person']
      if (ds.some((d) => classes.includes(d.label) && iou(d.box, b) >= MATCH_IOU)) found++
    }
  }
  return { found, boxes }
}

describe('tracking on generated scenes: decode → motion → objects → tracking', () => {
  // the detector on every frame that moved (10 fps), and at 5 fps (the tracker predicts through the frames in between)
  for (const s of scenes) for (const detectorFps of [10, 5]) {
    it(`${s.name}, detector at ${detectorFps} fps: ${s.cases.map((c) => `${c.id} ${c.event}`).join(', ')}; each is one track from start to end`, { timeout: 240_000 }, async () => {
      const clip = clips.get(s.name)!
      const followed = await follow(clip, detectorFps)
      report(s, clip, followed, detectorFps)
      const matched = tracksOf(clip, followed)
      const owner = new Map<string, string>()
      for (const c of s.cases) {
        const ids = matched.get(c.id) ?? new Map<string, number>()
        // one track (a stray match of a few frames to a neighbour's track would be an id switch too)
        expect([...ids.keys()], `${s.name}/${c.id} (${c.event}) tracks ${JSON.stringify([...ids])}`).toHaveLength(1)
        const [id] = [...ids.keys()]
        expect(owner.get(id!), `${s.name}: ${c.id} and ${owner.get(id!)} share track ${id}`).toBeUndefined()
        owner.set(id!, c.id)
        // the track starts once and ends once
        const phases = followed.events.filter((e) => e.trackId === id).map((e) => e.phase)
        expect(phases[0]).toBe('start')
        expect(phases.at(-1)).toBe('end')
        expect(phases.filter((p) => p !== 'update')).toEqual(['start', 'end'])
        // it follows the object over most of the frames it is visible in
        const visible = clip.truth.filter((t) => t.objects.some((o) => o.id === c.id && o.visible >= 0.5)).length
        expect(ids.get(id!)! / visible, `${s.name}/${c.id}: share of visible frames tracked`).toBeGreaterThan(0.6)
      }
      const metrics = scoreTracks(truthRows(clip), [...followed.tracks.values()].flat(), MATCH_IOU)
      expect(metrics.idSwitches).toBe(0)
    })
  }
})

function report(s: TrackingScene, clip: SampleClip, followed: Followed, detectorFps: number): void {
  // the share of frames in view the detector found each kind in (it ran on every frame that moved at the clip's rate)
  const rates = detectorFps < clip.scene.fps ? [] : ['car', 'person'].map((k) => {
    const r = detectionRate(clip, followed, k)
    return r.boxes > 0 ? `${k} ${r.found}/${r.boxes} (${((100 * r.found) / r.boxes).toFixed(0)}%)` : ''
  }).filter(Boolean)
  const m = scoreTracks(truthRows(clip), [...followed.tracks.values()].flat(), MATCH_IOU)
  const ids = [...tracksOf(clip, followed)].map(([o, t]) => `${o}→${[...t].map(([id, n]) => `${id.slice(-6)}×${n}`).join('+')}`)
  console.log(`tracking-generated ${s.name} @${detectorFps} fps: ${rates.length > 0 ? `detected ${rates.join(', ')}; ` : ''}MOTA ${m.mota.toFixed(3)} IDF1 ${m.idf1.toFixed(3)} ID switches ${m.idSwitches}, ` +
    `truth ids ${m.truthIds}, track ids ${m.trackIds}, recall ${m.recall.toFixed(3)} precision ${m.precision.toFixed(3)}; ${ids.join(', ')}`)
}
