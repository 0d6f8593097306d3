import { OkoError, checkBoolean, checkObject, defineStage, heldPart, pointInPolygon, type EventInit, type Frame, type FrameRef, type Point, type Rect, type Stage, type StageContext } from '@oko/core'
import { frameToImage } from '@oko/imaging'
import { snapshotOf } from '@oko/imaging/jpeg'
import { RuleEngine } from './engine.js'
import type { RuleEvent } from './events.js'
import type { LampReader, RuleClock } from './evaluator.js'
import type { RulesOptions } from './options.js'

export interface RulesStageOptions extends RulesOptions {
  /** Events about an object carry a JPEG of it (with a margin) from the frame the rule fired in. Default true. */
  readonly snapshots?: boolean
}

/** The rules stage, with its engine (`setLight` for external light inputs, `counts` for line rules). */
export interface RulesStage extends Stage {
  readonly engine: RuleEngine
}

/**
 * Evaluates rules on `envelope.tracks` (put a tracking stage before it; one rules stage per
 * camera: make it with a factory) and emits `rule` events. Frames the gate stopped (`tick`) move
 * stream time on: count intervals close. A stop line's lamp is read on the frames that reach it.
 */
export function rulesStage(options: RulesStageOptions): RulesStage {
  const { snapshots: snap, ...rest } = checkObject('options', options) as unknown as RulesStageOptions
  const snapshots = checkBoolean('options.snapshots', snap, true)
  const engine = new RuleEngine(rest)
  let camera: string | undefined
  let last: RuleClock | undefined

  const emitAll = (ctx: StageContext, events: EventInit<RuleEvent>[], frame?: Frame): void => {
    for (const e of events) {
      if (frame && snapshots && 'box' in e && !('snapshot' in e)) {
        const shot = snapshotAround(frame, e.box)
        ctx.emit<RuleEvent>(shot ? { ...e, snapshot: shot } : e)
      } else ctx.emit<RuleEvent>(e)
    }
  }
  const checkCamera = (ctx: StageContext): void => {
    if (camera !== undefined && camera !== ctx.cameraId) {
      throw new OkoError('ERR_INVALID_INPUT', `rulesStage: this stage evaluates camera "${camera}" and received a frame of "${ctx.cameraId}"; give each camera its own: .pipe(() => rulesStage(options))`)
    }
    camera = ctx.cameraId
  }

  const stage = defineStage({
    name: 'rules',
    // a stop line's lamp is read on every frame, and a rule event's snapshot from its frame
    readsPixels: () => true,
    process(envelope, ctx) {
      checkCamera(ctx)
      const { frame } = envelope
      const clock: RuleClock = { cameraId: ctx.cameraId, seq: frame.seq, ptsUs: frame.ptsUs, wallMs: frame.wallMs, width: frame.width, height: frame.height }
      last = clock
      emitAll(ctx, engine.update(envelope.tracks, clock, lampReader(frame)), frame)
      return envelope
    },
    tick(ref: FrameRef, ctx) {
      if (!last) return
      last = { ...last, seq: ref.seq, ptsUs: ref.ptsUs, wallMs: ref.wallMs }
      emitAll(ctx, engine.tick(last))
    },
    flush(ctx) {
      if (last) emitAll(ctx, engine.flush(last))
      last = undefined
      camera = undefined
    },
  })
  return Object.assign(stage, { engine })
}

/** A JPEG of a box with a 10% margin, where the frame holds its pixels. */
function snapshotAround(frame: Frame, box: Rect) {
  const mx = box.width * 0.1, my = box.height * 0.1
  const region = heldPart(frame, { x: box.x - mx, y: box.y - my, width: box.width + 2 * mx, height: box.height + 2 * my })
  if (!region || region.width < 2 || region.height < 2) return undefined
  try {
    return snapshotOf(frame, region)
  } catch {
    return undefined // a region the frame cannot give (odd crops): the event goes without
  }
}

/** Reads a lamp polygon's bright pixels from the frame: their mean RGB and the share of the polygon's box they cover. */
function lampReader(frame: Frame): LampReader {
  return (lamp: readonly Point[], minBrightness: number) => {
    const xs = lamp.map((p) => p.x), ys = lamp.map((p) => p.y)
    const x0 = Math.floor(Math.min(...xs)), y0 = Math.floor(Math.min(...ys))
    const rect = { x: x0, y: y0, width: Math.ceil(Math.max(...xs)) - x0, height: Math.ceil(Math.max(...ys)) - y0 }
    const held = heldPart(frame, rect)
    if (!held || held.width < 1 || held.height < 1) return undefined
    let image
    try {
      image = frameToImage(frame, held)
    } catch {
      return undefined
    }
    if (image.format !== 'rgb24' && image.format !== 'bgr24') return undefined
    const [ri, bi] = image.format === 'rgb24' ? [0, 2] : [2, 0]
    let r = 0, g = 0, b = 0, lit = 0, all = 0
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) {
        if (!pointInPolygon({ x: held.x + x + 0.5, y: held.y + y + 0.5 }, lamp)) continue
        all++
        const i = (y * image.width + x) * 3
        const pr = image.data[i + ri]!, pg = image.data[i + 1]!, pb = image.data[i + bi]!
        if (Math.max(pr, pg, pb) < minBrightness) continue
        r += pr; g += pg; b += pb; lit++
      }
    }
    return lit === 0 ? { r: 0, g: 0, b: 0, lit: 0 } : { r: r / lit, g: g / lit, b: b / lit, lit: lit / all }
  }
}
