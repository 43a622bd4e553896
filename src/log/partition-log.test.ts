import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { decodeAll, numberedBatch, text } from '../../test/helpers/batches.ts'
import { tempDir } from '../../test/helpers/tmp.ts'
import { isRiffleError } from '../core/errors.ts'
import * as L from '../protocol/records/layout.ts'
import { encodeRecordBatch } from '../protocol/records/record.ts'
import { DEFAULT_LOG_CONFIG, applyConfig } from './config.ts'
import { PartitionLog } from './partition-log.ts'

const config = (settings: Record<string, string> = {}) => applyConfig(DEFAULT_LOG_CONFIG, settings)

/** Reads the whole log from `from`, following nextOffset, and returns every record's value. */
async function readAllValues(
  log: PartitionLog,
  from = log.logStartOffset,
  maxBytes = 1000,
): Promise<string[]> {
  const values: string[] = []
  let offset = from
  while (offset < log.highWatermark) {
    const { bytes } = await log.read(offset, maxBytes)
    assert.ok(bytes.length > 0, `read at ${offset} returned nothing below the high watermark`)
    for (const r of decodeAll(bytes)) {
      if (Number(r.offset) >= offset) values.push(text(r.value)!)
      offset = Number(r.offset) + 1
    }
  }
  return values
}

test('appends assign consecutive offsets and reads return the exact records across segment rolls', async (t) => {
  const dir = tempDir(t)
  const log = PartitionLog.open(dir, config({ 'segment.bytes': '1000', 'index.interval.bytes': '200' }))
  const expected: string[] = []
  for (let b = 0; b < 60; b++) {
    const res = await log.append(numberedBatch(b, 3))
    assert.deepEqual([res.baseOffset, res.lastOffset], [b * 3, b * 3 + 2])
    for (let i = 0; i < 3; i++) expected.push(`b${b}-r${i}`)
  }
  assert.ok(log.segments.length > 5, `expected several segments, got ${log.segments.length}`)
  assert.equal(log.highWatermark, 180)
  assert.deepEqual(await readAllValues(log), expected)
  // Reading from the middle of a batch returns that whole batch first.
  const mid = decodeAll((await log.read(100, 1)).bytes)
  assert.deepEqual(
    mid.map((r) => Number(r.offset)),
    [99, 100, 101],
  )
  await log.close()

  // Reopen after a clean close: same content, indexes loaded from disk.
  const again = PartitionLog.open(dir, config({ 'segment.bytes': '1000', 'index.interval.bytes': '200' }))
  assert.equal(again.logEndOffset, 180)
  assert.deepEqual(await readAllValues(again), expected)
  assert.deepEqual(await readAllValues(again, 97, 1), expected.slice(97))
  const r = await again.append(numberedBatch(60, 1))
  assert.equal(r.baseOffset, 180)
  await again.close()
})

test('a read returns at least one whole batch even if it exceeds maxBytes, and never past the high watermark', async (t) => {
  const log = PartitionLog.open(tempDir(t), config())
  await log.append(numberedBatch(0, 50, { valueBytes: 100 }))
  await log.append(numberedBatch(1, 1))
  const first = await log.read(0, 10)
  assert.deepEqual(
    decodeAll(first.bytes).map((r) => Number(r.offset)),
    Array.from({ length: 50 }, (_, i) => i),
  )
  assert.equal(first.highWatermark, 51)
  assert.equal((await log.read(51, 1000)).bytes.length, 0)
  await assert.rejects(log.read(52, 1000), (e) => isRiffleError(e, 'OFFSET_OUT_OF_RANGE'))
  await log.close()
})

