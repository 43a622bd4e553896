// Exactly-once at the byte level, with Riffle's own codec over a real socket: idempotent produce
// retries and sequence gaps, a transaction's records behind the last stable offset, a read_committed
// long poll woken by the abort marker, the aborted-transaction list in Fetch, ListOffsets per
// isolation level, and DescribeTransactions/ListTransactions.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FetchResponse } from '../../src/protocol/messages/fetch.ts'
import { encodeRecordBatch } from '../../src/protocol/records/record.ts'
import { decodeAll, text } from '../helpers/batches.ts'
import { testPlatform } from '../helpers/platform.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { fetchRequest, produceRequest } from '../helpers/requests.ts'

const fetchReq = (topic: string, offset: bigint, isolationLevel: 0 | 1, maxWaitMs = 0) =>
  fetchRequest(topic, offset, { isolationLevel, maxWaitMs })
const produceReq = (transactionalId: string | null, topic: string, records: Buffer) =>
  produceRequest(topic, records, { transactionalId })

function summary(r: FetchResponse) {
  const p = r.responses[0]!.partitions[0]!
  return {
    errorCode: p.errorCode,
    highWatermark: p.highWatermark,
    lastStableOffset: p.lastStableOffset,
    aborted: p.abortedTransactions,
    values: decodeAll(p.records ?? Buffer.alloc(0)).map((x) => text(x.value)),
  }
}

async function latest(c: RawClient, topic: string, isolationLevel: 0 | 1): Promise<bigint> {
  const r = await c.request(2, 7, {
    replicaId: -1,
    isolationLevel,
    topics: [
      {
        name: topic,
        partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }],
      },
    ],
    timeoutMs: 0,
  })
  return r.topics[0]!.partitions[0]!.offset
}

test('idempotent produce: a retried batch gets its original offset, a sequence gap is refused', async (t) => {
  const p = await testPlatform(t)
  const c = await RawClient.connect(p.kafka.port)
  t.after(() => c.close())
  const init = await c.request(22, 4, {
    transactionalId: null,
    transactionTimeoutMs: 60_000,
    producerId: -1n,
    producerEpoch: -1,
  })
  assert.deepEqual(init, { throttleTimeMs: 0, errorCode: 0, producerId: 0n, producerEpoch: 0 })
  const batch = (seq: number, values: string[]) =>
    encodeRecordBatch(
      values.map((value) => ({ value })),
      { producerId: 0n, producerEpoch: 0, baseSequence: seq },
    )
  const offsetOf = async (records: Buffer) => {
    const r = (await c.request(0, 9, produceReq(null, 'idem', records))).responses[0]!.partitionResponses[0]!
    return [r.errorCode, r.baseOffset]
  }
  assert.deepEqual(await offsetOf(batch(0, ['a', 'b'])), [0, 0n])
  assert.deepEqual(await offsetOf(batch(2, ['c'])), [0, 2n])
  assert.deepEqual(await offsetOf(batch(0, ['a', 'b'])), [0, 0n], 'a retry is answered with its offsets')
  assert.deepEqual(await offsetOf(batch(5, ['x'])), [45, -1n], 'OUT_OF_ORDER_SEQUENCE_NUMBER')
  assert.deepEqual(summary(await c.request(1, 12, fetchReq('idem', 0n, 0))).values, ['a', 'b', 'c'])
})

