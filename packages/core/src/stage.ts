import type { DroppedEvent, ErrorEvent, EventInit, OkoEvent, SourceEvent } from './events.js'
import type { Frame } from './frame.js'
import type { Envelope } from './objects.js'

/** What a stage gets besides its input: its camera, the run's signal, and a way to emit events. */
export interface StageContext {
  readonly cameraId: string
  readonly signal: AbortSignal
  /**
   * Sends an event to the run's subscribers (bounded; overflow is counted, never silent). The run
   * gives it its `id`, `v` and `timeMs`; the event as sent is returned (to refer to it by id).
   */
  emit<E extends OkoEvent = OkoEvent>(event: EventInit<E>): E
  /** A new id, unique across cameras, processes and restarts (a ULID): for tracks and other records. */
  newId(): string
}

/**
 * One step of a pipeline, on the decode thread. `process` gets the frame's envelope and returns
 * it (enriched) to pass on, or `undefined` to stop it here (a gate). Throwing makes a non-fatal
 * `error` event for that frame.
 *
 * The envelope's frame is borrowed: valid until the promise `process` returns has settled (the
 * camera reads no further frame while an inline stage works), never after. Copy what you keep.
 */
export interface Stage extends AsyncDisposable {
  readonly name: string
  /**
   * The stage reads the whole picture (a live view, a recorder, a redacted copy for outside): a
   * worker stage before it then materialises the whole frame, not only the regions it reads.
   */
  readonly wholeFrame?: boolean
  /**
   * The stage reads some pixels of the envelopes it may get (a traffic light's lamp, a snapshot
   * around a box): a frame a worker stage before it lets pass behind the camera's queued items is
   * then copied for it instead of keeping only its info. Default: it reads none.
   */
  readsPixels?(envelope: Envelope): boolean
  process(input: Envelope, ctx: StageContext): Envelope | undefined | Promise<Envelope | undefined>
  /**
   * A frame of the camera stopped before this stage (a gate let it through no further): stream
   * time moves on. Stages that keep state over time (tracks) predict or end what has been quiet
   * long enough. Keep it cheap.
   */
  tick?(frame: FrameRef, ctx: StageContext): void
  /**
   * The camera is done (its source ended, it was removed from the run, or the run ends) and every
   * item of it has settled; events are still open: emit what is pending for the camera (open
   * tracks) and forget it. Called once per camera, before `close`.
   */
  flush?(ctx: StageContext): void | Promise<void>
  /** Releases what the stage owns (WASM memory, pools it created). Idempotent. */
  close(): Promise<void>
}

/** What a stage definition needs; `defineStage` adds an idempotent `close` and `Symbol.asyncDispose`. */
export interface StageSpec {
  readonly name: string
  readonly wholeFrame?: boolean
  readsPixels?: Stage['readsPixels']
  process: Stage['process']
  tick?: Stage['tick']
  flush?: Stage['flush']
  close?: () => void | Promise<void>
}

/** Makes a Stage from its parts (close and dispose are idempotent). */
export function defineStage(spec: StageSpec): Stage {
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => (closing ??= Promise.resolve().then(() => spec.close?.()))
  const stage: Stage = {
    name: spec.name,
    process: spec.process,
    close,
    [Symbol.asyncDispose]: close,
  }
  if (spec.wholeFrame) (stage as { wholeFrame?: boolean }).wholeFrame = true
  if (spec.readsPixels) (stage as { readsPixels?: Stage['readsPixels'] }).readsPixels = spec.readsPixels
  if (spec.tick) stage.tick = spec.tick
  if (spec.flush) stage.flush = spec.flush
  return stage
}

/** What a source reports besides frames (the run stamps their ids). */
export type SourceNotice = EventInit<SourceEvent> | EventInit<DroppedEvent> | EventInit<ErrorEvent>

export interface FrameReadOptions {
  signal?: AbortSignal
  /** Called for state changes (connecting, playing, reconnecting, stalled, ended), drops and per-frame errors. */
  onEvent?: (event: SourceNotice) => void
}

/** Counters every source keeps (the run's stats and metrics read them); @oko/source's Source has more. */
export interface SourceStats {
  /** `connecting`, `playing`, `reconnecting`… (a SourceState), or `idle` before the first read. */
  readonly state: string
  /** Frames out of the decoder. */
  readonly framesDecoded: number
  /** Frames handed to the pipeline. */
  readonly framesDelivered: number
  readonly reconnects: number
}

/** A camera or file, decoded. `frames()` yields borrowed frames: each is valid until the iterator advances. */
export interface FrameSource extends AsyncDisposable {
  readonly cameraId: string
  /** Live sources (RTSP) run in real time and drop under pressure; files block instead. */
  readonly live: boolean
  frames(options?: FrameReadOptions): AsyncIterable<Frame>
  /** Counters, where the source keeps them (@oko/source's Source does). */
  stats?(): SourceStats
  /** Stops decoding and releases native handles. Idempotent. */
  close(): Promise<void>
}

/**
 * Makes one stage per camera, for stages that keep per-camera state (a motion background, a
 * tracker). A pipeline calls it once for each camera it runs, and closes what it made when the
 * camera is done. It may be async (a stage that loads something), and fails then, not per frame.
 */
export type StageFactory = (cameraId: string) => Stage | Promise<Stage>

/** Where an item came from: the source frame that started it (plain data, safe to send). */
export interface FrameRef {
  readonly cameraId: string
  readonly seq: number
  readonly ptsUs: number
  /** Wall-clock time the frame was decoded, ms since the epoch. */
  readonly wallMs: number
}
