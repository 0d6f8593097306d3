import { defineStage, type EventOf, type Stage } from '@oko/core'
import { motionStage } from '@oko/motion'
import { objectStage, type DetectorOptions } from '@oko/objects'
import { Pipeline, type RunSummary } from '@oko/pipeline'
import { Source } from '@oko/source'
import { trackingStage, type MotBox, type TrackingStageOptions } from '@oko/tracking'

export interface FollowOptions {
  readonly detector: DetectorOptions
  /** Detector runs per second (default 5). */
  readonly fps?: number
  /** Track the motion gate's regions (class `object`) instead of running the detector. */
  readonly fromMotion?: boolean
  readonly tracking?: TrackingStageOptions
  /** A stage after the tracker (the rules of `oko count --line`). */
  readonly after?: Stage
  readonly signal?: AbortSignal
}

export interface Followed {
  /** Confirmed tracks per frame (MOT frame numbers: the frame's seq + 1), predicted boxes included. */
  readonly boxes: MotBox[]
  /** The `end` event of every track: its class (the majority of its detections), times, attributes. */
  readonly ended: EventOf<'object'>[]
  /** The `rule` events of the stage after the tracker. */
  readonly rules: EventOf<'rule'>[]
  readonly summary: RunSummary
}

/** Runs a video or stream through motion → objects → tracking: what `oko count` and `oko eval tracks` measure. */
export async function followObjects(url: string, options: FollowOptions): Promise<Followed> {
  const boxes: MotBox[] = []
  const ended: EventOf<'object'>[] = []
  const rules: EventOf<'rule'>[] = []
  await using source = await Source.open(url, { id: 'count' })
  await using objects = options.fromMotion ? undefined : await objectStage({ detector: options.detector, fps: options.fps ?? 5 })
  const record = defineStage({
    name: 'record',
    process(envelope) {
      for (const t of envelope.tracks) {
        if (t.state === 'confirmed') boxes.push({ frame: envelope.frame.seq + 1, id: t.id, ...t.box })
      }
      return envelope
    },
  })
  const tracking: TrackingStageOptions = options.fromMotion
    ? { snapshots: false, fromMotion: true, ...options.tracking }
    : { snapshots: false, highScore: 0.4, newTrackScore: 0.45, ...options.tracking }
  let pipeline = Pipeline.from(source).pipe(() => motionStage())
  if (objects) pipeline = pipeline.pipe(objects)
  pipeline = pipeline.pipe(() => trackingStage(tracking))
  const after = options.after
  if (after) pipeline = pipeline.pipe(() => after)
  await using run = pipeline.pipe(() => record).run(options.signal ? { signal: options.signal } : {})
  for await (const e of run.events) {
    if (e.type === 'object' && e.phase === 'end') ended.push(e)
    else if (e.type === 'rule') rules.push(e)
  }
  return { boxes, ended, rules, summary: await run.completion }
}
