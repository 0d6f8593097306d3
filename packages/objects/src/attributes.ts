import { checkBoolean, checkKnownKeys, checkObject, defineStage, heldPart, optionalNumber, serializeError, type Envelope, type Frame, type Stage, type StageContext, type Track } from '@oko/core'
import { frameToImage, toRgb } from '@oko/imaging'
import { KernelModule } from '@oko/wasm'
import { ImageClassifier, type ClassifierOptions } from './classifier.js'
import { ColourKernel, VEHICLE_COLOURS } from './colour.js'
import { csvRegistry, type CsvRegistryOptions } from './csv-registry.js'
import { applyRegistry, httpRegistry, type HttpRegistryOptions, type RegistryLookup, type RegistryRecord } from './registry.js'
import { CarHeights, DEFAULT_VAN_RULE, looksLikeVan, viewOf } from './vehicle-type.js'

/** Track labels that are vehicles: they get type, colour and make/model. */
export const VEHICLE_CLASSES: ReadonlySet<string> = new Set(['car', 'van', 'bus', 'truck', 'motorcycle', 'bicycle'])

export interface AttributeStageOptions {
  /** Set `colour` (default true). */
  readonly colour?: boolean
  /** Views of a track the colour is voted over (each larger than the last). Default 3. */
  readonly colourViews?: number
  /** A make/model classifier run on each track's largest views (at most `classifierViews`), with confidence and top-k. */
  readonly makeModel?: ClassifierOptions | ImageClassifier
  /** Views of a track the classifier is run on. Default 2. */
  readonly classifierViews?: number
  /**
   * The vehicle register: once a track has a voted plate, its record fills `make`,
   * `registeredColour`, `registeredType` and `registryStatus`, and `registryMismatch` says where
   * the camera saw another colour or type (a cloned plate). Your lookup function, an HTTP
   * register (`{ url }`) or a CSV file (`{ csv }`, reloaded when it changes).
   */
  readonly registry?: RegistryLookup | HttpRegistryOptions | CsvRegistryOptions
  /** Tell vans from cars by the box's shape (aspect in the view its motion gives, height against the cars at that distance; see vehicle-type.ts). Default true. */
  readonly vans?: boolean
  /** The WASM kernel module the colour kernel runs in, shared between cameras. Default: one loaded for this stage. */
  readonly module?: KernelModule
}

export const ATTRIBUTE_STAGE_KEYS = ['colour', 'colourViews', 'makeModel', 'classifierViews', 'registry', 'vans', 'module']

interface Seen {
  colourViews: number
  colourArea: number
  votes: number[]
  classifierViews: number
  classifierArea: number
  /** Views of a `car` track judged van-shaped, and judged car-shaped. */
  vanViews: number
  carViews: number
  best?: { label: string; confidence: number; top: readonly { value: string; confidence: number }[] }
  /** The plate last looked up in the register, and its record once it came. */
  lookedUp?: string
  record?: { plate: string; found: RegistryRecord | undefined }
}

/**
 * Attributes of the tracked vehicles, a few times per track and never per frame: `type` from the
 * detector's class (car, bus, truck, motorcycle, bicycle), a `car` refined to `van` when most of
 * its views that tell are van-shaped (vehicle-type.ts: the rule and its limits), `colour` voted over the track's first
 * larger views (`unknown` on infrared and black-and-white pictures), and `make` from a user's ONNX
 * classifier on the largest views. Runs after `tracking`, on the frame the envelope holds
 * (the detector's search area). One stage per camera (a factory): it keeps per-track state.
 */
