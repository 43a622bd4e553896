import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ProtocolDecodeError } from './errors.ts'
import { Reader, ZERO_UUID } from './reader.ts'

const r = (hex: string) => new Reader(Buffer.from(hex.replace(/\s+/g, ''), 'hex'))

function decodeError(fn: () => unknown): ProtocolDecodeError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof ProtocolDecodeError, `expected ProtocolDecodeError, got ${String(err)}`)
    assert.ok(err instanceof RangeError)
    return err
  }
  assert.fail('expected a ProtocolDecodeError')
}

describe('Reader', () => {
  test('fixed-width integers are big-endian', () => {
    const rd = r('ff 8000 ffff 80000000 ffffffff fffffffffffffffe 01')
    assert.equal(rd.int8('a'), -1)
    assert.equal(rd.int16('b'), -32768)
    assert.equal(rd.uint16('c'), 65535)
    assert.equal(rd.int32('d'), -2147483648)
    assert.equal(rd.uint32('e'), 4294967295)
    assert.equal(rd.int64('f'), -2n)
    assert.equal(rd.bool('g'), true)
    assert.equal(rd.remaining, 0)
  })

  test('float64 and uuid', () => {
    const rd = r('400c000000000000 0123456789abcdef0011223344556677 00000000000000000000000000000000')
    assert.equal(rd.float64('x'), 3.5)
    assert.equal(rd.uuid('u'), '01234567-89ab-cdef-0011-223344556677')
    assert.equal(rd.uuid('z'), ZERO_UUID)
  })

  test('unsigned varints', () => {
    assert.equal(r('00').uvarint('v'), 0)
    assert.equal(r('7f').uvarint('v'), 127)
    assert.equal(r('8001').uvarint('v'), 128)
    assert.equal(r('ac02').uvarint('v'), 300)
    assert.equal(r('ffffffff0f').uvarint('v'), 0xffffffff)
    assert.match(decodeError(() => r('ffffffffff01').uvarint('n')).message, /longer than 5 bytes/)
    assert.match(decodeError(() => r('ffffffff7f').uvarint('n')).message, /exceeds 32 bits/)
    assert.match(decodeError(() => r('8080').uvarint('n')).message, /truncated varint/)
  })

  test('zig-zag varint and varlong', () => {
    const cases: [string, number][] = [
      ['00', 0],
      ['01', -1],
      ['02', 1],
      ['03', -2],
      ['feffffff0f', 2147483647],
      ['ffffffff0f', -2147483648],
    ]
    for (const [hex, value] of cases) assert.equal(r(hex).varint('v'), value)
    assert.equal(r('01').varlong('v'), -1n)
    assert.equal(r('feffffffffffffffff01').varlong('v'), 2n ** 63n - 1n)
    assert.equal(r('ffffffffffffffffff01').varlong('v'), -(2n ** 63n))
    assert.match(decodeError(() => r('ffffffffffffffffffff01').varlong('v')).message, /longer than 10/)
  })

  test('strings: int16 length, nullable, compact', () => {
    assert.equal(r('0006 68c3a96c6c6f').string('s'), 'héllo')
    assert.equal(r('0000').string('s'), '')
    assert.equal(r('ffff').nullableString('s'), null)
    assert.equal(r('07 68c3a96c6c6f').compactString('s'), 'héllo')
    assert.equal(r('00').compactNullableString('s'), null)
    assert.equal(r('01').compactNullableString('s'), '')
    assert.match(decodeError(() => r('ffff').string('Topic.name')).message, /null .* non-nullable/)
    assert.match(decodeError(() => r('fffe').nullableString('s')).message, /invalid string length -2/)
    assert.match(decodeError(() => r('00').compactString('s')).message, /null in a non-nullable/)
  })

  test('bytes are zero-copy views of the input', () => {
    const buf = Buffer.from('00000003aabbcc04010203', 'hex')
    const rd = new Reader(buf)
    const a = rd.bytes('a')
    assert.equal(a.toString('hex'), 'aabbcc')
    assert.equal(a.buffer, buf.buffer)
    assert.equal(rd.compactBytes('b').toString('hex'), '010203')
    assert.equal(r('ffffffff').nullableBytes('n'), null)
    assert.equal(r('00').compactNullableBytes('n'), null)
    assert.match(decodeError(() => r('ffffffff').bytes('b')).message, /null .* non-nullable bytes/)
  })

  test('truncation names the field and the offset', () => {
    const err = decodeError(() => {
      const rd = r('0001 00')
      rd.int16('Header.apiKey')
      rd.int32('PartitionData.highWatermark')
    })
    assert.equal(err.field, 'PartitionData.highWatermark')
    assert.equal(err.offset, 2)
    assert.equal(
      err.message,
      'cannot decode PartitionData.highWatermark at offset 2: truncated: needs 4 byte(s), 1 left',
    )
    assert.match(decodeError(() => r('0005 6162').string('Topic.name')).message, /Topic\.name.*needs 5/)
    assert.match(decodeError(() => r('00000009 01').bytes('P.records')).message, /P\.records.*needs 9/)
  })

  test('array counts that cannot fit in the remaining bytes are rejected before looping', () => {
    assert.match(
      decodeError(() => r('7fffffff 00').arrayLength('T.partitions')).message,
      /2147483647 element/,
    )
    assert.match(decodeError(() => r('ffffffff0f').compactArrayLength('T.partitions')).message, /cannot fit/)
    assert.equal(r('ffffffff').nullableArrayLength('a'), -1)
    assert.equal(r('00').compactNullableArrayLength('a'), -1)
    assert.equal(r('03 0000').compactArrayLength('a'), 2)
    assert.match(decodeError(() => r('fffffffe').nullableArrayLength('a')).message, /invalid array length -2/)
    assert.match(decodeError(() => r('ffffffff').arrayLength('a')).message, /null .* non-nullable array/)
  })

  test('tagged field sections are skipped, including unknown tags', () => {
    const rd = r('02 05 02 aabb 07 00 ff')
    rd.skipTaggedFields('S')
    assert.equal(rd.int8('after'), -1)
    assert.match(decodeError(() => r('01 05 09 aabb').skipTaggedFields('S')).message, /needs 9/)
    // A known tag whose payload is longer than what this version reads: the rest is skipped.
    const t = r('02 0102 ff')
    const end = t.taggedFieldEnd('S')
    assert.equal(t.int8('x'), 1)
    t.endTaggedField(end, 'S')
    assert.equal(t.int8('after'), -1)
    const over = r('01 0102')
    const overEnd = over.taggedFieldEnd('S')
    over.int16('x')
    assert.match(decodeError(() => over.endTaggedField(overEnd, 'S')).message, /overran/)
  })

  test('a sub-range reader does not read past its end', () => {
    const rd = new Reader(Buffer.from('0000000100000002', 'hex'), 0, 4)
    assert.equal(rd.int32('a'), 1)
    decodeError(() => rd.int32('b'))
  })
})
