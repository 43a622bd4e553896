import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { decodeAll, text } from '../../test/helpers/batches.ts'
import { tempDir } from '../../test/helpers/tmp.ts'
import { isRiffleError } from '../core/errors.ts'
import { encodeRecordBatch } from '../protocol/records/record.ts'
import { DEFAULT_LOG_CONFIG, applyConfig } from './config.ts'
import { PartitionLog } from './partition-log.ts'

const config = applyConfig(DEFAULT_LOG_CONFIG, { 'retention.ms': '-1', 'segment.bytes': '600' })

const batch = (
  values: string[],
  producerId: bigint,
  producerEpoch: number,
  baseSequence: number,
  transactional = false,
) =>
  encodeRecordBatch(
    values.map((value) => ({ value })),
    { producerId, producerEpoch, baseSequence, transactional },
  )

async function values(log: PartitionLog, limit?: number): Promise<string[]> {
  const { bytes } = await log.read(log.logStartOffset, 1 << 20, limit)
  return decodeAll(bytes).map((r) => text(r.value) ?? '')
}

test('idempotent appends: retries answer with the original offsets, before and after a restart', async (t) => {
  const dir = tempDir(t)
  let log = PartitionLog.open(dir, config)
  const first = await log.append(batch(['a', 'b', 'c'], 5n, 0, 0))
  assert.deepEqual([first.baseOffset, first.lastOffset, first.duplicate], [0, 2, false])
  await log.append(batch(['d'], 5n, 0, 3))
  const retry = await log.append(batch(['a', 'b', 'c'], 5n, 0, 0))
  assert.deepEqual([retry.baseOffset, retry.lastOffset, retry.duplicate], [0, 2, true])
  assert.equal(log.logEndOffset, 4)
  await assert.rejects(log.append(batch(['x'], 5n, 0, 9)), (e) => isRiffleError(e, 'OUT_OF_ORDER_SEQUENCE'))
  await assert.rejects(log.append(batch(['x'], 6n, 0, 4)), (e) => isRiffleError(e, 'OUT_OF_ORDER_SEQUENCE'))
  await assert.rejects(log.append(Buffer.concat([batch(['x'], 7n, 0, 0), batch(['y'], 7n, 0, 1)])), (e) =>
    isRiffleError(e, 'INVALID_RECORD'),
  )
  await log.append(batch(['e'], 5n, 1, 0)) // a new epoch restarts at 0
  await assert.rejects(log.append(batch(['z'], 5n, 0, 4)), (e) => isRiffleError(e, 'INVALID_PRODUCER_EPOCH'))
  await log.close()

  // Clean restart (snapshot) and crash restart (no snapshot: replay of the log) agree.
  for (const snapshot of [true, false]) {
    if (!snapshot) fs.rmSync(path.join(dir, 'producer-state.json'))
    log = PartitionLog.open(dir, config, { uncleanShutdown: !snapshot })
    const again = await log.append(batch(['e'], 5n, 1, 0))
    assert.deepEqual([again.baseOffset, again.duplicate], [4, true], `snapshot=${snapshot}`)
    await assert.rejects(log.append(batch(['z'], 5n, 0, 4)), (e) =>
      isRiffleError(e, 'INVALID_PRODUCER_EPOCH'),
    )
    assert.deepEqual(await values(log), ['a', 'b', 'c', 'd', 'e'])
    await log.close()
  }
})

test('transactions: the last stable offset, markers, aborted list and committed reads, recovered after restart', async (t) => {
  const dir = tempDir(t)
  let log = PartitionLog.open(dir, config)
  await log.append(batch(['t1-a', 't1-b'], 1n, 0, 0, true)) // offsets 0-1, txn of producer 1
  await log.append(encodeRecordBatch([{ value: 'plain' }])) // 2
  await log.append(batch(['t2-a'], 2n, 3, 0, true)) // 3, txn of producer 2
  assert.equal(log.lastStableOffset, 0)
  assert.deepEqual(log.openTransactions().sort(), [1n, 2n])
  assert.deepEqual(await values(log, log.lastStableOffset), [])
  const abort = await log.appendMarker({
    producerId: 1n,
    producerEpoch: 0,
    commit: false,
    coordinatorEpoch: 0,
  })
  assert.equal(abort.baseOffset, 4)
  assert.equal(log.lastStableOffset, 3)
  assert.deepEqual(await values(log, log.lastStableOffset), ['t1-a', 't1-b', 'plain'])
  await assert.rejects(
    log.appendMarker({ producerId: 2n, producerEpoch: 2, commit: true, coordinatorEpoch: 0 }),
    (e) => isRiffleError(e, 'INVALID_PRODUCER_EPOCH'),
  )
  await log.append(batch(['t1-c'], 1n, 0, 2, true)) // 5: producer 1 opens a new transaction
  await log.appendMarker({ producerId: 2n, producerEpoch: 3, commit: true, coordinatorEpoch: 0 }) // 6
  assert.equal(log.lastStableOffset, 5)
  assert.deepEqual(log.abortedTransactions(0, 10), [{ producerId: 1n, firstOffset: 0 }])
  assert.deepEqual(log.abortedTransactions(5, 10), [])
  await assert.rejects(log.append(encodeRecordBatch([{ value: 'x' }], { control: true })), (e) =>
    isRiffleError(e, 'INVALID_RECORD'),
  )
  await log.close()

  for (const snapshot of [true, false]) {
    if (!snapshot) fs.rmSync(path.join(dir, 'producer-state.json'))
    log = PartitionLog.open(dir, config, { uncleanShutdown: !snapshot })
    assert.equal(log.lastStableOffset, 5, `snapshot=${snapshot}`)
    assert.deepEqual(log.openTransactions(), [1n])
    assert.deepEqual(log.abortedTransactions(0, 10), [{ producerId: 1n, firstOffset: 0 }])
    await log.close()
  }
  log = PartitionLog.open(dir, config)
  await log.appendMarker({ producerId: 1n, producerEpoch: 0, commit: true, coordinatorEpoch: 1 })
  assert.equal(log.lastStableOffset, log.highWatermark)
  // Markers are control records in the log: key (version 0, type 0 abort / 1 commit), value
  // (version 0, coordinator epoch).
  const { bytes } = await log.read(0, 1 << 20)
  assert.deepEqual(
    decodeAll(bytes).map((r) => [
      Number(r.offset),
      r.key?.toString('hex') ?? null,
      r.value?.toString(r.key ? 'hex' : 'utf8'),
    ]),
    [
      [0, null, 't1-a'],
      [1, null, 't1-b'],
      [2, null, 'plain'],
      [3, null, 't2-a'],
      [4, '00000000', '000000000000'],
      [5, null, 't1-c'],
      [6, '00000001', '000000000000'],
      [7, '00000001', '000000000001'],
    ],
  )
  await log.close()
})
