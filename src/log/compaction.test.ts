import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeAll, text } from '../../test/helpers/batches.ts'
import { tempDir } from '../../test/helpers/tmp.ts'
import { Compression } from '../protocol/compression/index.ts'
import { lastOffsetOf } from '../protocol/records/header.ts'
import { decodeRecordBatch, encodeRecordBatch } from '../protocol/records/record.ts'
import { compactPartition } from './compaction.ts'
import { DEFAULT_LOG_CONFIG, applyConfig } from './config.ts'
import { PartitionLog } from './partition-log.ts'

interface Rec {
  offset: number
  key: string | null
  value: string | null
  timestamp: number
}

async function readAll(log: PartitionLog): Promise<Rec[]> {
  const out: Rec[] = []
  let offset = log.logStartOffset
  while (offset < log.highWatermark) {
    const { bytes } = await log.read(offset, 4096)
    for (const r of decodeAll(bytes)) {
      if (Number(r.offset) >= offset)
        out.push({ offset: Number(r.offset), key: text(r.key), value: text(r.value), timestamp: r.timestamp })
    }
    // Advance past the last batch's lastOffsetDelta: compaction may have removed its final records.
    let pos = 0
    while (pos < bytes.length) {
      offset = Number(lastOffsetOf(bytes, pos)) + 1
      pos += bytes.readInt32BE(pos + 8) + 12
    }
  }
  return out
}

/** What compaction must leave: in the cleanable range, the latest record per key (tombstones only while young). */
function reference(all: Rec[], cleanableEnd: number, now: number, deleteRetentionMs: number): Rec[] {
  const latest = new Map<string, number>()
  for (const r of all) if (r.offset < cleanableEnd && r.key !== null) latest.set(r.key, r.offset)
  return all.filter(
    (r) =>
      r.offset >= cleanableEnd ||
      r.key === null ||
      (latest.get(r.key) === r.offset && (r.value !== null || r.timestamp >= now - deleteRetentionMs)),
  )
}

for (const codec of [Compression.none, Compression.lz4]) {
  test(`compaction keeps exactly the latest value per key (codec ${codec}), checked against a reference map`, async (t) => {
    const log = PartitionLog.open(
      tempDir(t),
      applyConfig(DEFAULT_LOG_CONFIG, {
        'cleanup.policy': 'compact',
        'segment.bytes': '2000',
        'delete.retention.ms': '1000',
        'retention.ms': '-1',
      }),
    )
    let seed = 7
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    const now = 1_000_000
    for (let b = 0; b < 150; b++) {
      const n = 1 + rand(5)
      const records = Array.from({ length: n }, (_, i) => {
        const tombstone = rand(10) === 0
        const keyless = rand(40) === 0
        return {
          key: keyless ? null : `key-${rand(25)}`,
          value: tombstone ? null : `v${b}.${i}`,
          // Older batches are past the tombstone horizon, recent ones are not.
          timestamp: now - 5000 + b * 30,
        }
      })
      await log.append(encodeRecordBatch(records, { compression: codec }))
    }
    const before = await readAll(log)
    assert.ok(log.segments.length > 5)
    const cleanableEnd = log.activeSegment.baseOffset
    const stats = await compactPartition(log, now)
    const expected = reference(before, cleanableEnd, now, 1000)
    assert.ok(stats.recordsRemoved > 0)
    assert.equal(stats.recordsRemoved, before.length - expected.length)
    assert.deepEqual(await readAll(log), expected)
    // Idempotent: a second pass over the same data changes nothing.
    assert.equal((await compactPartition(log, now)).recordsRemoved, 0)
    // Appends continue at the same offsets, and a timestamp lookup still works across gaps.
    const res = await log.append(encodeRecordBatch([{ key: 'key-1', value: 'after', timestamp: now }]))
    assert.equal(res.baseOffset, before.at(-1)!.offset + 1)
    const firstAfter = expected.find((r) => r.timestamp >= now - 2000)!
    assert.deepEqual(await log.offsetForTimestamp(now - 2000), {
      offset: firstAfter.offset,
      timestamp: firstAfter.timestamp,
    })
    await log.close()
  })
}

