import { checkArray, checkString, defineStage, optionalNumber, type Frame, type Rect, type Stage } from '@oko/core'
import { checkRedactOptions, redactFrame, type RedactOptions } from '@oko/imaging'
import { snapshotOf } from '@oko/imaging/jpeg'

/** The newest picture of a camera, as JPEG bytes (encoded once, sent to every viewer). */
export interface LivePicture {
  readonly jpeg: Uint8Array
  readonly width: number
  readonly height: number
  readonly seq: number
  /** When the frame was decoded, ms since the epoch. */
  readonly wallMs: number
}

/** A viewer of a camera's pictures (an MJPEG response): `send` returns false when it dropped the picture. */
export interface LiveViewer {
  send(picture: LivePicture): boolean
}

export interface LiveFramesOptions {
  /** Pictures per second encoded per camera while someone watches. Default 2. */
  readonly fps?: number
  /** JPEG quality in [1, 100]. Default 70. */
  readonly quality?: number
  /** Hide faces and plates in the pictures (the detections of later stages); absent: pictures as decoded. */
  readonly redact?: LiveRedactOptions
  /** Clock (tests). */
  readonly now?: () => number
}

/** What the live pictures hide, and how (`mode`, `paddingFrac`, `strength` as the redaction stage's). */
export interface LiveRedactOptions extends RedactOptions {
  /** Labels of the detections hidden. Default `['face', 'plate']`. */
  readonly labels?: readonly string[]
  /** A box stays hidden this long (ms of frame time) after a detector last found it. Default 2000. */
  readonly holdMs?: number
}

/** A box to hide, and the frame time it was last found at. */
interface HiddenBox { readonly box: Rect; readonly wallMs: number }

/** Boxes kept per camera at most (the newest win). */
const MAX_HIDDEN_BOXES = 256

/** What the hub saw of one camera, and what its viewers got. */
export interface CameraFrameStats {
  /** Frames that passed the live-view stage (every frame the camera delivered). */
  readonly frames: number
  /** Frames per second over the last few seconds. */
  readonly fps: number
  /** When the last frame was decoded, ms since the epoch (absent before the first). */
  readonly lastFrameMs?: number
  readonly width?: number
  readonly height?: number
  /** Pictures encoded (only while someone watches or asked for one). */
  readonly encoded: number
  /** Pictures handed to viewers, and those dropped because a viewer was still sending the last. */
  readonly sent: number
  readonly dropped: number
  readonly viewers: number
  /** Pictures drawn from a redacted copy of the frame (boxes hidden). */
  readonly redacted: number
}

interface CameraState {
  frames: number
  fpsWindow: number[]
  lastFrameMs: number | undefined
  width: number | undefined
  height: number | undefined
  lastEncodeMs: number
  picture: LivePicture | undefined
  encoded: number
  sent: number
  dropped: number
  viewers: Set<LiveViewer>
  hidden: HiddenBox[]
  redacted: number
  /** Someone asked for one picture (a still, an alarm snapshot) until this time. */
  wantedUntilMs: number
  waiting: ((picture: LivePicture | undefined) => void)[]
}

const FPS_WINDOW_MS = 5000

/**
 * The live pictures of a deployment's cameras. Its stage (`stage(cameraId)`, first in the
 * pipeline, before the motion gate) sees every frame: it keeps each camera's frame rate and last
 * frame time, and while someone watches, encodes a JPEG at most `fps` times a second (from the
 * borrowed frame, during the call) and hands it to every viewer. A viewer still busy with an
 * earlier picture drops the new one (counted per camera).
 */
export class LiveFrames {
  readonly fps: number
  readonly quality: number
  readonly #cameras = new Map<string, CameraState>()
  readonly #now: () => number
  readonly #redact: { labels: ReadonlySet<string>; holdMs: number; options: RedactOptions } | undefined