test('corrupt or malformed batches are rejected and nothing of the append is written', async (t) => {
  const log = PartitionLog.open(tempDir(t), config({ 'max.message.bytes': '2000' }))
  await log.append(numberedBatch(0, 2))
  const good = numberedBatch(1, 2)
  const bad = numberedBatch(2, 2)
  bad[bad.length - 1]! ^= 1
  await assert.rejects(log.append(Buffer.concat([good, bad])), (e) => isRiffleError(e, 'CORRUPT_MESSAGE'))
  await assert.rejects(log.append(good.subarray(0, 30)), (e) => isRiffleError(e, 'CORRUPT_MESSAGE'))
  await assert.rejects(log.append(Buffer.alloc(0)), (e) => isRiffleError(e, 'CORRUPT_MESSAGE'))
  await assert.rejects(log.append(numberedBatch(3, 100, { valueBytes: 50 })), (e) =>
    isRiffleError(e, 'RECORD_TOO_LARGE'),
  )
  assert.equal(log.logEndOffset, 2)
  const res = await log.append(numberedBatch(4, 1))
  assert.equal(res.baseOffset, 2)
  assert.deepEqual(await readAllValues(log), ['b0-r0', 'b0-r1', 'b4-r0'])
  await log.close()
})

test('concurrent appends with fsync=always share fsyncs (group commit) and keep call order', async (t) => {
  const log = PartitionLog.open(tempDir(t), config())
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(numberedBatch(i, 1))))
  assert.deepEqual(
    results.map((r) => r.baseOffset),
    Array.from({ length: 200 }, (_, i) => i),
  )
  assert.ok(log.stats.fsyncs < 50, `200 appends took ${log.stats.fsyncs} fsyncs`)
  assert.ok(log.stats.fsyncs >= 1)
  assert.deepEqual(
    await readAllValues(log),
    Array.from({ length: 200 }, (_, i) => `b${i}-r0`),
  )
  await log.close()
})

test('fsync=never acknowledges without fsync; interval fsyncs in the background', async (t) => {
  const never = PartitionLog.open(tempDir(t), config({ fsync: 'never' }))
  for (let i = 0; i < 10; i++) await never.append(numberedBatch(i, 1))
  assert.equal(never.stats.fsyncs, 0)
  assert.equal(never.highWatermark, 10)
  await never.close()
  const interval = PartitionLog.open(tempDir(t), config({ fsync: '20ms' }))
  await interval.append(numberedBatch(0, 1))
  assert.equal(interval.stats.fsyncs, 0)
  await new Promise((r) => setTimeout(r, 120))
  assert.ok(interval.stats.fsyncs >= 1, 'the interval timer fsynced the dirty log')
  const settled = interval.stats.fsyncs
  await new Promise((r) => setTimeout(r, 60))
  assert.equal(interval.stats.fsyncs, settled, 'a clean log is not fsynced again')
  await interval.close()
})

test('timestamp lookup finds the first offset whose timestamp is at or after the target', async (t) => {
  const log = PartitionLog.open(tempDir(t), config({ 'segment.bytes': '600', 'index.interval.bytes': '100' }))
  // Timestamps mostly rise but not strictly: batch b has records at 1000+10b, 1000+10b-25, 1000+10b+3.
  const stamps: number[] = []
  for (let b = 0; b < 40; b++) {
    const ts = [1000 + 10 * b, 1000 + 10 * b - 25, 1000 + 10 * b + 3]
    stamps.push(...ts)
    await log.append(encodeRecordBatch(ts.map((timestamp, i) => ({ value: `${b}/${i}`, timestamp }))))
  }
  const reference = (target: number) => {
    const i = stamps.findIndex((s) => s >= target)
    return i < 0 ? null : { offset: i, timestamp: stamps[i]! }
  }
  for (const target of [0, 975, 976, 1000, 1001, 1003, 1004, 1155, 1200, 1390, 1393, 1394, 5000]) {
    assert.deepEqual(await log.offsetForTimestamp(target), reference(target), `target ${target}`)
  }
  await log.close()
})

test('LogAppendTime topics stamp the broker time and keep the CRC valid', async (t) => {
  const log = PartitionLog.open(tempDir(t), config({ 'message.timestamp.type': 'LogAppendTime' }))
  const before = Date.now()
  const res = await log.append(numberedBatch(0, 2, { timestamp: 5 }))
  assert.ok(res.logAppendTime >= before && res.logAppendTime <= Date.now())
  const [a, b] = decodeAll((await log.read(0, 1000)).bytes)
  assert.equal(a!.timestamp, res.logAppendTime)
  assert.equal(b!.timestamp, res.logAppendTime)
  const raw = (await log.read(0, 1000)).bytes
  assert.equal(raw.readInt16BE(L.ATTRIBUTES) & L.ATTR_TIMESTAMP_TYPE, L.ATTR_TIMESTAMP_TYPE)
  await log.close()
})

