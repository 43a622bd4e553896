import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Compression } from '../compression/index.ts'
import { checkBatch, readBatchHeader, restampCrc } from './header.ts'
import * as L from './layout.ts'
import { decodeRecordBatch, encodeRecordBatch } from './record.ts'

const sample = [
  { key: 'user-1', value: 'hello', timestamp: 1_700_000_000_000, headers: [{ key: 'trace', value: 'abc' }] },
  { key: null, value: null, timestamp: 1_700_000_000_500 },
  {
    key: Buffer.from([0, 255, 7]),
    value: 'ünïcödé',
    timestamp: 1_699_999_999_000,
    headers: [{ key: 'h', value: null }],
  },
]

test('a one-record batch has the exact v2 layout', () => {
  const b = encodeRecordBatch([{ key: null, value: 'a', timestamp: 5 }], { baseOffset: 0n })
  // record: len=varint(8)… attributes 0, tsDelta 0, offsetDelta 0, key -1, value len 1 'a', 0 headers
  const record = Buffer.from([0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, 0x61, 0x00])
  assert.equal(b.length, L.HEADER_SIZE + record.length)
  assert.deepEqual(b.subarray(L.HEADER_SIZE), record)
  const h = readBatchHeader(b)
  assert.equal(h.size, 69)
  assert.equal(b.readInt32BE(8), 57)
  assert.equal(h.magic, 2)
  assert.equal(h.attributes, 0)
  assert.equal(h.lastOffsetDelta, 0)
  assert.equal(h.baseTimestamp, 5n)
  assert.equal(h.maxTimestamp, 5n)
  assert.equal(h.producerId, -1n)
  assert.equal(h.producerEpoch, -1)
  assert.equal(h.baseSequence, -1)
  assert.equal(h.recordsCount, 1)
  assert.equal(checkBatch(b, 0), 69)
})

for (const [name, codec] of Object.entries(Compression)) {
  test(`records round-trip exactly with ${name} compression`, () => {
    const b = encodeRecordBatch(sample, { baseOffset: 100n, compression: codec })
    const { header, records } = decodeRecordBatch(b)
    assert.equal(header.attributes & L.ATTR_COMPRESSION_MASK, codec)
    assert.equal(header.baseOffset, 100n)
    assert.equal(header.baseTimestamp, 1_699_999_999_000n)
    assert.equal(header.maxTimestamp, 1_700_000_000_500n)
    assert.deepEqual(
      records.map((r) => ({
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.key && [...r.key],
        value: r.value?.toString(),
        headers: r.headers.map((h) => [h.key, h.value?.toString() ?? null]),
      })),
      [
        {
          offset: 100n,
          timestamp: 1_700_000_000_000,
          key: [...Buffer.from('user-1')],
          value: 'hello',
          headers: [['trace', 'abc']],
        },
        { offset: 101n, timestamp: 1_700_000_000_500, key: null, value: undefined, headers: [] },
        {
          offset: 102n,
          timestamp: 1_699_999_999_000,
          key: [0, 255, 7],
          value: 'ünïcödé',
          headers: [['h', null]],
        },
      ],
    )
  })
}

test('checkBatch reports truncation, bad magic, bad CRC and bad counts', () => {
  const b = encodeRecordBatch(sample)
  assert.equal(checkBatch(b, 0), b.length)
  for (let cut = 0; cut < b.length; cut++) assert.equal(checkBatch(b.subarray(0, cut), 0), 'incomplete')
  const magic = Buffer.from(b)
  magic[L.MAGIC] = 1
  assert.equal(checkBatch(magic, 0), 'bad-magic')
  for (let i = L.ATTRIBUTES; i < b.length; i++) {
    const flipped = Buffer.from(b)
    flipped[i]! ^= 0x10
    assert.equal(checkBatch(flipped, 0), 'bad-crc', `flip at byte ${i}`)
  }
  const counts = Buffer.from(b)
  counts.writeInt32BE(10, L.RECORDS_COUNT)
  restampCrc(counts, 0, counts.length)
  assert.equal(checkBatch(counts, 0), 'bad-counts')
  const short = Buffer.from(b)
  short.writeInt32BE(10, L.BATCH_LENGTH)
  assert.equal(checkBatch(short, 0), 'too-small')
})

test('LogAppendTime gives every record the batch max timestamp', () => {
  const b = encodeRecordBatch(sample, { logAppendTime: true })
  b.writeBigInt64BE(42n, L.MAX_TIMESTAMP)
  restampCrc(b, 0, b.length)
  assert.deepEqual(
    decodeRecordBatch(b).records.map((r) => r.timestamp),
    [42, 42, 42],
  )
})

test('decoding rejects records whose lengths run past the batch', () => {
  const b = encodeRecordBatch([{ key: 'k', value: 'v' }])
  b[L.HEADER_SIZE] = 0x7e // record length 63, far beyond the batch
  restampCrc(b, 0, b.length)
  assert.throws(() => decodeRecordBatch(b), RangeError)
})
