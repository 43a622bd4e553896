// Serdes between record values (and keys) and the bytes of Kafka records, files and stdout. A value
// that cannot be decoded raises RecordFormatError, which the runtime turns into the pipeline's
// bad-record policy; a value that cannot be encoded is a bug in the pipeline and stops it.
import { RiffleError } from '../../core/errors.ts'
import type { Key } from '../model/record.ts'
import type { Format, KeyFormat } from '../runtime/job.ts'
import { toPlain } from '../serde/plain.ts'

/** A record whose bytes do not match the source's format. `origin` says where it came from. */
export class RecordFormatError extends RiffleError {
  readonly format: Format | 'exchange'
  readonly origin: string

  constructor(format: Format | 'exchange', origin: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_RECORD', `${origin}: not ${format}: ${message}`, options)
    this.name = 'RecordFormatError'
    this.format = format
    this.origin = origin
  }
}

export function isRecordFormatError(e: unknown): e is RecordFormatError {
  return e instanceof RecordFormatError
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/** Decodes a record value. A null value (a tombstone) decodes to null in every format. */
export function decodeValue(format: Format, bytes: Buffer | null, origin: string): unknown {
  if (bytes === null) return null
  switch (format) {
    case 'bytes':
      return bytes
    case 'string':
      try {
        return decoder.decode(bytes)
      } catch (e) {
        throw new RecordFormatError(format, origin, 'invalid UTF-8', { cause: e })
      }
    case 'json': {
      let text: string
      try {
        text = decoder.decode(bytes)
      } catch (e) {
        throw new RecordFormatError(format, origin, 'invalid UTF-8', { cause: e })
      }
      try {
        return JSON.parse(text)
      } catch (e) {
        throw new RecordFormatError(format, origin, (e as Error).message, { cause: e })
      }
    }
  }
}

function encodeError(format: string, value: unknown, hint = ''): RiffleError {
  const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`
  return new RiffleError('INVALID_ARGUMENT', `cannot write ${what} as ${format}${hint && `: ${hint}`}`)
}

/** Encodes a record value; undefined and null become a null value (a tombstone). */
export function encodeValue(format: Format, value: unknown): Buffer | null {
  if (value === null || value === undefined) return null
  switch (format) {
    case 'bytes':
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
      if (typeof value === 'string') return Buffer.from(value, 'utf8')
      throw encodeError('bytes', value, 'give a Buffer, Uint8Array or string')
    case 'string':
      if (typeof value === 'string') return Buffer.from(value, 'utf8')
      if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
        return Buffer.from(String(value), 'utf8')
      throw encodeError('string', value, "map it to a string first, or use format 'json'")
    case 'json':
      return Buffer.from(jsonText(value), 'utf8')
  }
}

/** JSON text of a value; bigints are written as numbers (exact digits), Buffers as base64 strings. */
export function jsonText(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return { $bigint: v.toString() }
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v).toString('base64')
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && 'data' in v)
      return Buffer.from((v as { data: number[] }).data).toString('base64')
    return v
  })
  if (text === undefined) throw encodeError('json', value)
  return text.replace(/\{"\$bigint":"(-?\d+)"\}/g, '$1')
}

/** Encodes a record key (undefined: no key). */
export function encodeKey(format: KeyFormat, key: Key | undefined): Buffer | null {
  if (key === undefined) return null
  if (format !== 'auto') return encodeValue(format, key)
  if (key instanceof Uint8Array) return Buffer.from(key.buffer, key.byteOffset, key.byteLength)
  if (typeof key === 'string') return Buffer.from(key, 'utf8')
  if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean')
    return Buffer.from(String(key), 'utf8')
  return Buffer.from(JSON.stringify(toPlain(key)), 'utf8')
}

/** A value as one line of text (stdout, JSON-lines files): no newlines inside. */
export function lineOf(format: 'json' | 'string', value: unknown): string {
  if (format === 'json') return jsonText(value === undefined ? null : value)
  const text =
    typeof value === 'string'
      ? value
      : value instanceof Uint8Array
        ? Buffer.from(value).toString('utf8')
        : String(value)
  return text.replace(/\r?\n/g, ' ')
}

/** Parses one line of a JSON-lines or text file. */
export function parseLine(format: 'json' | 'string', line: string, origin: string): unknown {
  if (format === 'string') return line
  try {
    return JSON.parse(line)
  } catch (e) {
    throw new RecordFormatError('json', origin, (e as Error).message, { cause: e })
  }
}
