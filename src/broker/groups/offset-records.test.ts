// The on-disk format of __consumer_offsets records, byte for byte: it must stay Kafka's.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeKey, decodeOffsetValue, encodeOffsetKey, encodeOffsetValue } from './offset-records.ts'

test('offset keys are Kafka OffsetCommitKey v1', () => {
  const key = encodeOffsetKey({ group: 'g', topic: 't', partition: 2 })
  assert.equal(key.toString('hex'), '0001' + '000167' + '000174' + '00000002')
  assert.deepEqual(decodeKey(key), { kind: 'offset', key: { group: 'g', topic: 't', partition: 2 } })
  // Key v0 has the same layout; v2 is a group-metadata key, which Riffle skips.
  assert.deepEqual(decodeKey(Buffer.from('0000000167000174ffffffff', 'hex')), {
    kind: 'offset',
    key: { group: 'g', topic: 't', partition: -1 },
  })
  assert.deepEqual(decodeKey(Buffer.from('0002000167', 'hex')), { kind: 'group', group: 'g' })
  assert.deepEqual(decodeKey(Buffer.from('0009', 'hex')), { kind: 'unknown' })
})

test('offset values are Kafka OffsetCommitValue v3; older versions still decode', () => {
  const value = encodeOffsetValue({
    offset: 42n,
    leaderEpoch: 7,
    metadata: 'm',
    commitTimestamp: 1_700_000_000_000,
  })
  assert.equal(
    value.toString('hex'),
    '0003' + '000000000000002a' + '00000007' + '00016d' + '0000018bcfe56800',
  )
  assert.deepEqual(decodeOffsetValue(value), {
    offset: 42n,
    leaderEpoch: 7,
    metadata: 'm',
    commitTimestamp: 1_700_000_000_000,
  })
  // v1: offset, metadata, commit timestamp, expire timestamp (ignored); no leader epoch.
  const v1 = Buffer.from(`0001${'000000000000000a'}0000${'0000018bcfe56800'}${'ffffffffffffffff'}`, 'hex')
  assert.deepEqual(decodeOffsetValue(v1), {
    offset: 10n,
    leaderEpoch: -1,
    metadata: '',
    commitTimestamp: 1_700_000_000_000,
  })
  assert.equal(decodeOffsetValue(Buffer.from('0004', 'hex')), null)
})
