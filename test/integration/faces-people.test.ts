import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineStage, type EventOf, type Rect } from '@oko/core'
import { FacePool, faceStage } from '@oko/faces'
import { motionStage } from '@oko/motion'
import { objectStage } from '@oko/objects'
import { Pipeline } from '@oko/pipeline'
import { writeStillClip } from '@oko/samples'
import { Source, decodeImage, setFfmpegLogLevel } from '@oko/source'
import { trackingStage } from '@oko/tracking'
import { evaluationDataDir } from '../helpers/data.js'

// Faces only inside people: a real group photo (five people, faces-api examples) drifts across a
// 960×540 clip; decode → motion → objects (the default detector, 2.5 fps) → tracking (the
// deployment's detector settings) → faces. With
// person tracks the face stage searches only the upper half of the people seen in each frame, and
// each face event carries the person track it lies in (`objectId`), as plates carry the vehicle's.
const data = evaluationDataDir()
if (!data) console.warn('faces-people: skipped, evaluation data not found (set OKO_DATA to the shared data folder)')

let dir: string
let clip: string
let pool: FacePool

beforeAll(async () => {
  if (!data) return
  dir = mkdtempSync(join(tmpdir(), 'oko-faces-people-'))
  setFfmpegLogLevel('quiet')
  const group = decodeImage(join(data, 'faces/groups/bbt4.jpg'), { format: 'rgb24' }) // 710×473
  clip = join(dir, 'group.mp4')
  writeStillClip(clip, [{ image: group, motion: { from: { x: 20, y: 30 }, to: { x: 230, y: 40 }, seconds: 4 } }], { size: { width: 960, height: 540 }, fps: 5, seconds: 4 })
  pool = await FacePool.create({ threads: 1 })
})
afterAll(async () => {
  await pool?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

interface Run {
  readonly faces: EventOf<'face'>[]
  readonly objects: EventOf<'object'>[]
  /** Per frame: the person tracks seen in it (box, id), as the face stage gets them. */
  readonly people: Map<number, { id: string; box: Rect }[]>
  /** Per frame: the face detections the stage added, and how many people the detector found. */
  readonly found: Map<number, Rect[]>
  readonly detectedPeople: Map<number, number>
}

async function run(within: 'auto' | 'frame'): Promise<Run> {
  const faces: EventOf<'face'>[] = [], objects: EventOf<'object'>[] = []
  const people = new Map<number, { id: string; box: Rect }[]>(), found = new Map<number, Rect[]>(), detectedPeople = new Map<number, number>()
  await using source = await Source.open(clip, { id: 'group' })
  await using detector = await objectStage({ fps: 2.5, detector: { threads: 1 } })
  const record = defineStage({
    name: 'record',
    process(envelope) {
      const seq = envelope.frame.seq
      people.set(seq, envelope.tracks.filter((t) => t.label === 'person' && t.lastSeenSeq === seq).map((t) => ({ id: t.id, box: { ...t.box } })))
      detectedPeople.set(seq, envelope.detections.filter((d) => d.label === 'person').length)
      return envelope
    },
  })
  const faceRecord = defineStage({
    name: 'record-faces',
    process(envelope) {
      found.set(envelope.frame.seq, envelope.detections.filter((d) => d.label === 'face').map((d) => d.box))
      return envelope
    },
  })
  await using r = Pipeline.from(source)
    .pipe(() => motionStage())
    .pipe(detector)
    .pipe(() => trackingStage({ snapshots: false, highScore: 0.4, newTrackScore: 0.45 }))
    .pipe(() => record)
    .pipe(await faceStage({ analysis: pool, snapshots: false, within }))
    .pipe(() => faceRecord)
    .run()
  for await (const e of r.events) {
    if (e.type === 'face') faces.push(e)
    else if (e.type === 'object') objects.push(e)
  }
  await r.completion
  return { faces, objects, people, found, detectedPeople }
}

const centre = (b: Rect) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 })
const inside = (p: { x: number; y: number }, b: Rect) => p.x >= b.x && p.x <= b.x + b.width && p.y >= b.y && p.y <= b.y + b.height

describe.skipIf(!data)('faces inside person tracks', () => {
  it('faces are searched only in the upper half of tracked people and carry their person track id', { timeout: 240_000 }, async () => {
    const people = await run('auto')
    const whole = await run('frame')
    const personTracks = new Set(people.objects.filter((e) => e.class === 'person').map((e) => e.trackId))
    const faceTracks = new Set(people.faces.map((f) => f.trackId))
    const count = (r: Run) => [...r.found.values()].reduce((n, f) => n + f.length, 0)
    console.log(`faces-people: ${personTracks.size} person tracks, ${faceTracks.size} face tracks; face detections ${count(people)} within people, ${count(whole)} in whole frames`)
    expect(personTracks.size).toBeGreaterThanOrEqual(3)
    expect(faceTracks.size).toBeGreaterThanOrEqual(2)
    const firstPerson = Math.min(...people.objects.filter((e) => e.class === 'person' && e.phase === 'start').map((e) => e.seq))
    for (const f of people.faces) {
      if (f.objectId === undefined) {
        // a face found before the tracker confirmed anyone (3 detections): searched in what moved, as a camera without a detector is
        expect(f.seq, `face track ${f.trackId}`).toBeLessThanOrEqual(firstPerson)
        continue
      }
      // a face event names the person track it lies in, a track the tracker reported
      expect(personTracks.has(f.objectId)).toBe(true)
      const person = people.people.get(f.seq)!.find((p) => p.id === f.objectId)!
      expect(person, `person ${f.objectId} seen in frame ${f.seq}`).toBeDefined()
      // within the person's upper half, widened by a quarter as the search is
      const upper = { x: person.box.x - person.box.width * 0.25, y: person.box.y - person.box.height * 0.125, width: person.box.width * 1.5, height: person.box.height * 0.75 }
      expect(inside(centre(f.box), upper)).toBe(true)
    }
    // a face track names one person: its events never change person
    for (const id of faceTracks) expect(new Set(people.faces.filter((f) => f.trackId === id && f.objectId).map((f) => f.objectId)).size).toBeLessThanOrEqual(1)
    // once people are tracked, frames where the detector found none (or did not run: 2.5 fps of 5) are not searched
    const tracking = Math.min(...[...people.people].filter(([, p]) => p.length > 0).map(([seq]) => seq))
    const unsearched = [...people.found].filter(([seq]) => seq > tracking && people.detectedPeople.get(seq) === 0)
    expect(unsearched.length).toBeGreaterThan(0)
    for (const [seq, faces] of unsearched) expect(faces, `frame ${seq}`).toEqual([])
  })
})
