import { Writable } from 'node:stream'
import { EVENT_VERSION, IdFactory, type OkoEvent } from '@oko/core'

/** Motion events for tests, ids in order (one IdFactory per call site). */
export function eventMaker(): (cameraId: string, seq: number) => OkoEvent {
  const ids = new IdFactory()
  return (cameraId, seq) => {
    const timeMs = Date.now()
    return { id: ids.next(timeMs), v: EVENT_VERSION, type: 'motion', timeMs, cameraId, seq, ptsUs: seq * 40_000, score: 0.25, regions: [{ x: 1, y: 2, width: 3, height: 4, pixels: 5 }], zones: [] }
  }
}

/** Resolves when `done()` is true (checked every 20 ms), rejects after `timeoutMs` with `what`. */
export async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Ids in the order first seen, per camera (`data.cameraId` of CloudEvents). */
export function firstSeenByCamera(events: readonly { id: string; data: { cameraId?: string } }[]): Record<string, string[]> {
  const seen = new Set<string>()
  const out: Record<string, string[]> = {}
  for (const e of events) {
    if (seen.has(e.id)) continue
    seen.add(e.id)
    ;(out[e.data.cameraId ?? ''] ??= []).push(e.id)
  }
  return out
}

/** A writable stream that keeps what is written to it in `chunks` (an output's bytes). */
export function bytesSink(chunks: Uint8Array[]): NodeJS.WritableStream {
  return new Writable({ write(chunk: Buffer, _enc, done) { chunks.push(chunk); done() } })
}