export async function vehicleAttributeStage(options: AttributeStageOptions = {}): Promise<Stage> {
  const o = checkObject('options', options)
  checkKnownKeys('options', o, ATTRIBUTE_STAGE_KEYS)
  const colour = checkBoolean('options.colour', o.colour, true)
  const colourViews = optionalNumber('options.colourViews', o.colourViews, 3, { min: 1, max: 100, integer: true })
  // the colour kernel's own instance (its memory is this camera's)
  const colourKernel = colour ? ColourKernel.create(o.module === undefined ? await KernelModule.load() : (o.module as KernelModule)) : undefined
  const classifierViews = optionalNumber('options.classifierViews', o.classifierViews, 2, { min: 1, max: 100, integer: true })
  const ownClassifier = o.makeModel !== undefined && !(o.makeModel instanceof ImageClassifier)
  const classifier = o.makeModel === undefined ? undefined : o.makeModel instanceof ImageClassifier ? o.makeModel : await ImageClassifier.open(o.makeModel as ClassifierOptions, 'options.makeModel')
  const registry = o.registry === undefined ? undefined : typeof o.registry === 'function' ? (o.registry as RegistryLookup) : registryOf(o.registry, 'options.registry')
  const seen = new Map<string, Seen>()
  const vans = checkBoolean('options.vans', o.vans, true)
  const stop = new AbortController()

  // the register is asked once per plate a track is given (its vote may change), without holding the frame
  const lookUp = (t: Track, s: Seen, ctx: StageContext): void => {
    const plate = t.attributes.plate?.value
    if (!registry || plate === undefined) return
    if (s.record?.plate === plate) applyRegistry(t, s.record.found)
    if (s.lookedUp === plate) return
    s.lookedUp = plate
    registry(plate, stop.signal).then(
      (found) => {
        s.record = { plate, found }
        if (t.attributes.plate?.value === plate) applyRegistry(t, found)
      },
      (error: unknown) => {
        if (stop.signal.aborted) return
        s.lookedUp = undefined // asked again on a later frame
        ctx.emit({ type: 'error', cameraId: ctx.cameraId, stage: 'attributes', error: serializeError(new Error(`vehicle register lookup failed: ${(error as Error).message}`)), fatal: false })
      },
    )
  }
  // heights of the cars this camera saw, by distance (the stage is one per camera)
  const carHeights = new CarHeights()

  /** `type`: the class, or `van` for a car whose views that tell are mostly van-shaped. */
  const typeOf = (t: Track, s: Seen, frame: Frame): void => {
    const edge = 2
    const b = t.box
    const whole = b.x > edge && b.y > edge && b.x + b.width < frame.width - edge && b.y + b.height < frame.height - edge
    if (vans && t.label === 'car' && whole) {
      const van = looksLikeVan(b, viewOf(b, t.velocity), carHeights.median(b, frame.height), DEFAULT_VAN_RULE)
      if (van === true) s.vanViews++
      else if (van === false) s.carViews++
      carHeights.add(b, frame.height)
    }
    const told = s.vanViews + s.carViews
    const value = t.label === 'car' && s.vanViews > s.carViews ? 'van' : t.label
    const confidence = value === 'van' ? t.score * (s.vanViews / told) : t.score
    if (t.attributes.type?.value !== value) t.attributes.type = { value, confidence, source: value === 'van' ? 'shape' : 'objects' }
  }

  const view = async (t: Track, frame: Frame): Promise<void> => {
    let s = seen.get(t.id)
    if (!s) seen.set(t.id, (s = { colourViews: 0, colourArea: 0, votes: new Array<number>(VEHICLE_COLOURS.length).fill(0), classifierViews: 0, classifierArea: 0, vanViews: 0, carViews: 0 }))
    typeOf(t, s, frame)
    const area = t.box.width * t.box.height
    const wantColour = colourKernel && s.colourViews < colourViews && area > s.colourArea * 1.2
    const wantClass = classifier && s.classifierViews < classifierViews && area > s.classifierArea * 1.2
    if (!wantColour && !wantClass) return
    const region = heldPart(frame, t.box)
    if (!region || region.width < 8 || region.height < 8) return
    const image = toRgb(frameToImage(frame, region))
    if (wantColour) {
      s.colourViews++
      s.colourArea = area
      const c = colourKernel.dominantColour(image)
      if (c.colour === 'unknown') t.attributes.colour = { value: 'unknown', confidence: 1, source: 'colour' }
      else {
        c.votes.forEach((v, i) => { s.votes[i]! += v })
        t.attributes.colour = colourAttribute(s.votes)
      }
    }
    if (wantClass) {
      s.classifierViews++
      s.classifierArea = area
      const c = await classifier.classify(image, { x: 0, y: 0, width: image.width, height: image.height })
      // the larger view decides, unless it is less sure than an earlier one
      if (!s.best || c.confidence >= s.best.confidence) s.best = c
      if (s.best.confidence >= classifier.minConfidence) {
        t.attributes.make = { value: s.best.label, confidence: s.best.confidence, source: 'classifier', alternatives: s.best.top.slice(1) }
      }
    }
  }

  return defineStage({
    name: 'attributes',
    async process(envelope: Envelope, ctx: StageContext): Promise<Envelope> {
      const { frame } = envelope
      const alive = new Set<string>()
      for (const t of envelope.tracks) {
        alive.add(t.id)
        if (!VEHICLE_CLASSES.has(t.label)) continue
        if (t.lastSeenSeq === frame.seq) await view(t, frame)
        const s = seen.get(t.id)
        if (s) lookUp(t, s, ctx)
      }
      for (const id of seen.keys()) if (!alive.has(id)) seen.delete(id)
      return envelope
    },
    flush() {
      seen.clear()
    },
    async close() {
      stop.abort()
      seen.clear()
      if (ownClassifier) await classifier?.release()
    },
  })
}

/** The lookup of a register given by its options: `{ csv }` a CSV file, otherwise HTTP (`{ url }`). */
export function registryOf(spec: unknown, path: string): RegistryLookup {
  const o = checkObject(path, spec)
  return 'csv' in o ? csvRegistry(o as unknown as CsvRegistryOptions, path) : httpRegistry(o as unknown as HttpRegistryOptions, path)
}

function colourAttribute(votes: readonly number[]): { value: string; confidence: number; source: string; alternatives: { value: string; confidence: number }[] } {
  const total = votes.reduce((a, b) => a + b, 0) || 1
  const ranked = votes.map((v, i) => ({ value: VEHICLE_COLOURS[i]!, confidence: v / total })).sort((a, b) => b.confidence - a.confidence)
  return { value: ranked[0]!.value, confidence: ranked[0]!.confidence, source: 'colour', alternatives: ranked.slice(1, 3) }
}

