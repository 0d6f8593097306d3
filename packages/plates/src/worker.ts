import { serializeError, type SerializedError } from '@oko/core'
import { workerData } from 'piscina'
import { PlateEngine, type PlateReading, type ReadOptions } from './engine.js'
import type { PlateImage } from './image.js'
import type { ResolvedReaderOptions } from './options.js'

/** Main thread → worker. */
export type PlateTask = { kind: 'ready' } | { kind: 'read'; image: PlateImage; options: ReadOptions }

/** Worker → main thread. Errors travel serialized so their `code` survives the hop. */
export type PlateReply = { ok: true; plates: PlateReading[] } | { ok: false; error: SerializedError; stage: 'init' | 'read' }

/**
 * Worker-thread entry of PlateReader (built to dist/worker.js). One PlateEngine per thread,
 * created when the thread starts; a failed load is reported on every task, never a crash.
 */
const engine: Promise<PlateEngine> = PlateEngine.create((workerData as { options: ResolvedReaderOptions }).options)
engine.catch(() => {})

export default async function run(task: PlateTask): Promise<PlateReply> {
  let e: PlateEngine
  try {
    e = await engine
  } catch (error) {
    return { ok: false, error: serializeError(error), stage: 'init' }
  }
  if (task.kind === 'ready') return { ok: true, plates: [] }
  try {
    return { ok: true, plates: await e.read(task.image, task.options) }
  } catch (error) {
    return { ok: false, error: serializeError(error), stage: 'read' }
  }
}
