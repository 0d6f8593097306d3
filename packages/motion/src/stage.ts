import { OkoError, optionalNumber, type Frame, type MotionEvent, type Stage, type StageContext, type TamperEvent } from '@oko/core'
import { KernelModule } from '@oko/wasm'
import { MotionDetector, type MotionResult } from './detector.js'
import { resolveMotionOptions, type MotionOptions } from './options.js'

/** A frame that passed the motion gate, with what the detector saw. The frame is still borrowed. */
export interface MotionFrame {
  readonly frame: Frame
  readonly motion: MotionResult
}

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
 * Frames with motion pass on as MotionFrame; still frames stop here (`undefined`). Emits `motion`
 * events (at motion start, then at most every `eventIntervalMs`) and `tamper` events (start and
 * clear). Options are validated when the stage is made.
 */
export function motionStage(options: MotionStageOptions = {}): Stage<Frame, MotionFrame> {
  const resolved = resolveMotionOptions(options, 'options', ['eventIntervalMs'])
  const intervalUs = optionalNumber('options.eventIntervalMs', options.eventIntervalMs, 1000, { min: 0, max: 3_600_000 }) * 1000
  const { eventIntervalMs: _interval, ...detectorOptions } = options
  const cameras = new Map<string, CameraState>()
  const pending = new Map<string, Promise<CameraState>>()
  let module: Promise<KernelModule> | undefined
  let closed = false

  const open = (cameraId: string): Promise<CameraState> => {
    let p = pending.get(cameraId)
    if (!p) {
      module ??= resolved.module ? Promise.resolve(resolved.module) : KernelModule.load()
      p = module.then(async (m) => {
        const state = { detector: await MotionDetector.create({ ...detectorOptions, module: m }), lastEventUs: -Infinity, moving: false }
        cameras.set(cameraId, state)
        pending.delete(cameraId)
        return state
      })
      pending.set(cameraId, p)
    }
    return p
  }

  const run = (state: CameraState, frame: Frame, ctx: StageContext): MotionFrame | undefined => {
    const result = state.detector.detectFrame(frame)
    for (const c of result.tamperChanges) {
      const event: TamperEvent = { type: 'tamper', cameraId: ctx.cameraId, seq: frame.seq, ptsUs: frame.ptsUs, timeMs: Date.now(), reason: c.reason, active: c.active, detail: c.detail }
      ctx.emit(event)
    }
    if (!result.motion) {
      state.moving = false
      return undefined
    }
    if (!state.moving || frame.ptsUs - state.lastEventUs >= intervalUs) {
      const event: MotionEvent = { type: 'motion', cameraId: ctx.cameraId, seq: frame.seq, ptsUs: frame.ptsUs, timeMs: Date.now(), score: result.score, regions: result.regions, zones: result.zones }
      ctx.emit(event)
      state.lastEventUs = frame.ptsUs
    }
    state.moving = true
    return { frame, motion: result }
  }

  return {
    name: 'motion',
    process(frame, ctx) {
      if (closed) throw new OkoError('ERR_CLOSED', 'motion stage is closed')
      const state = cameras.get(ctx.cameraId)
      const size = state?.detector.frameSize
      if (state && size && (size.width !== frame.width || size.height !== frame.height)) {
        // the camera changed resolution: start a new detector for it
        cameras.delete(ctx.cameraId)
        return state.detector.close().then(() => open(ctx.cameraId)).then((s) => run(s, frame, ctx))
      }
      if (state) return run(state, frame, ctx)
      return open(ctx.cameraId).then((s) => run(s, frame, ctx))
    },
    async close() {
      closed = true
      await Promise.allSettled(pending.values())
      await Promise.all([...cameras.values()].map((s) => s.detector.close()))
      cameras.clear()
    },
  }
}
