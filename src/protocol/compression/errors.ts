// The one error type this folder throws. It is a RiffleError (the project's single error type) so generic
// handlers keep working, and it carries a `reason` so the broker can pick the precise Kafka error code:
// 'unsupported' (bad codec id, e.g. UNSUPPORTED_COMPRESSION_TYPE or CORRUPT_MESSAGE), 'corrupt'
// (CORRUPT_MESSAGE) or 'too-large' (output over the caller's limit). Native codecs report failures with
// terse messages ("HeaderChecksumError"); every message here names the codec so logs are useful.
import { type ErrorCode, RiffleError } from '../../core/errors.ts'

export type CompressionFailure = 'unsupported' | 'corrupt' | 'too-large'

const CODES: Record<CompressionFailure, ErrorCode> = {
  unsupported: 'INVALID_RECORD',
  corrupt: 'CORRUPT_MESSAGE',
  'too-large': 'RECORD_TOO_LARGE',
}

export class CompressionError extends RiffleError {
  readonly reason: CompressionFailure
  /** The codec id involved (may be an unknown id for 'unsupported'). */
  readonly codec: number
  constructor(reason: CompressionFailure, codec: number, message: string, options?: { cause?: unknown }) {
    super(CODES[reason], message, options)
    this.name = 'CompressionError'
    this.reason = reason
    this.codec = codec
  }
}

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/** Name of a codec id for messages; unknown ids read as `unknown(<id>)`. */
export function codecName(codec: number): string {
  return NAMES[codec] ?? `unknown(${codec})`
}

export function corrupt(codec: number, detail: string, cause?: unknown): CompressionError {
  return new CompressionError(
    'corrupt',
    codec,
    `${codecName(codec)}: corrupt compressed data: ${detail}`,
    cause === undefined ? undefined : { cause },
  )
}

export function tooLarge(codec: number, limit: number, what = 'decompressed size'): CompressionError {
  return new CompressionError(
    'too-large',
    codec,
    `${codecName(codec)}: ${what} exceeds the limit of ${limit} bytes (maxOutputBytes)`,
  )
}

/** Turns whatever a native decoder threw into a CompressionError naming the codec. */
export function wrapNative(codec: number, e: unknown): CompressionError {
  if (e instanceof CompressionError) return e
  const msg = e instanceof Error ? e.message : String(e)
  return corrupt(codec, msg, e)
}
