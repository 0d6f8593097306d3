import { OkoError, defineStage, optionalNumber, type Envelope, type MotionEvent, type Stage, type StageContext, type TamperEvent } from '@oko/core'
import { KernelModule } from '@oko/wasm'
import { MotionDetector, type MotionResult } from './detector.js'
import { resolveMotionOptions, type MotionOptions } from './options.js'

export interface MotionStageOptions extends MotionOptions {
  /** While motion goes on, at most one `motion` event per this many ms of stream time. Default 1000. */
  readonly eventIntervalMs?: number
}

interface CameraState {
  detector: MotionDetector
  lastEventUs: number
  moving: boolean
}

/**
 * The motion gate: one detector per camera (by `ctx.cameraId`), fed the frame's luma plane.
 * Envelopes with motion pass on with `motion` set (its regions in frame pixels); still frames stop
 * here (`undefined`). Emits `motion` events (at motion start, then at most every
 * `eventIntervalMs`) and `tamper` events (start and clear). Options are checked and the WASM
 * kernels loaded when the stage is made (a missing build fails here, not on every frame).
 */
export async function motionStage(options: MotionStageOptions = {}): Promise<Stage> {
  const resolved = resolveMotionOptions(options, 'options', ['eventIntervalMs'])
  const intervalUs = optionalNumber('options.eventIntervalMs', options.eventIntervalMs, 1000, { min: 0, max: 3_600_000 }) * 1000
  const { eventIntervalMs: _interval, ...detectorOptions } = options
  const module: KernelModule = resolved.module ?? (await KernelModule.load())
  const cameras = new Map<string, CameraState>()
  const pending = new Map<string, Promise<CameraState>>()
  let closed = false

  const open = (cameraId: string): Promise<CameraState> => {
    let p = pending.get(cameraId)
    if (!p) {
      p = Promise.resolve(module).then(async (m) => {
        const state = { detector: await MotionDetector.create({ ...detectorOptions, module: m }), lastEventUs: -Infinity, moving: false }
        cameras.set(cameraId, state)
        pending.delete(cameraId)
        return state
      })
      pending.set(cameraId, p)
    }
    return p
  }

  const run = (state: CameraState, envelope: Envelope, ctx: StageContext): Envelope | undefined => {
    const frame = envelope.frame
    const result = state.detector.detectFrame(frame)
    for (const c of result.tamperChanges) {
      ctx.emit<TamperEvent>({ type: 'tamper', cameraId: ctx.cameraId, seq: frame.seq, ptsUs: frame.ptsUs, reason: c.reason, active: c.active, ...(c.detail !== undefined ? { detail: c.detail } : {}) })
    }
    if (!result.motion) {
      state.moving = false
      return undefined
    }
    if (!state.moving || frame.ptsUs - state.lastEventUs >= intervalUs) {
      ctx.emit<MotionEvent>({ type: 'motion', cameraId: ctx.cameraId, seq: frame.seq, ptsUs: frame.ptsUs, score: result.score, regions: result.regions, zones: result.zones })
      state.lastEventUs = frame.ptsUs
    }
    state.moving = true
    envelope.motion = result
    return envelope
  }

  return defineStage({
    name: 'motion',
    process(envelope, ctx) {
      if (closed) throw new OkoError('ERR_CLOSED', 'motion stage is closed')
      const frame = envelope.frame
      const state = cameras.get(ctx.cameraId)
      const size = state?.detector.frameSize
      if (state && size && (size.width !== frame.width || size.height !== frame.height)) {
        // the camera changed resolution: start a new detector for it
        cameras.delete(ctx.cameraId)
        return state.detector.close().then(() => open(ctx.cameraId)).then((s) => run(s, envelope, ctx))
      }
      if (state) return run(state, envelope, ctx)
      return open(ctx.cameraId).then((s) => run(s, envelope, ctx))
    },
    /** The camera is done: its detector's memory goes. */
    async flush(ctx) {
      const state = cameras.get(ctx.cameraId) ?? (await pending.get(ctx.cameraId))
      cameras.delete(ctx.cameraId)
      pending.delete(ctx.cameraId)
      await state?.detector.close()
    },
    async close() {
      closed = true
      await Promise.allSettled(pending.values())
      await Promise.all([...cameras.values()].map((s) => s.detector.close()))
      cameras.clear()
    },
  })
}
