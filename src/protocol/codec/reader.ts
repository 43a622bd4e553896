// A cursor over one received frame. Generated decoders call one method per field, passing the
// field's schema path as a constant string: it costs nothing on the happy path and lets every bounds
// failure name the field. Every length read from the wire is checked against the bytes that remain
// before anything is allocated or looped over, so hostile input can neither allocate huge arrays nor
// spin. Byte fields (including `records`) are zero-copy views into the frame: keep the frame alive as
// long as those views are used, and do not reuse its memory.

import { ProtocolDecodeError } from './errors.ts'

/** The all-zero UUID, Kafka's "no id" value and the default of every uuid field. */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

export class Reader {
  readonly buf: Buffer
  /** Position of the next byte to read. Generated code moves it directly when skipping tagged fields. */
  offset: number
  /** Exclusive end of the readable region. */
  readonly end: number

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    this.buf = buf
    this.offset = offset
    this.end = end
  }

  get remaining(): number {
    return this.end - this.offset
  }

  private need(n: number, field: string): void {
    if (this.end - this.offset < n) {
      throw new ProtocolDecodeError(
        field,
        this.offset,
        `truncated: needs ${n} byte(s), ${this.end - this.offset} left`,
      )
    }
  }

  private fail(field: string, at: number, problem: string): never {
    throw new ProtocolDecodeError(field, at, problem)
  }

  bool(field: string): boolean {
    this.need(1, field)
    return this.buf[this.offset++] !== 0
  }

  int8(field: string): number {
    this.need(1, field)
    const v = this.buf.readInt8(this.offset)
    this.offset += 1
    return v
  }

  int16(field: string): number {
    this.need(2, field)
    const v = this.buf.readInt16BE(this.offset)
    this.offset += 2
    return v
  }

  uint16(field: string): number {
    this.need(2, field)
    const v = this.buf.readUInt16BE(this.offset)
    this.offset += 2
    return v
  }

  int32(field: string): number {
    this.need(4, field)
    const v = this.buf.readInt32BE(this.offset)
    this.offset += 4
    return v
  }

  uint32(field: string): number {
    this.need(4, field)
    const v = this.buf.readUInt32BE(this.offset)
    this.offset += 4
    return v
  }

  int64(field: string): bigint {
    this.need(8, field)
    const v = this.buf.readBigInt64BE(this.offset)
    this.offset += 8
    return v
  }

  float64(field: string): number {
    this.need(8, field)
    const v = this.buf.readDoubleBE(this.offset)
    this.offset += 8
    return v
  }

  /** A UUID as its canonical lowercase 8-4-4-4-12 hex text. */
  uuid(field: string): string {
    this.need(16, field)
    const o = this.offset
    const hex = this.buf.toString('hex', o, o + 16)
    this.offset = o + 16
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }

  /** Unsigned LEB128 varint of at most 5 bytes (Kafka's compact lengths, tags and counts). */
  uvarint(field: string): number {
    const start = this.offset
    let value = 0
    let scale = 1
    for (let i = 0; i < 5; i++) {
      if (this.offset >= this.end) this.fail(field, start, 'truncated varint')
      const b = this.buf[this.offset++]!
      value += (b & 0x7f) * scale
      if ((b & 0x80) === 0) {
        if (value > 0xffffffff) this.fail(field, start, 'varint exceeds 32 bits')
        return value
      }
      scale *= 128
    }
    return this.fail(field, start, 'varint longer than 5 bytes')
  }

  /** Signed zig-zag varint (32-bit). */
  varint(field: string): number {
    const raw = this.uvarint(field)
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2
  }

  /** Signed zig-zag varlong (64-bit, at most 10 bytes). */
  varlong(field: string): bigint {
    const start = this.offset
    let raw = 0n
    let shift = 0n
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) this.fail(field, start, 'truncated varlong')
      const b = this.buf[this.offset++]!
      raw |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return (raw >> 1n) ^ -(raw & 1n)
      shift += 7n
    }
    return this.fail(field, start, 'varlong longer than 10 bytes')
  }

  private utf8(len: number, field: string): string {
    this.need(len, field)
    const o = this.offset
    this.offset = o + len
    return this.buf.toString('utf8', o, o + len)
  }

  private slice(len: number, field: string): Buffer {
    this.need(len, field)
    const o = this.offset
    this.offset = o + len
    return this.buf.subarray(o, o + len)
  }

  /** int16 length + UTF-8. */
  string(field: string): string {
    const at = this.offset
    const len = this.int16(field)
    if (len < 0) this.fail(field, at, `null (length ${len}) in a non-nullable string`)
    return this.utf8(len, field)
  }

  nullableString(field: string): string | null {
    const at = this.offset
    const len = this.int16(field)
    if (len === -1) return null
    if (len < 0) this.fail(field, at, `invalid string length ${len}`)
    return this.utf8(len, field)
  }

  /** Unsigned varint of length + 1, then UTF-8. */
  compactString(field: string): string {
    const at = this.offset
    const n = this.uvarint(field)
    if (n === 0) this.fail(field, at, 'null in a non-nullable compact string')
    return this.utf8(n - 1, field)
  }

  compactNullableString(field: string): string | null {
    const n = this.uvarint(field)
    return n === 0 ? null : this.utf8(n - 1, field)
  }

  /** int32 length + raw bytes, as a view into the frame. */
  bytes(field: string): Buffer {
    const at = this.offset
    const len = this.int32(field)
    if (len < 0) this.fail(field, at, `null (length ${len}) in non-nullable bytes`)
    return this.slice(len, field)
  }

  nullableBytes(field: string): Buffer | null {
    const at = this.offset
    const len = this.int32(field)
    if (len === -1) return null
    if (len < 0) this.fail(field, at, `invalid bytes length ${len}`)
    return this.slice(len, field)
  }

  compactBytes(field: string): Buffer {
    const at = this.offset
    const n = this.uvarint(field)
    if (n === 0) this.fail(field, at, 'null in non-nullable compact bytes')
    return this.slice(n - 1, field)
  }

  compactNullableBytes(field: string): Buffer | null {
    const n = this.uvarint(field)
    return n === 0 ? null : this.slice(n - 1, field)
  }

  // Array counts. Every element takes at least one byte on the wire, so a count larger than what is
  // left is corrupt; rejecting it up front bounds both allocation and loop length by the frame size.

  private checkCount(count: number, field: string, at: number): number {
    if (count > this.end - this.offset) {
      this.fail(field, at, `array of ${count} element(s) cannot fit in ${this.end - this.offset} byte(s)`)
    }
    return count
  }

  /** int32 element count of a non-nullable array. */
  arrayLength(field: string): number {
    const at = this.offset
    const n = this.int32(field)
    if (n < 0) this.fail(field, at, `null (length ${n}) in a non-nullable array`)
    return this.checkCount(n, field, at)
  }

  /** int32 element count, -1 for null. */
  nullableArrayLength(field: string): number {
    const at = this.offset
    const n = this.int32(field)
    if (n === -1) return -1
    if (n < 0) this.fail(field, at, `invalid array length ${n}`)
    return this.checkCount(n, field, at)
  }

  compactArrayLength(field: string): number {
    const at = this.offset
    const n = this.uvarint(field)
    if (n === 0) this.fail(field, at, 'null in a non-nullable compact array')
    return this.checkCount(n - 1, field, at)
  }

  /** Compact element count, -1 for null. */
  compactNullableArrayLength(field: string): number {
    const at = this.offset
    const n = this.uvarint(field)
    return n === 0 ? -1 : this.checkCount(n - 1, field, at)
  }

  /** Skips `n` bytes. */
  skip(n: number, field: string): void {
    this.need(n, field)
    this.offset += n
  }

  /** Reads the tagged-field section of a struct that has no known tagged fields in this version. */
  skipTaggedFields(field: string): void {
    for (let n = this.uvarint(field); n > 0; n--) {
      this.uvarint(field)
      this.skip(this.uvarint(field), field)
    }
  }

  /**
   * Reads the size of one tagged field and returns the offset where it ends. Generated decoders read
   * the tag, call this, decode known tags, then `endTaggedField` skips whatever is left (unknown tags).
   */
  taggedFieldEnd(field: string): number {
    const at = this.offset
    const size = this.uvarint(field)
    if (size > this.end - this.offset) this.fail(field, at, `tagged field of ${size} byte(s) is truncated`)
    return this.offset + size
  }

  endTaggedField(end: number, field: string): void {
    if (this.offset > end)
      this.fail(field, end, `tagged field overran its size by ${this.offset - end} byte(s)`)
    this.offset = end
  }
}
