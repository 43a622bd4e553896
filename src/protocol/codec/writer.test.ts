import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ProtocolEncodeError } from './errors.ts'
import { Reader } from './reader.ts'
import { Writer } from './writer.ts'

function bytes(fn: (w: Writer) => void): string {
  const w = new Writer(8)
  fn(w)
  return w.toBuffer().toString('hex')
}

function encodeError(fn: () => unknown): ProtocolEncodeError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof ProtocolEncodeError, `expected ProtocolEncodeError, got ${String(err)}`)
    return err
  }
  assert.fail('expected a ProtocolEncodeError')
}

describe('Writer', () => {
  test('fixed-width values are big-endian', () => {
    assert.equal(
      bytes((w) => {
        w.int8(-1)
        w.int16(-32768)
        w.uint16(65535)
        w.int32(-2147483648)
        w.uint32(4294967295)
        w.int64(-2n)
        w.bool(true)
        w.float64(3.5)
      }),
      'ff8000ffff80000000fffffffffffffffffffffffe01400c000000000000',
    )
  })

  test('out-of-range integers are refused rather than wrapped', () => {
    assert.throws(() => new Writer().int16(40000), RangeError)
    assert.throws(() => new Writer().int32(2 ** 31), RangeError)
  })

  test('varints', () => {
    assert.equal(
      bytes((w) => [0, 127, 128, 300, 0xffffffff].forEach((v) => w.uvarint(v))),
      '007f8001ac02ffffffff0f',
    )
    assert.equal(
      bytes((w) => [0, -1, 1, -2, 2147483647, -2147483648].forEach((v) => w.varint(v))),
      '00010203feffffff0fffffffff0f',
    )
    assert.equal(
      bytes((w) => {
        w.varlong(-1n)
        w.varlong(2n ** 63n - 1n)
      }),
      '01feffffffffffffffff01',
    )
    encodeError(() => new Writer().uvarint(-1))
    encodeError(() => new Writer().uvarint(2 ** 32))
  })

  test('strings are measured in UTF-8 bytes', () => {
    assert.equal(
      bytes((w) => w.string('héllo', 's')),
      '000668c3a96c6c6f',
    )
    assert.equal(
      bytes((w) => w.compactString('héllo', 's')),
      '0768c3a96c6c6f',
    )
    assert.equal(
      bytes((w) => {
        w.nullableString(null, 's')
        w.compactNullableString(null, 's')
        w.compactNullableString('', 's')
      }),
      'ffff0001',
    )
    const long = encodeError(() => new Writer().string('x'.repeat(40000), 'Topic.name'))
    assert.match(long.message, /Topic\.name.*40000 bytes/)
  })

  test('null or missing values in non-nullable encodings name the field', () => {
    const err = encodeError(() => new Writer().string(null, 'FetchTopic.topic'))
    assert.equal(err.field, 'FetchTopic.topic')
    assert.match(err.message, /cannot encode FetchTopic\.topic: null/)
    assert.match(
      encodeError(() => new Writer().compactArrayLength(undefined as unknown as [], 'A.items')).message,
      /missing/,
    )
    encodeError(() => new Writer().bytes(null, 'b'))
    encodeError(() => new Writer().compactBytes(null, 'b'))
    encodeError(() => new Writer().arrayLength(null, 'a'))
  })

  test('uuids are validated and written as 16 bytes', () => {
    assert.equal(
      bytes((w) => w.uuid('01234567-89AB-cdef-0011-223344556677', 'u')),
      '0123456789abcdef0011223344556677',
    )
    encodeError(() => new Writer().uuid('not-a-uuid', 'T.topicId'))
    encodeError(() => new Writer().uuid('0123456789abcdef0011223344556677', 'T.topicId'))
  })

  test('byte and array lengths', () => {
    assert.equal(
      bytes((w) => {
        w.bytes(Buffer.from([1, 2]), 'b')
        w.nullableBytes(null, 'b')
        w.compactBytes(Buffer.from([3]), 'b')
        w.compactNullableBytes(null, 'b')
        w.arrayLength([1, 2, 3], 'a')
        w.nullableArrayLength(null)
        w.compactArrayLength([], 'a')
        w.compactNullableArrayLength(null)
      }),
      '000000020102ffffffff020300' + '00000003ffffffff0100',
    )
  })

  test('grows across chunks without corrupting earlier data', () => {
    const w = new Writer(16)
    for (let i = 0; i < 50000; i++) w.int32(i)
    assert.equal(w.length, 200000)
    const r = new Reader(w.toBuffer())
    for (let i = 0; i < 50000; i++) assert.equal(r.int32('i'), i)
  })

  test('large payloads are referenced, not copied, and small ones share a chunk', () => {
    const big = Buffer.alloc(5000, 7)
    const w = new Writer()
    w.int32(1)
    w.raw(Buffer.from([1, 2, 3]))
    w.bytes(big, 'records')
    w.int16(9)
    const chunks = w.toChunks()
    assert.ok(chunks.includes(big), 'the big buffer must be one of the chunks')
    assert.equal(chunks.length, 3)
    const all = w.toBuffer()
    assert.equal(all.length, 4 + 3 + 4 + 5000 + 2)
    assert.equal(all.readInt32BE(7), 5000)
    assert.equal(all.readInt16BE(all.length - 2), 9)
  })

  test('reserved slots can be patched after the writer has grown', () => {
    const w = new Writer(8)
    const slot = w.reserveInt32()
    for (let i = 0; i < 100; i++) w.int64(BigInt(i))
    w.raw(Buffer.alloc(2000))
    w.patchInt32(slot, w.length - 4)
    const out = w.toBuffer()
    assert.equal(out.readInt32BE(0), out.length - 4)
  })

  test('tagged fields are written as tag, size, payload', () => {
    assert.equal(
      bytes((w) => {
        w.taggedField(3, (t) => t.int32(5))
        w.taggedField(200, (t) => t.compactString('ab', 's'))
      }),
      '030400000005' + 'c8010303' + '6162',
    )
  })
})
