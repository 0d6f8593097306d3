import { defineWorker, type FrameMessage } from '@oko/pipeline/worker'

/** The benchmark worker: touches the frame (first byte) and optionally spins to simulate a model. */
export interface BenchJob {
  readonly frame?: FrameMessage
  /** A copied (structured clone) frame. */
  readonly pixels?: Uint8Array
  readonly spinMs?: number
}

export default defineWorker<Record<string, never>, BenchJob, number>(() => (job) => {
  if (job.spinMs) {
    const end = Date.now() + job.spinMs
    while (Date.now() < end);
  }
  if (job.frame) return new Uint8Array(job.frame.buffer, 0, 1)[0] ?? 0
  return job.pixels?.[0] ?? 0
})
