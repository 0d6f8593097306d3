/** Stable error codes. A code never changes meaning; new failures get new codes. */
export type ErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_INPUT'
  | 'ERR_FILE_NOT_FOUND'
  | 'ERR_UNSUPPORTED'
  | 'ERR_SOURCE_UNREACHABLE'
  | 'ERR_SOURCE_FAILED'
  | 'ERR_DECODE'
  | 'ERR_MODEL'
  | 'ERR_WORKER_CRASHED'
  | 'ERR_WORKER_TASK'
  | 'ERR_WASM'
  | 'ERR_ABORTED'
  | 'ERR_CLOSED'
  | 'ERR_DATA'

/** Base of every error oko throws. `code` is stable; `cause` keeps the original failure. */
export class OkoError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** An option failed validation. The message names the option path and the fix. */
export class InvalidOptionError extends OkoError {
  readonly option: string
  constructor(option: string, message: string) {
    super('ERR_INVALID_OPTION', `${option}: ${message}`)
    this.option = option
  }
}

/** The run or call was cancelled through its AbortSignal. `cause` is `signal.reason`. */
export class AbortError extends OkoError {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super('ERR_ABORTED', message, options)
  }
}

/** Plain, structured-clone-safe form of an error, for worker and process hops. */
export interface SerializedError {
  name: string
  code?: string
  message: string
  stack?: string
  cause?: SerializedError
}

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) }
  const out: SerializedError = { name: error.name, message: error.message }
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') out.code = code
  if (error.stack !== undefined) out.stack = error.stack
  if (error.cause !== undefined && depth < 4) out.cause = serializeError(error.cause, depth + 1)
  return out
}

/** Rebuilds an error from its serialized form; oko codes come back as OkoError. */
export function deserializeError(data: SerializedError): Error {
  const cause = data.cause ? deserializeError(data.cause) : undefined
  const error = isErrorCode(data.code)
    ? new OkoError(data.code, data.message, { cause })
    : new Error(data.message, { cause })
  error.name = data.name
  if (data.stack !== undefined) error.stack = data.stack
  return error
}

const ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'ERR_INVALID_OPTION', 'ERR_INVALID_INPUT', 'ERR_FILE_NOT_FOUND', 'ERR_UNSUPPORTED',
  'ERR_SOURCE_UNREACHABLE', 'ERR_SOURCE_FAILED', 'ERR_DECODE', 'ERR_MODEL',
  'ERR_WORKER_CRASHED', 'ERR_WORKER_TASK', 'ERR_WASM', 'ERR_ABORTED', 'ERR_CLOSED', 'ERR_DATA',
])

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && ERROR_CODES.has(code)
}
