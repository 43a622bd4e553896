// Zig-zag varints as used inside Kafka v2 records (the same encoding as protobuf's sint32/sint64).
// Numbers up to 2^53 are handled as JS numbers; Kafka's record fields never exceed that in practice
// (timestamp and offset deltas are small), so no BigInt on the hot path.

/** Bytes needed for the zig-zag varint of `value`. */
export function varintSize(value: number): number {
  let v = value < 0 ? -2 * value - 1 : 2 * value
  let n = 1
  while (v >= 0x80) {
    v = Math.floor(v / 128)
    n++
  }
  return n
}

/** Writes the zig-zag varint of `value` at `offset`; returns the offset after it. */
export function writeVarint(buf: Uint8Array, offset: number, value: number): number {
  let v = value < 0 ? -2 * value - 1 : 2 * value
  while (v >= 0x80) {
    buf[offset++] = (v & 0x7f) | 0x80
    v = Math.floor(v / 128)
  }
  buf[offset++] = v
  return offset
}

/** A cursor-style reader result: the decoded value and the offset after it. */
export interface VarintRead {
  value: number
  next: number
}

/** Reads a zig-zag varint at `offset`. Throws RangeError past the end or after 10 bytes. */
export function readVarint(buf: Uint8Array, offset: number, out: VarintRead): VarintRead {
  let raw = 0
  let scale = 1
  for (let i = 0; i < 10; i++) {
    if (offset >= buf.length) throw new RangeError('varint runs past the end of the buffer')
    const b = buf[offset++]!
    raw += (b & 0x7f) * scale
    if ((b & 0x80) === 0) {
      out.value = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2
      out.next = offset
      return out
    }
    scale *= 128
  }
  throw new RangeError('varint longer than 10 bytes')
}
