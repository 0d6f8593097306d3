import { Log } from 'node-av/lib'
import { AV_LOG_DEBUG, AV_LOG_ERROR, AV_LOG_FATAL, AV_LOG_INFO, AV_LOG_QUIET, AV_LOG_WARNING } from 'node-av/constants'

export type FfmpegLogLevel = 'quiet' | 'fatal' | 'error' | 'warning' | 'info' | 'debug'

const LEVELS = { quiet: AV_LOG_QUIET, fatal: AV_LOG_FATAL, error: AV_LOG_ERROR, warning: AV_LOG_WARNING, info: AV_LOG_INFO, debug: AV_LOG_DEBUG }

/**
 * Sets FFmpeg's own stderr logging for the whole process (FFmpeg keeps one level per process,
 * so this is the application's call, never the library's: oko reports problems as events).
 */
export function setFfmpegLogLevel(level: FfmpegLogLevel): void {
  Log.setLevel(LEVELS[level])
}

/**
 * Runs a synchronous FFmpeg call with warnings held back (errors still print), then restores the
 * application's level: for calls whose warnings are known to be noise.
 */
export function withoutFfmpegWarnings<T>(call: () => T): T {
  const previous = Log.getLevel()
  if (previous <= AV_LOG_ERROR) return call()
  Log.setLevel(AV_LOG_ERROR)
  try {
    return call()
  } finally {
    Log.setLevel(previous)
  }
}