  constructor(options: LiveFramesOptions = {}) {
    this.fps = optionalNumber('live.fps', options.fps, 2, { min: 0.1, max: 30 })
    this.quality = optionalNumber('live.quality', options.quality, 70, { min: 1, max: 100 })
    this.#now = options.now ?? Date.now
    if (options.redact) {
      const { labels, holdMs, ...rest } = options.redact
      checkRedactOptions(rest)
      this.#redact = {
        labels: new Set(checkArray('live.redact.labels', labels, ['face', 'plate']).map((l, i) => checkString(`live.redact.labels[${i}]`, l))),
        holdMs: optionalNumber('live.redact.holdMs', holdMs, 2000, { min: 0, max: 60_000 }),
        options: rest,
      }
    }
  }

  /** Whether the pictures hide faces and plates (then `boxesStage` must run after the detectors). */
  get redacts(): boolean {
    return this.#redact !== undefined
  }

  /**
   * The stage that collects what the pictures hide (last in the pipeline, after the face and plate
   * stages): the boxes of the envelope's detections with the hidden labels. The pictures drawn
   * afterwards hide them for `holdMs`, on every frame, also those a gate stops.
   */
  readonly boxesStage = (cameraId: string): Stage => {
    const state = this.#state(cameraId)
    const redact = this.#redact
    return defineStage({
      name: 'live-redact-boxes',
      process: (input) => {
        if (!redact) return input
        for (const d of input.detections) if (redact.labels.has(d.label)) state.hidden.push({ box: { ...d.box }, wallMs: input.frame.wallMs })
        if (state.hidden.length > MAX_HIDDEN_BOXES) state.hidden.splice(0, state.hidden.length - MAX_HIDDEN_BOXES)
        return input
      },
    })
  }

  /** The live-view stage of one camera (a factory for `Pipeline.pipe`). */
  readonly stage = (cameraId: string): Stage => {
    const state = this.#state(cameraId)
    return defineStage({
      name: 'live-view',
      wholeFrame: true,
      process: (input) => {
        this.#frame(state, input.frame)
        return input
      },
      close: () => {
        for (const w of state.waiting.splice(0)) w(undefined)
      },
    })
  }

  /** Adds a viewer of a camera's pictures; the returned function removes it. */
  watch(cameraId: string, viewer: LiveViewer): () => void {
    const state = this.#state(cameraId)
    state.viewers.add(viewer)
    return () => void state.viewers.delete(viewer)
  }

  /** The newest picture when it is recent (within two picture intervals), else the next one encoded (undefined after `timeoutMs`). */
  picture(cameraId: string, timeoutMs = 2000): Promise<LivePicture | undefined> {
    const state = this.#state(cameraId)
    const now = this.#now()
    if (state.picture && now - state.picture.wallMs <= 2000 / this.fps) return Promise.resolve(state.picture)
    state.wantedUntilMs = Math.max(state.wantedUntilMs, now + timeoutMs)
    return new Promise((resolve) => {
      const done = (p: LivePicture | undefined) => {
        clearTimeout(timer)
        resolve(p)
      }
      const timer = setTimeout(() => {
        const i = state.waiting.indexOf(done)
        if (i >= 0) state.waiting.splice(i, 1)
        resolve(state.picture)
      }, timeoutMs)
      timer.unref?.()
      state.waiting.push(done)
    })
  }

  /** The newest picture encoded, however old. */
  lastPicture(cameraId: string): LivePicture | undefined {
    return this.#cameras.get(cameraId)?.picture
  }

  stats(cameraId: string): CameraFrameStats {
    const s = this.#cameras.get(cameraId)
    if (!s) return { frames: 0, fps: 0, encoded: 0, sent: 0, dropped: 0, viewers: 0, redacted: 0 }
    const now = this.#now()
    const recent = s.fpsWindow.filter((t) => now - t <= FPS_WINDOW_MS)
    const span = recent.length > 1 ? (recent[recent.length - 1]! - recent[0]!) / 1000 : 0
    return {
      frames: s.frames, fps: span > 0 ? Math.round(((recent.length - 1) / span) * 10) / 10 : 0,
      ...(s.lastFrameMs !== undefined ? { lastFrameMs: s.lastFrameMs } : {}),
      ...(s.width !== undefined ? { width: s.width, height: s.height! } : {}),
      encoded: s.encoded, sent: s.sent, dropped: s.dropped, viewers: s.viewers.size, redacted: s.redacted,
    }
  }

  #state(cameraId: string): CameraState {
    let s = this.#cameras.get(cameraId)
    if (!s) {
      s = { frames: 0, fpsWindow: [], lastFrameMs: undefined, width: undefined, height: undefined, lastEncodeMs: -Infinity, picture: undefined, encoded: 0, sent: 0, dropped: 0, viewers: new Set(), hidden: [], redacted: 0, wantedUntilMs: 0, waiting: [] }
      this.#cameras.set(cameraId, s)
    }
    return s
  }

  #frame(s: CameraState, frame: Frame): void {
    const now = this.#now()
    s.frames++
    s.lastFrameMs = frame.wallMs
    s.width = frame.width
    s.height = frame.height
    s.fpsWindow.push(now)
    while (s.fpsWindow.length > 0 && now - s.fpsWindow[0]! > FPS_WINDOW_MS) s.fpsWindow.shift()
    const wanted = s.viewers.size > 0 || s.waiting.length > 0 || now < s.wantedUntilMs
    if (!wanted || now - s.lastEncodeMs < 1000 / this.fps) return
    s.lastEncodeMs = now
    const snap = snapshotOf(this.#shown(s, frame), undefined, { quality: this.quality })
    const picture: LivePicture = { jpeg: snap.jpeg, width: snap.width, height: snap.height, seq: frame.seq, wallMs: frame.wallMs }
    s.picture = picture
    s.encoded++
    for (const w of s.waiting.splice(0)) w(picture)
    for (const viewer of s.viewers) {
      if (viewer.send(picture)) s.sent++
      else s.dropped++
    }
  }

  /** The frame to draw the picture from: a redacted copy when boxes found within `holdMs` are to be hidden. */
  #shown(s: CameraState, frame: Frame): Frame {
    if (!this.#redact) return frame
    const since = frame.wallMs - this.#redact.holdMs
    s.hidden = s.hidden.filter((h) => h.wallMs >= since)
    if (s.hidden.length === 0) return frame
    s.redacted++
    return redactFrame(frame, s.hidden.map((h) => h.box), this.#redact.options)
  }
}