test('time retention deletes whole expired segments, rolling an expired active one', async (t) => {
  const dir = tempDir(t)
  const log = PartitionLog.open(dir, config({ 'segment.bytes': '300', 'retention.ms': '1000' }))
  for (let b = 0; b < 20; b++) await log.append(numberedBatch(b, 1, { timestamp: 10_000 + b * 100 }))
  const segs = log.segments.length
  assert.ok(segs > 3)
  // At 11_600 records with timestamp < 10_600 are beyond retention: only segments wholly older go.
  const deleted = await log.enforceRetention(11_600)
  assert.ok(deleted > 0)
  const values = await readAllValues(log)
  const first = Number(values[0]!.slice(1, values[0]!.indexOf('-')))
  assert.ok(first <= 6, `kept from batch ${first}: must keep everything at or after 10_600`)
  assert.ok(first >= 1)
  assert.deepEqual(
    values,
    Array.from({ length: 20 - first }, (_, i) => `b${first + i}-r0`),
  )
  assert.equal(log.logStartOffset, first)
  // Far in the future everything goes, and appends continue at the same offsets.
  await log.enforceRetention(1e12)
  assert.equal(log.logStartOffset, 20)
  assert.equal((await log.append(numberedBatch(20, 1))).baseOffset, 20)
  await log.close()
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.log'))
  assert.equal(files.length, 1)
})

test('size retention keeps the newest segments within retention.bytes', async (t) => {
  const log = PartitionLog.open(
    tempDir(t),
    config({ 'segment.bytes': '400', 'retention.bytes': '1000', 'retention.ms': '-1' }),
  )
  for (let b = 0; b < 30; b++) await log.append(numberedBatch(b, 1))
  await log.enforceRetention()
  assert.ok(log.sizeInBytes <= 1000 + 400, `size ${log.sizeInBytes}`)
  assert.ok(log.sizeInBytes >= 1000 - 400)
  const values = await readAllValues(log)
  assert.equal(values.at(-1), 'b29-r0')
  assert.equal(values.length, 30 - log.logStartOffset)
  await log.close()
})

test('deleteRecords advances the log start offset durably', async (t) => {
  const dir = tempDir(t)
  const log = PartitionLog.open(dir, config({ 'segment.bytes': '300' }))
  for (let b = 0; b < 10; b++) await log.append(numberedBatch(b, 1))
  assert.equal(await log.deleteRecords(7), 7)
  await assert.rejects(log.read(6, 100), (e) => isRiffleError(e, 'OFFSET_OUT_OF_RANGE'))
  assert.deepEqual(await readAllValues(log), ['b7-r0', 'b8-r0', 'b9-r0'])
  await assert.rejects(log.deleteRecords(11), (e) => isRiffleError(e, 'OFFSET_OUT_OF_RANGE'))
  await log.close()
  const again = PartitionLog.open(dir, config({ 'segment.bytes': '300' }))
  assert.equal(again.logStartOffset, 7)
  assert.deepEqual(await readAllValues(again), ['b7-r0', 'b8-r0', 'b9-r0'])
  await again.close()
})

test('a rolled segment gets its file only after the previous segment is written', async (t) => {
  const dir = tempDir(t)
  const log = PartitionLog.open(dir, config({ 'segment.bytes': '200' }))
  const first = log.append(numberedBatch(0, 1, { valueBytes: 150 }))
  const second = log.append(numberedBatch(1, 1, { valueBytes: 150 }))
  assert.equal(log.segments.length, 2, 'the second append rolled')
  // A crash now must not find a file for offset 1 while offset 0 is still unwritten.
  assert.ok(!fs.existsSync(log.segments[1]!.path('.log')))
  await Promise.all([first, second])
  assert.ok(fs.existsSync(log.segments[1]!.path('.log')))
  await log.close()
})