test('a transaction on the wire: records behind the LSO, a read_committed long poll woken by the abort, aborted list', async (t) => {
  const p = await testPlatform(t)
  const c = await RawClient.connect(p.kafka.port)
  t.after(() => c.close())
  const created = await c.request(19, 7, {
    topics: [{ name: 'rc', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  })
  assert.equal(created.topics[0]!.errorCode, 0)
  const { producerId, producerEpoch } = await c.request(22, 4, {
    transactionalId: 'raw-tx',
    transactionTimeoutMs: 60_000,
    producerId: -1n,
    producerEpoch: -1,
  })
  const added = await c.request(24, 3, {
    transactions: [],
    v3AndBelowTransactionalId: 'raw-tx',
    v3AndBelowProducerId: producerId,
    v3AndBelowProducerEpoch: producerEpoch,
    v3AndBelowTopics: [{ name: 'rc', partitions: [0] }],
  })
  assert.deepEqual(added.resultsByTopicV3AndBelow, [
    { name: 'rc', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 0 }] },
  ])
  const txnBatch = encodeRecordBatch([{ value: 't1' }, { value: 't2' }], {
    producerId,
    producerEpoch,
    baseSequence: 0,
    transactional: true,
  })
  const produced = await c.request(0, 9, produceReq('raw-tx', 'rc', txnBatch))
  assert.equal(produced.responses[0]!.partitionResponses[0]!.baseOffset, 0n)
  await c.request(0, 9, produceReq(null, 'rc', encodeRecordBatch([{ value: 'plain' }])))

  assert.deepEqual(summary(await c.request(1, 12, fetchReq('rc', 0n, 1))), {
    errorCode: 0,
    highWatermark: 3n,
    lastStableOffset: 0n,
    aborted: [],
    values: [],
  })
  assert.deepEqual(summary(await c.request(1, 12, fetchReq('rc', 0n, 0))), {
    errorCode: 0,
    highWatermark: 3n,
    lastStableOffset: 0n,
    aborted: null,
    values: ['t1', 't2', 'plain'],
  })
  assert.equal(await latest(c, 'rc', 1), 0n)
  assert.equal(await latest(c, 'rc', 0), 3n)
  const listed = await c.request(66, 1, {
    stateFilters: ['Ongoing'],
    producerIdFilters: [],
    durationFilter: -1n,
  })
  assert.deepEqual(listed.transactionStates, [
    { transactionalId: 'raw-tx', producerId, transactionState: 'Ongoing' },
  ])

  // A read_committed long poll at the LSO waits for the transaction to end.
  const started = Date.now()
  const poll = c.request(1, 12, fetchReq('rc', 0n, 1, 10_000))
  await new Promise((r) => setTimeout(r, 100))
  const ended = await c.request(26, 3, {
    transactionalId: 'raw-tx',
    producerId,
    producerEpoch,
    committed: false,
  })
  assert.equal(ended.errorCode, 0)
  const woken = summary(await poll)
  assert.ok(Date.now() - started < 5000, 'woken by the marker, not by maxWaitMs')
  assert.deepEqual(woken, {
    errorCode: 0,
    highWatermark: 4n,
    lastStableOffset: 4n,
    aborted: [{ producerId, firstOffset: 0n }],
    // The client drops t1 and t2 with the aborted list; the marker is a control batch it skips
    // (its value: version 0, coordinator epoch 0).
    values: ['t1', 't2', 'plain', '\0\0\0\0\0\0'],
  })
  assert.equal(await latest(c, 'rc', 1), 4n)
  // The list names every aborted transaction overlapping the fetched range, and none beyond it.
  assert.deepEqual(summary(await c.request(1, 12, fetchReq('rc', 2n, 1))).aborted, [
    { producerId, firstOffset: 0n },
  ])
  assert.deepEqual(summary(await c.request(1, 12, fetchReq('rc', 4n, 1))).aborted, [])
  // EndTxn answers once PrepareAbort is durable; the markers and then CompleteAbort follow
  // asynchronously, so the final state is awaited (bounded) before it is asserted.
  let state = ''
  for (
    const deadline = Date.now() + 5000;
    Date.now() < deadline;
    await new Promise((r) => setTimeout(r, 20))
  ) {
    state = (await c.request(65, 0, { transactionalIds: ['raw-tx'] })).transactionStates[0]!.transactionState
    if (state !== 'PrepareAbort') break
  }
  assert.equal(state, 'CompleteAbort')
  // The aborted producer's batch is still recognised as already written (same epoch, same sequence),
  // but the transaction is over: the coordinator refuses it.
  const again = await c.request(0, 9, produceReq('raw-tx', 'rc', txnBatch))
  assert.equal(again.responses[0]!.partitionResponses[0]!.errorCode, 48)
})
