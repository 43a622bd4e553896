// One error type for the whole project: a stable machine-readable code plus a message that says
// what happened and, where possible, what to do next.

export type ErrorCode =
  | 'CORRUPT_MESSAGE'
  | 'INVALID_RECORD'
  | 'INVALID_ARGUMENT'
  | 'OFFSET_OUT_OF_RANGE'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'TOPIC_ALREADY_EXISTS'
  | 'INVALID_TOPIC'
  | 'INVALID_CONFIG'
  | 'RECORD_TOO_LARGE'
  | 'DATA_DIR_LOCKED'
  | 'STORAGE_ERROR'
  | 'CLOSED'
  | 'OUT_OF_ORDER_SEQUENCE'
  | 'INVALID_PRODUCER_EPOCH'

export class RiffleError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RiffleError'
    this.code = code
  }
}

export function isRiffleError(e: unknown, code?: ErrorCode): e is RiffleError {
  return e instanceof RiffleError && (code === undefined || e.code === code)
}
