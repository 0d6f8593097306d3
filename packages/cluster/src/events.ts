import type { CameraEventBase } from '@oko/core'

/**
 * A camera moved between workers: frames from `fromMs` to `toMs` were analysed by nobody.
 * `worker-lost`: its worker died or was cut off (from its last reported frame to the first here);
 * `handover`: its worker gave it up (a clean release, SIGTERM or a rebalance).
 */
export interface GapEvent extends CameraEventBase {
  readonly type: 'gap'
  readonly reason: 'worker-lost' | 'handover'
  readonly fromWorker: string
  readonly toWorker: string
  readonly fromMs: number
  readonly toMs: number
  readonly gapMs: number
  /** The first frame analysed here after the gap, when known. */
  readonly seq?: number
  readonly ptsUs?: number
}

declare module '@oko/core' {
  interface OkoEventMap {
    gap: GapEvent
  }
}
