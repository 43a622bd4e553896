// A growable output buffer for encoders. It is a list of chunks rather than one buffer that doubles:
// growing never copies what was already written, and large byte payloads (record batches in Fetch
// responses) are not copied at all: the caller's Buffer becomes a chunk of its own. `toChunks()` hands
// the list to a socket (cork + write, i.e. writev) so record bytes go out without any copy;
// `toBuffer()` concatenates, which copies each byte exactly once. Primitive writes go straight into the
// current chunk with no per-field allocation. Methods of non-nullable encodings still accept null in
// their types, because a field's TS type is nullable if any version allows null; they reject it at run
// time with the field's name.

import { ProtocolEncodeError } from './errors.ts'

/** Payloads at least this big are referenced instead of copied. */
const ZERO_COPY_MIN = 1024
const MAX_CHUNK = 64 * 1024
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A reserved position for a value known only later (a frame's size prefix). */
export interface Slot {
  readonly buf: Buffer
  readonly offset: number
}

export class Writer {
  private chunks: Buffer[] = []
  private sealedLength = 0
  private cur: Buffer
  private pos = 0
  private nextChunkSize: number

  constructor(initialSize = 256) {
    this.cur = Buffer.allocUnsafe(initialSize)
    this.nextChunkSize = Math.min(initialSize * 2, MAX_CHUNK)
  }

  /** Bytes written so far. */
  get length(): number {
    return this.sealedLength + this.pos
  }

  private ensure(n: number): void {
    if (this.pos + n > this.cur.length) this.grow(n)
  }

  private seal(): void {
    if (this.pos > 0) {
      this.chunks.push(this.cur.subarray(0, this.pos))
      this.sealedLength += this.pos
      this.cur = this.cur.subarray(this.pos)
      this.pos = 0
    }
  }

  private grow(n: number): void {
    this.seal()
    this.cur = Buffer.allocUnsafe(Math.max(n, this.nextChunkSize))
    this.nextChunkSize = Math.min(this.nextChunkSize * 2, MAX_CHUNK)
  }

  bool(v: boolean): void {
    this.ensure(1)
    this.cur[this.pos++] = v ? 1 : 0
  }

  int8(v: number): void {
    this.ensure(1)
    this.pos = this.cur.writeInt8(v, this.pos)
  }

  int16(v: number): void {
    this.ensure(2)
    this.pos = this.cur.writeInt16BE(v, this.pos)
  }

  uint16(v: number): void {
    this.ensure(2)
    this.pos = this.cur.writeUInt16BE(v, this.pos)
  }

  int32(v: number): void {
    this.ensure(4)
    this.pos = this.cur.writeInt32BE(v, this.pos)
  }

  uint32(v: number): void {
    this.ensure(4)
    this.pos = this.cur.writeUInt32BE(v, this.pos)
  }

  int64(v: bigint): void {
    this.ensure(8)
    this.pos = this.cur.writeBigInt64BE(v, this.pos)
  }

  float64(v: number): void {
    this.ensure(8)
    this.pos = this.cur.writeDoubleBE(v, this.pos)
  }

  /** A UUID given as 8-4-4-4-12 hex text. */
  uuid(v: string, field: string): void {
    if (typeof v !== 'string' || !UUID_RE.test(v)) {
      throw new ProtocolEncodeError(field, `${JSON.stringify(v)} is not a UUID`)
    }
    this.ensure(16)
    const c = this.cur
    let p = this.pos
    p += c.write(v.slice(0, 8), p, 'hex')
    p += c.write(v.slice(9, 13), p, 'hex')
    p += c.write(v.slice(14, 18), p, 'hex')
    p += c.write(v.slice(19, 23), p, 'hex')
    p += c.write(v.slice(24), p, 'hex')
    this.pos = p
  }

  /** Unsigned LEB128 varint (0 .. 2^32-1). */
  uvarint(v: number): void {
    if (v < 0x80 && v >= 0) {
      this.ensure(1)
      this.cur[this.pos++] = v
      return
    }
    if (!(v >= 0 && v <= 0xffffffff && Number.isInteger(v))) {
      throw new ProtocolEncodeError('varint', `${v} is not an unsigned 32-bit integer`)
    }
    this.ensure(5)
    const c = this.cur
    let p = this.pos
    let rest = v
    while (rest >= 0x80) {
      c[p++] = (rest & 0x7f) | 0x80
      rest = Math.floor(rest / 128)
    }
    c[p++] = rest
    this.pos = p
  }

  /** Signed zig-zag varint (32-bit). */
  varint(v: number): void {
    this.uvarint(v < 0 ? -2 * v - 1 : 2 * v)
  }

  /** Signed zig-zag varlong (64-bit). */
  varlong(v: bigint): void {
    let raw = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
    this.ensure(10)
    while (raw >= 0x80n) {
      this.cur[this.pos++] = Number(raw & 0x7fn) | 0x80
      raw >>= 7n
    }
    this.cur[this.pos++] = Number(raw)
  }

  private utf8(v: string, len: number): void {
    this.ensure(len)
    this.pos += this.cur.write(v, this.pos, len, 'utf8')
  }

  /** int16 length + UTF-8. */
  string(v: string | null, field: string): void {
    if (typeof v !== 'string') throw nullError(field, v, 'string')
    const len = Buffer.byteLength(v)
    if (len > 0x7fff) throw new ProtocolEncodeError(field, `string of ${len} bytes exceeds 32767`)
    this.int16(len)
    this.utf8(v, len)
  }

  nullableString(v: string | null, field: string): void {
    if (v === null) this.int16(-1)
    else this.string(v, field)
  }

  /** Unsigned varint of length + 1, then UTF-8. */
  compactString(v: string | null, field: string): void {
    if (typeof v !== 'string') throw nullError(field, v, 'string')
    const len = Buffer.byteLength(v)
    this.uvarint(len + 1)
    this.utf8(v, len)
  }

  compactNullableString(v: string | null, field: string): void {
    if (v === null) this.uvarint(0)
    else this.compactString(v, field)
  }

  /** Appends raw bytes with no length prefix; big payloads are referenced, not copied. */
  raw(v: Uint8Array): void {
    const len = v.length
    if (len >= ZERO_COPY_MIN) {
      this.seal()
      this.chunks.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, len))
      this.sealedLength += len
      return
    }
    this.ensure(len)
    this.cur.set(v, this.pos)
    this.pos += len
  }

  /** int32 length + bytes. */
  bytes(v: Uint8Array | null, field: string): void {
    if (!(v instanceof Uint8Array)) throw nullError(field, v, 'bytes')
    this.int32(v.length)
    this.raw(v)
  }

  nullableBytes(v: Uint8Array | null, field: string): void {
    if (v === null) this.int32(-1)
    else this.bytes(v, field)
  }

  compactBytes(v: Uint8Array | null, field: string): void {
    if (!(v instanceof Uint8Array)) throw nullError(field, v, 'bytes')
    this.uvarint(v.length + 1)
    this.raw(v)
  }

  compactNullableBytes(v: Uint8Array | null, field: string): void {
    if (v === null) this.uvarint(0)
    else this.compactBytes(v, field)
  }

  /** int32 element count of a non-nullable array. */
  arrayLength(v: readonly unknown[] | null, field: string): void {
    if (!Array.isArray(v)) throw nullError(field, v, 'array')
    this.int32(v.length)
  }

  nullableArrayLength(v: readonly unknown[] | null): void {
    this.int32(v === null ? -1 : v.length)
  }

  compactArrayLength(v: readonly unknown[] | null, field: string): void {
    if (!Array.isArray(v)) throw nullError(field, v, 'array')
    this.uvarint(v.length + 1)
  }

  compactNullableArrayLength(v: readonly unknown[] | null): void {
    this.uvarint(v === null ? 0 : v.length + 1)
  }

  /**
   * Writes one tagged field: tag, size, payload. The payload goes through a scratch writer because
   * its size precedes it; tagged fields are small and rare, so the extra copy is not on a hot path.
   */
  taggedField(tag: number, write: (w: Writer) => void): void {
    const scratch = new Writer(64)
    write(scratch)
    const body = scratch.toBuffer()
    this.uvarint(tag)
    this.uvarint(body.length)
    this.raw(body)
  }

  /** Reserves 4 bytes to be filled by `patchInt32` (e.g. a frame size prefix). */
  reserveInt32(): Slot {
    this.ensure(4)
    const slot = { buf: this.cur, offset: this.pos }
    this.pos += 4
    return slot
  }

  patchInt32(slot: Slot, v: number): void {
    slot.buf.writeInt32BE(v, slot.offset)
  }

  /** The written bytes as a list of buffers (for writev); large payloads are the caller's own buffers. */
  toChunks(): Buffer[] {
    this.seal()
    return this.chunks.slice()
  }

  /** The written bytes as one buffer. */
  toBuffer(): Buffer {
    this.seal()
    if (this.chunks.length === 1) return this.chunks[0]!
    return Buffer.concat(this.chunks, this.sealedLength)
  }
}

function nullError(field: string, v: unknown, kind: string): ProtocolEncodeError {
  const what = v === null ? 'null' : v === undefined ? 'missing' : `not a ${kind} (${typeof v})`
  return new ProtocolEncodeError(field, `${what}, but this version requires a ${kind}`)
}
