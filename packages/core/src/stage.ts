import type { DroppedEvent, ErrorEvent, OkoEvent, SourceEvent } from './events.js'
import type { Frame } from './frame.js'

/** What a stage gets besides its input: its camera, the run's signal, and a way to emit events. */
export interface StageContext {
  readonly cameraId: string
  readonly signal: AbortSignal
  /** Sends an event to the run's event stream (bounded; overflow is counted, never silent). */
  emit(event: OkoEvent): void
}

/**
 * One step of a pipeline. `process` returns the output to pass on, or `undefined` to stop the
 * item here (a gate). Throwing makes a non-fatal `error` event for that item.
 * Inputs that are frames are borrowed: valid only during the call.
 */
export interface Stage<I, O> {
  readonly name: string
  process(input: I, ctx: StageContext): O | undefined | Promise<O | undefined>
  /**
   * A frame of the camera stopped before this stage (a gate let it through no further): stream
   * time moves on. Stages that keep state over time (plate tracks) end what has been quiet long
   * enough. Called by the pipeline for inline stages; keep it cheap.
   */
  tick?(frame: FrameRef, ctx: StageContext): void
  /**
   * Every frame of the run has been processed and events are still open: emit what is pending
   * for the camera (open tracks). Called by the pipeline once per camera, before `close`.
   */
  flush?(ctx: StageContext): void | Promise<void>
  /** Releases what the stage owns (WASM memory, pools it created). Idempotent. */
  close?(): Promise<void>
}

/** What a source reports besides frames. */
export type SourceNotice = SourceEvent | DroppedEvent | ErrorEvent

export interface FrameReadOptions {
  signal?: AbortSignal
  /** Called for state changes (connecting, playing, reconnecting, stalled, ended), drops and per-frame errors. */
  onEvent?: (event: SourceNotice) => void
}

/** A camera or file, decoded. `frames()` yields borrowed frames: each is valid until the iterator advances. */
export interface FrameSource extends AsyncDisposable {
  readonly cameraId: string
  /** Live sources (RTSP) run in real time and drop under pressure; files block instead. */
  readonly live: boolean
  frames(options?: FrameReadOptions): AsyncIterable<Frame>
  /** Stops decoding and releases native handles. Idempotent. */
  close(): Promise<void>
}

/**
 * Makes one stage per camera, for stages that keep per-camera state (a motion background, a
 * tracker). A pipeline over N cameras calls it N times and closes what it made.
 */
export type StageFactory<I, O> = (cameraId: string) => Stage<I, O>

/** Where an item came from: the source frame that started it (plain data, safe to send). */
export interface FrameRef {
  readonly cameraId: string
  readonly seq: number
  readonly ptsUs: number
  /** Wall-clock time the frame was decoded, ms since the epoch. */
  readonly wallMs: number
}
