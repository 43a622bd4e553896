// Errors of the wire codec. Decode failures extend RangeError (the family Node's own Buffer bounds
// errors belong to) so "bad input" stays one category for callers, but they name the schema field being
// read: a malformed frame from some client must be diagnosable from a single log line. The `code`
// values reuse the project's RiffleError codes so upper layers can map them without a lookup table.

/** Input bytes do not form a valid message: truncated, negative lengths, over-long varints, ... */
export class ProtocolDecodeError extends RangeError {
  readonly code = 'CORRUPT_MESSAGE'
  /** Schema path of the field being read, e.g. `FetchPartition.fetchOffset`. */
  readonly field: string
  /** Byte offset in the buffer where the field starts. */
  readonly offset: number

  constructor(field: string, offset: number, problem: string) {
    super(`cannot decode ${field} at offset ${offset}: ${problem}`)
    this.name = 'ProtocolDecodeError'
    this.field = field
    this.offset = offset
  }
}

/** A value handed to an encoder does not fit the wire format (null where not nullable, too long, ...). */
export class ProtocolEncodeError extends TypeError {
  readonly code = 'INVALID_ARGUMENT'
  readonly field: string

  constructor(field: string, problem: string) {
    super(`cannot encode ${field}: ${problem}`)
    this.name = 'ProtocolEncodeError'
    this.field = field
  }
}

/** A size prefix announced a frame bigger than the configured limit (or a negative size). */
export class FrameTooLargeError extends Error {
  readonly code = 'RECORD_TOO_LARGE'
  readonly size: number
  readonly maxFrameSize: number

  constructor(size: number, maxFrameSize: number) {
    super(
      size < 0
        ? `invalid frame size ${size}: the peer is not speaking the Kafka protocol`
        : `frame of ${size} bytes exceeds the maximum of ${maxFrameSize} bytes`,
    )
    this.name = 'FrameTooLargeError'
    this.size = size
    this.maxFrameSize = maxFrameSize
  }
}

/** The message/version pair has no codec. Carries what is known so a server can still answer. */
export class UnsupportedVersionError extends Error {
  readonly code = 'INVALID_ARGUMENT'
  /** Schema name, e.g. `FetchRequest`. */
  readonly messageName: string
  readonly version: number

  constructor(messageName: string, version: number) {
    super(`${messageName} version ${version} is not supported`)
    this.name = 'UnsupportedVersionError'
    this.messageName = messageName
    this.version = version
  }
}