test('compaction runs beside appends without blocking them', async (t) => {
  const log = PartitionLog.open(
    tempDir(t),
    applyConfig(DEFAULT_LOG_CONFIG, {
      'cleanup.policy': 'compact',
      'segment.bytes': '4000',
      'retention.ms': '-1',
    }),
  )
  for (let b = 0; b < 200; b++) await log.append(encodeRecordBatch([{ key: `k${b % 10}`, value: `v${b}` }]))
  const cleaning = compactPartition(log, Date.now() + 1000)
  const appended = await Promise.all(
    Array.from({ length: 20 }, (_, i) => log.append(encodeRecordBatch([{ key: 'x', value: `new${i}` }]))),
  )
  assert.deepEqual(
    appended.map((r) => r.baseOffset),
    Array.from({ length: 20 }, (_, i) => 200 + i),
  )
  await cleaning
  const after = await readAll(log)
  assert.deepEqual(
    after.filter((r) => r.key === 'x').map((r) => r.value),
    Array.from({ length: 20 }, (_, i) => `new${i}`),
  )
  await log.close()
})

test("compaction drops aborted transactions, never lets them win, keeps producers' last batches and stops at open transactions", async (t) => {
  const log = PartitionLog.open(
    tempDir(t),
    applyConfig(DEFAULT_LOG_CONFIG, {
      'cleanup.policy': 'compact',
      'segment.bytes': '300',
      'retention.ms': '-1',
    }),
  )
  const txn = (records: Array<{ key: string; value: string }>, producerId: bigint, baseSequence: number) =>
    encodeRecordBatch(records, { producerId, producerEpoch: 0, baseSequence, transactional: true })
  await log.append(encodeRecordBatch([{ key: 'k1', value: 'plain-1' }])) // 0
  await log.append(txn([{ key: 'k1', value: 'committed' }], 1n, 0)) // 1
  await log.appendMarker({ producerId: 1n, producerEpoch: 0, commit: true, coordinatorEpoch: 0 }) // 2
  await log.append(
    txn(
      [
        { key: 'k1', value: 'ABORTED' },
        { key: 'k2', value: 'ABORTED' },
      ],
      2n,
      0,
    ),
  ) // 3-4
  await log.appendMarker({ producerId: 2n, producerEpoch: 0, commit: false, coordinatorEpoch: 0 }) // 5
  await log.append(encodeRecordBatch([{ key: 'k3', value: 'plain-3' }])) // 6
  await log.append(txn([{ key: 'k3', value: 'open' }], 3n, 0)) // 7: still open
  for (let i = 0; i < 6; i++) await log.append(encodeRecordBatch([{ key: 'k3', value: `later-${i}` }])) // 8-13
  assert.equal(log.lastStableOffset, 7)
  await compactPartition(log, Date.now() + 1000)
  // Only segments below offset 7 were cleaned; within them k1's committed value survives the
  // newer aborted one, the aborted records are gone, producer 2 keeps an empty batch.
  const batches: Array<[number, number, string[]]> = []
  let offset = 0
  while (offset < log.highWatermark) {
    const { bytes } = await log.read(offset, 1 << 20)
    for (let pos = 0; pos < bytes.length; pos += bytes.readInt32BE(pos + 8) + 12) {
      const { header, records } = decodeRecordBatch(bytes, pos)
      if (Number(header.baseOffset) >= offset) {
        batches.push([
          Number(header.baseOffset),
          Number(header.producerId),
          records.map(
            (r) => `${text(r.key)}=${r.value?.toString('hex').length === 12 ? 'marker' : text(r.value)}`,
          ),
        ])
      }
      offset = Number(lastOffsetOf(bytes, pos)) + 1
    }
  }
  assert.deepEqual(
    batches.filter(([base]) => base < 7),
    [
      [1, 1, ['k1=committed']],
      [2, 1, ['\u0000\u0000\u0000\u0001=marker']],
      [3, 2, []],
      [5, 2, ['\u0000\u0000\u0000\u0000=marker']],
      [6, -1, ['k3=plain-3']],
    ],
  )
  assert.deepEqual(
    batches.find(([base]) => base === 7),
    [7, 3, ['k3=open']],
  )
  await log.close()
})
