import type { RunStats, RunSummary } from '@oko/pipeline'

/** The run summary as a few lines of text (stderr). */
export function formatSummary(s: RunSummary, failedCameras: readonly string[] = []): string {
  const drops = Object.entries(s.dropped).map(([edge, counts]) => `${edge} ${Object.entries(counts).map(([r, n]) => `${r}=${n}`).join(' ')}`)
  const lines = [
    `${s.aborted ? 'stopped' : 'done'} after ${(s.elapsedMs / 1000).toFixed(1)} s: ${Object.keys(s.cameras).length} camera(s), ${s.framesIn} frames in, ${s.gated} gated, ${s.inferred} inferred, ${s.outputs} passed every stage, ${s.events} events, ${s.errors} errors`,
    `dropped: ${s.droppedTotal}${drops.length ? ` (${drops.join('; ')})` : ''}`,
    `latency ms: p50 ${s.latencyMs.p50} p95 ${s.latencyMs.p95} p99 ${s.latencyMs.p99}`,
  ]
  for (const [id, c] of Object.entries(s.cameras)) lines.push(`  ${id}: ${c.framesIn} frames, ${c.gated} gated, ${c.errors} errors`)
  for (const id of failedCameras) lines.push(`  ${id}: could not be opened (see its error event)`)
  return `${lines.join('\n')}\n`
}

/** One line of live stats (`oko run --stats`). */
export function formatStatsLine(s: RunStats): string {
  return `[${(s.elapsedMs / 1000).toFixed(0)} s] ${s.framesIn} frames in, ${s.gated} gated, ${s.inferred} inferred, ${s.droppedTotal} dropped, ${s.queued} queued, ${s.inFlight} in flight, ${s.events} events, latency p95 ${s.latencyMs.p95} ms\n`
}
