// The transaction coordinator in-process on a real LogStore: producer ids, the state machine and
// its persistence in `__transaction_state` (checked record by record and after replay), markers in
// the partitions, fencing, timeouts with a controlled clock, recovery of half-finished
// transactions, and transactional offsets through the group coordinator.
import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { decodeAll, text } from '../../../test/helpers/batches.ts'
import { tempDir } from '../../../test/helpers/tmp.ts'
import { isRiffleError } from '../../core/errors.ts'
import { LogStore } from '../../log/store.ts'
import type { ApiCodec } from '../../protocol/codec/api.ts'
import { Reader } from '../../protocol/codec/reader.ts'
import { Writer } from '../../protocol/codec/writer.ts'
import { addOffsetsToTxnApi } from '../../protocol/messages/add-offsets-to-txn.ts'
import { addPartitionsToTxnApi } from '../../protocol/messages/add-partitions-to-txn.ts'
import { describeTransactionsApi } from '../../protocol/messages/describe-transactions.ts'
import { endTxnApi } from '../../protocol/messages/end-txn.ts'
import { initProducerIdApi } from '../../protocol/messages/init-producer-id.ts'
import { listTransactionsApi } from '../../protocol/messages/list-transactions.ts'
import { offsetFetchApi } from '../../protocol/messages/offset-fetch.ts'
import { type TxnOffsetCommitRequest, txnOffsetCommitApi } from '../../protocol/messages/txn-offset-commit.ts'
import { CONTROL_COMMIT, controlType } from '../../protocol/records/control.ts'
import { checkBatch } from '../../protocol/records/header.ts'
import * as L from '../../protocol/records/layout.ts'
import { decodeRecordBatch, encodeRecordBatch } from '../../protocol/records/record.ts'
import { GroupCoordinator } from '../groups/coordinator.ts'
import { TransactionCoordinator, txnOffsetCommitRefused } from './coordinator.ts'
import { TRANSACTION_STATE_TOPIC, TransactionStateLog } from './txn-log.ts'
import { type TxnRecord, decodeTxnKey, decodeTxnValue } from './txn-records.ts'

const NOW = 1_700_000_000_000
const E = {
  NONE: 0,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_REQUEST: 42,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  OPERATION_NOT_ATTEMPTED: 55,
  UNSTABLE_OFFSET_COMMIT: 88,
  PRODUCER_FENCED: 90,
  TRANSACTIONAL_ID_NOT_FOUND: 105,
}

interface Handle {
  dir: string
  store: LogStore
  groups: GroupCoordinator
  txns: TransactionCoordinator
  clock: { t: number; now(): number }
  blockSize: number
}

async function openAll(h: Handle): Promise<void> {
  h.store = LogStore.open(h.dir, { maintenanceIntervalMs: 0 })
  if (!h.store.topic('orders')) h.store.createTopic('orders', 3)
  h.groups = await GroupCoordinator.open({ store: h.store, clock: h.clock })
  h.txns = await TransactionCoordinator.open({
    store: h.store,
    offsets: h.groups,
    clock: h.clock,
    abortScanIntervalMs: 0, // tests call scan() themselves
    producerIdBlockSize: h.blockSize,
  })
}

async function setup(t: TestContext, blockSize = 1000): Promise<Handle> {
  const h = { clock: { t: NOW, now: () => h.clock.t }, blockSize } as Handle
  // Registered before tempDir's own hook so that everything is closed before the directory goes.
  t.after(() => closeAll(h))
  h.dir = tempDir(t)
  await openAll(h)
  return h
}

async function closeAll(h: Handle): Promise<void> {
  await h.txns?.close()
  await h.groups?.close()
  await h.store?.close()
}

async function reopen(h: Handle): Promise<void> {
  await closeAll(h)
  await openAll(h)
}

/** Encodes and decodes a response as `version`: a complete response survives unchanged. */
function roundTrip<Res>(api: ApiCodec<unknown, Res>, res: Res, version: number): Res {
  const w = new Writer()
  api.response.encode(w, res, version)
  assert.deepEqual(api.response.decode(new Reader(w.toBuffer()), version), res)
  return res
}

async function init(
  h: Handle,
  transactionalId: string | null,
  o: { timeout?: number; version?: number; producerId?: bigint; epoch?: number } = {},
): Promise<{ errorCode: number; producerId: bigint; producerEpoch: number }> {
  const version = o.version ?? 4
  const res = await h.txns.initProducerId(
    {
      transactionalId,
      transactionTimeoutMs: o.timeout ?? 60_000,
      producerId: o.producerId ?? -1n,
      producerEpoch: o.epoch ?? -1,
    },
    version,
  )
  roundTrip(initProducerIdApi, res, version)
  return { errorCode: res.errorCode, producerId: res.producerId, producerEpoch: res.producerEpoch }
}

async function add(
  h: Handle,
  id: string,
  producerId: bigint,
  epoch: number,
  partitions: Record<string, number[]>,
  version = 3,
): Promise<Record<string, number[]>> {
  const res = await h.txns.addPartitionsToTxn(
    {
      transactions: [],
      v3AndBelowTransactionalId: id,
      v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: epoch,
      v3AndBelowTopics: Object.entries(partitions).map(([name, ps]) => ({ name, partitions: ps })),
    },
    version,
  )
  roundTrip(addPartitionsToTxnApi, res, version)
  return Object.fromEntries(
    res.resultsByTopicV3AndBelow.map((t) => [t.name, t.resultsByPartition.map((p) => p.partitionErrorCode)]),
  )
}

async function end(
  h: Handle,
  id: string,
  producerId: bigint,
  epoch: number,
  committed: boolean,
  version = 3,
): Promise<number> {
  const res = await h.txns.endTxn(
    { transactionalId: id, producerId, producerEpoch: epoch, committed },
    version,
  )
  roundTrip(endTxnApi, res, version)
  return res.errorCode
}

/** A transactional produce as the broker does it: the coordinator's check, then the log. */
async function produce(
  h: Handle,
  id: string | null,
  topic: string,
  partition: number,
  producerId: bigint,
  epoch: number,
  seq: number,
  values: string[],
): Promise<string | number> {
  const batch = encodeRecordBatch(
    values.map((value) => ({ value })),
    { producerId, producerEpoch: epoch, baseSequence: seq, transactional: true },
  )
  const refused = h.txns.verifyProduce(id, batch, topic, partition)
  if (refused) return refused
  return (await h.store.partition(topic, partition)!.append(batch)).baseOffset
}

async function stateOf(h: Handle, id: string): Promise<string> {
  const res = await h.txns.describeTransactions({ transactionalIds: [id] })
  roundTrip(describeTransactionsApi, res, 0)
  return res.transactionStates[0]!.transactionState
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

const completed = (h: Handle, id: string, state: 'CompleteCommit' | 'CompleteAbort') =>
  until(`${id} ${state}`, async () => (await stateOf(h, id)) === state)

/** Every record of `__transaction_state`, decoded: [transactional id or 'block', state/epoch or next id]. */
async function stateLog(h: Handle): Promise<Array<[string, TxnRecord | bigint | null]>> {
  const log = h.store.partition(TRANSACTION_STATE_TOPIC, 0)!
  const { bytes } = await log.read(0, 1 << 20)
  return decodeAll(bytes).map((r) => {
    const key = decodeTxnKey(r.key!)
    if (key.kind === 'producer-id-block') return ['block', r.value!.readBigInt64BE(2)]
    assert.equal(key.kind, 'txn')
    return [key.kind === 'txn' ? key.transactionalId : '?', r.value ? decodeTxnValue(r.value) : null]
  })
}

/** Data values and markers of a partition, in offset order: 'v:<value>' or 'commit:<pid>'/'abort:<pid>'. */
async function contents(h: Handle, topic: string, partition: number): Promise<string[]> {
  const log = h.store.partition(topic, partition)!
  const { bytes } = await log.read(0, 1 << 20)
  const out: string[] = []
  for (let pos = 0; pos < bytes.length; ) {
    const size = checkBatch(bytes, pos) as number
    const { header, records } = decodeRecordBatch(bytes, pos)
    if ((header.attributes & L.ATTR_CONTROL) !== 0) {
      const kind = controlType(records[0]!.key) === CONTROL_COMMIT ? 'commit' : 'abort'
      out.push(`${kind}:${header.producerId}/${header.producerEpoch}`)
    } else for (const r of records) out.push(`v:${text(r.value)}`)
    pos += size
  }
  return out
}

function txnCommit(
  id: string,
  pid: bigint,
  epoch: number,
  group: string,
  offsets: Array<[string, number, bigint]>,
): TxnOffsetCommitRequest {
  return {
    transactionalId: id,
    groupId: group,
    producerId: pid,
    producerEpoch: epoch,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [...new Set(offsets.map((o) => o[0]))].map((name) => ({
      name,
      partitions: offsets
        .filter((o) => o[0] === name)
        .map(([, p, offset]) => ({
          partitionIndex: p,
          committedOffset: offset,
          committedLeaderEpoch: -1,
          committedMetadata: 'm',
        })),
    })),
  }
}

/** TxnOffsetCommit as the broker runs it: the transaction coordinator's check, then the group's write. */
async function commitOffsets(h: Handle, req: TxnOffsetCommitRequest, version = 3): Promise<number[]> {
  const refused = h.txns.verifyTxnOffsetCommit(req)
  const res = refused ? txnOffsetCommitRefused(req, refused) : await h.groups.txnOffsetCommit(req, version)
  roundTrip(txnOffsetCommitApi, res, version)
  return res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))
}

async function fetched(
  h: Handle,
  group: string,
  partition: number,
  requireStable: boolean,
): Promise<[bigint, number]> {
  const res = await h.groups.offsetFetch(
    {
      groupId: group,
      topics: [{ name: 'orders', partitionIndexes: [partition] }],
      groups: [],
      requireStable,
    },
    7,
  )
  roundTrip(offsetFetchApi, res, 7)
  const p = res.topics[0]!.partitions[0]!
  return [p.committedOffset, p.errorCode]
}

test('producer ids are unique across restarts: blocks are recorded before ids are handed out', async (t) => {
  const h = await setup(t, 3)
  const ids: bigint[] = []
  for (let i = 0; i < 4; i++) {
    const r = await init(h, null)
    assert.equal(r.errorCode, 0)
    assert.equal(r.producerEpoch, 0)
    ids.push(r.producerId)
  }
  assert.deepEqual(ids, [0n, 1n, 2n, 3n])
  assert.deepEqual(await stateLog(h), [
    ['block', 3n],
    ['block', 6n],
  ])
  await reopen(h)
  // The rest of the open block (4, 5) is skipped, as Kafka does.
  assert.equal((await init(h, null)).producerId, 6n)
  const tx = await init(h, 'tx')
  assert.deepEqual(tx, { errorCode: 0, producerId: 7n, producerEpoch: 0 })
})

test('init, add partitions, commit: each transition is durable, replayed, and markers close the partitions', async (t) => {
  const h = await setup(t)
  const { producerId: pid, producerEpoch: epoch } = await init(h, 'tx-a', { timeout: 30_000 })
  assert.deepEqual([pid, epoch], [0n, 0])
  assert.equal(await stateOf(h, 'tx-a'), 'Empty')
  assert.deepEqual(await add(h, 'tx-a', pid, epoch, { orders: [0, 1] }), { orders: [0, 0] })
  assert.equal(await produce(h, 'tx-a', 'orders', 0, pid, epoch, 0, ['a', 'b']), 0)
  // The open transaction holds the last stable offset of orders-0 at its first record.
  const orders0 = h.store.partition('orders', 0)!
  assert.deepEqual([orders0.lastStableOffset, orders0.highWatermark], [0, 2])
  h.clock.t += 10
  // Adding partitions already in the transaction changes nothing (no record).
  assert.deepEqual(await add(h, 'tx-a', pid, epoch, { orders: [1] }), { orders: [0] })

  await reopen(h)
  const described = await h.txns.describeTransactions({ transactionalIds: ['tx-a', 'nope'] })
  assert.deepEqual(roundTrip(describeTransactionsApi, described, 0).transactionStates, [
    {
      errorCode: 0,
      transactionalId: 'tx-a',
      transactionState: 'Ongoing',
      transactionTimeoutMs: 30_000,
      transactionStartTimeMs: BigInt(NOW),
      producerId: 0n,
      producerEpoch: 0,
      topics: [{ topic: 'orders', partitions: [0, 1] }],
    },
    {
      errorCode: E.TRANSACTIONAL_ID_NOT_FOUND,
      transactionalId: 'nope',
      transactionState: '',
      transactionTimeoutMs: 0,
      transactionStartTimeMs: -1n,
      producerId: -1n,
      producerEpoch: -1,
      topics: [],
    },
  ])
  assert.equal(h.store.partition('orders', 0)!.lastStableOffset, 0, 'the log recovers the open transaction')
  assert.equal(await end(h, 'tx-a', pid, epoch, true), E.NONE)
  await completed(h, 'tx-a', 'CompleteCommit')
  assert.deepEqual(await contents(h, 'orders', 0), ['v:a', 'v:b', 'commit:0/0'])
  assert.deepEqual(await contents(h, 'orders', 1), ['commit:0/0'])
  assert.equal(await contents(h, 'orders', 2).then((c) => c.length), 0)
  assert.deepEqual(
    [h.store.partition('orders', 0)!.lastStableOffset, h.store.partition('orders', 0)!.highWatermark],
    [3, 3],
  )
  // A retried EndTxn for the same outcome succeeds; the other outcome is refused.
  assert.equal(await end(h, 'tx-a', pid, epoch, true), E.NONE)
  assert.equal(await end(h, 'tx-a', pid, epoch, false), E.INVALID_TXN_STATE)

  const states = (await stateLog(h)).map(([id, r]) =>
    typeof r === 'object' && r !== null
      ? `${id}:${r.state}:${r.producerEpoch}:${[...r.partitions].map(([tp, ps]) => `${tp}${ps.join('')}`).join()}`
      : `${id}:${r}`,
  )
  assert.deepEqual(states, [
    'block:1000',
    'tx-a:Empty:0:',
    'tx-a:Ongoing:0:orders01',
    'tx-a:PrepareCommit:0:orders01',
    'tx-a:CompleteCommit:0:',
  ])
  await reopen(h)
  assert.equal(await stateOf(h, 'tx-a'), 'CompleteCommit')
  // The next transaction of the same producer continues its sequence.
  assert.deepEqual(await add(h, 'tx-a', pid, epoch, { orders: [0] }), { orders: [0] })
  assert.equal(await produce(h, 'tx-a', 'orders', 0, pid, epoch, 2, ['c']), 3)
  assert.equal(await end(h, 'tx-a', pid, epoch, false), E.NONE)
  await completed(h, 'tx-a', 'CompleteAbort')
  assert.deepEqual(await contents(h, 'orders', 0), ['v:a', 'v:b', 'commit:0/0', 'v:c', 'abort:0/0'])
  assert.deepEqual(h.store.partition('orders', 0)!.abortedTransactions(0, 5), [
    { producerId: 0n, firstOffset: 3 },
  ])
})

test('requests are checked: timeouts, ids, epochs, unknown partitions, and writes outside the transaction', async (t) => {
  const h = await setup(t)
  assert.equal((await init(h, 'tx', { timeout: 900_001 })).errorCode, E.INVALID_TRANSACTION_TIMEOUT)
  assert.equal((await init(h, 'tx', { timeout: 0 })).errorCode, E.INVALID_TRANSACTION_TIMEOUT)
  assert.equal((await init(h, '')).errorCode, E.INVALID_REQUEST)
  assert.equal((await init(h, 'tx', { producerId: 5n })).errorCode, E.INVALID_REQUEST)
  assert.equal(await stateOf(h, 'tx'), '')
  const { producerId: pid } = await init(h, 'tx')
  assert.deepEqual(await add(h, 'nope', pid, 0, { orders: [0] }), { orders: [E.INVALID_PRODUCER_ID_MAPPING] })
  assert.deepEqual(await add(h, 'tx', pid + 1n, 0, { orders: [0] }), {
    orders: [E.INVALID_PRODUCER_ID_MAPPING],
  })
  assert.deepEqual(await add(h, 'tx', pid, 1, { orders: [0] }), { orders: [E.PRODUCER_FENCED] })
  assert.deepEqual(await add(h, 'tx', pid, 1, { orders: [0] }, 1), { orders: [E.INVALID_PRODUCER_EPOCH] })
  assert.deepEqual(await add(h, 'tx', pid, 0, { orders: [0, 7], missing: [0] }), {
    orders: [E.OPERATION_NOT_ATTEMPTED, E.UNKNOWN_TOPIC_OR_PARTITION],
    missing: [E.UNKNOWN_TOPIC_OR_PARTITION],
  })
  assert.equal(await stateOf(h, 'tx'), 'Empty')
  assert.equal(await end(h, 'tx', pid, 0, true), E.INVALID_TXN_STATE)
  assert.equal(await end(h, 'tx', pid, 3, true), E.PRODUCER_FENCED)
  assert.equal(await end(h, 'tx', pid, 3, true, 1), E.INVALID_PRODUCER_EPOCH)
  assert.equal(await end(h, 'other', pid, 0, true), E.INVALID_PRODUCER_ID_MAPPING)
  // Transactional batches must belong to the producer's ongoing transaction on that partition.
  assert.equal(await produce(h, 'tx', 'orders', 0, pid, 0, 0, ['x']), 'INVALID_TXN_STATE')
  assert.deepEqual(await add(h, 'tx', pid, 0, { orders: [0] }), { orders: [0] })
  assert.equal(await produce(h, 'tx', 'orders', 1, pid, 0, 0, ['x']), 'INVALID_TXN_STATE')
  assert.equal(await produce(h, null, 'orders', 0, pid, 0, 0, ['x']), 'INVALID_REQUEST')
  assert.equal(await produce(h, 'tx', 'orders', 0, pid + 1n, 0, 0, ['x']), 'INVALID_PRODUCER_ID_MAPPING')
  assert.equal(await produce(h, 'tx', 'orders', 0, pid, 0, 0, ['x']), 0)
  // Without AddOffsetsToTxn the offsets partition is not part of the transaction.
  assert.deepEqual(await commitOffsets(h, txnCommit('tx', pid, 0, 'g', [['orders', 0, 1n]])), [
    E.INVALID_TXN_STATE,
  ])
  assert.deepEqual(await commitOffsets(h, txnCommit('tx', pid, 1, 'g', [['orders', 0, 1n]])), [
    E.INVALID_PRODUCER_EPOCH,
  ])
  assert.deepEqual(h.groups.offsetsTopic, '__consumer_offsets')
  assert.deepEqual(await contents(h, '__consumer_offsets', 0), [])
  // Non-transactional batches are not the coordinator's business.
  assert.equal(h.txns.verifyProduce(null, encodeRecordBatch([{ value: 'plain' }]), 'orders', 2), null)
})

test('a new producer instance fences the old one: its open transaction is aborted under a bumped epoch', async (t) => {
  const h = await setup(t)
  const old = await init(h, 'tx')
  assert.deepEqual(await add(h, 'tx', old.producerId, 0, { orders: [0, 2] }), { orders: [0, 0] })
  assert.equal(await produce(h, 'tx', 'orders', 0, old.producerId, 0, 0, ['zombie']), 0)

  const next = await init(h, 'tx')
  assert.deepEqual(next, { errorCode: 0, producerId: old.producerId, producerEpoch: 2 })
  // The abort markers carry epoch 1: the old producer is fenced in every partition it touched.
  assert.deepEqual(await contents(h, 'orders', 0), ['v:zombie', 'abort:0/1'])
  assert.deepEqual(await contents(h, 'orders', 2), ['abort:0/1'])
  assert.equal(await stateOf(h, 'tx'), 'Empty')
  assert.equal(await produce(h, 'tx', 'orders', 0, old.producerId, 0, 1, ['late']), 'INVALID_PRODUCER_EPOCH')
  await assert.rejects(
    h.store.partition('orders', 0)!.append(
      encodeRecordBatch([{ value: 'late' }], {
        producerId: old.producerId,
        producerEpoch: 0,
        baseSequence: 1,
        transactional: true,
      }),
    ),
    (e) => isRiffleError(e, 'INVALID_PRODUCER_EPOCH'),
  )
  assert.equal(await end(h, 'tx', old.producerId, 0, true), E.PRODUCER_FENCED)
  assert.equal(await end(h, 'tx', old.producerId, 0, true, 0), E.INVALID_PRODUCER_EPOCH)
  const addOffsets = await h.txns.addOffsetsToTxn(
    { transactionalId: 'tx', producerId: old.producerId, producerEpoch: 0, groupId: 'g' },
    3,
  )
  assert.deepEqual(roundTrip(addOffsetsToTxnApi, addOffsets, 3), {
    throttleTimeMs: 0,
    errorCode: E.PRODUCER_FENCED,
  })
  assert.equal(
    (
      await h.txns.addOffsetsToTxn(
        { transactionalId: 'tx', producerId: old.producerId, producerEpoch: 0, groupId: 'g' },
        1,
      )
    ).errorCode,
    E.INVALID_PRODUCER_EPOCH,
  )

  // KIP-360: a producer naming its current id and epoch gets a bump; a retry of that bump gets the
  // same answer; a stale epoch is fenced (PRODUCER_FENCED from v4, INVALID_PRODUCER_EPOCH before).
  assert.deepEqual(await init(h, 'tx', { version: 3, producerId: old.producerId, epoch: 2 }), {
    errorCode: 0,
    producerId: old.producerId,
    producerEpoch: 3,
  })
  assert.deepEqual(await init(h, 'tx', { version: 3, producerId: old.producerId, epoch: 2 }), {
    errorCode: 0,
    producerId: old.producerId,
    producerEpoch: 3,
  })
  assert.equal(
    (await init(h, 'tx', { version: 4, producerId: old.producerId, epoch: 1 })).errorCode,
    E.PRODUCER_FENCED,
  )
  assert.equal(
    (await init(h, 'tx', { version: 3, producerId: old.producerId, epoch: 1 })).errorCode,
    E.INVALID_PRODUCER_EPOCH,
  )
  assert.equal((await init(h, 'tx', { version: 4, producerId: 77n, epoch: 3 })).errorCode, E.PRODUCER_FENCED)

  // The new epoch works from sequence 0 on a partition the old epoch wrote to.
  assert.deepEqual(await add(h, 'tx', old.producerId, 3, { orders: [0] }), { orders: [0] })
  assert.equal(await produce(h, 'tx', 'orders', 0, old.producerId, 3, 0, ['live']), 2)
  assert.equal(await end(h, 'tx', old.producerId, 3, true), E.NONE)
  await completed(h, 'tx', 'CompleteCommit')
  assert.deepEqual(await contents(h, 'orders', 0), ['v:zombie', 'abort:0/1', 'v:live', 'commit:0/3'])
})

test('an exhausted epoch rotates the producer id', async (t) => {
  const h = await setup(t)
  await h.txns.close()
  const { log } = await TransactionStateLog.open(h.store)
  await log.writeTransaction(
    'worn',
    {
      producerId: 500n,
      producerEpoch: 32766,
      timeoutMs: 60_000,
      state: 'CompleteCommit',
      partitions: new Map(),
      lastUpdateTimestamp: NOW,
      startTimestamp: NOW,
    },
    NOW,
  )
  await reopen(h)
  assert.deepEqual(await init(h, 'worn'), { errorCode: 0, producerId: 0n, producerEpoch: 0 })
  const worn = await h.txns.describeTransactions({ transactionalIds: ['worn'] })
  assert.equal(worn.transactionStates[0]!.producerId, 0n)
})

test('a transaction past its timeout is aborted by the scan, fencing its producer; also after a restart', async (t) => {
  const h = await setup(t)
  const p = await init(h, 'slow', { timeout: 1000 })
  assert.deepEqual(await add(h, 'slow', p.producerId, 0, { orders: [1] }), { orders: [0] })
  assert.equal(await produce(h, 'slow', 'orders', 1, p.producerId, 0, 0, ['s1', 's2']), 0)
  h.clock.t += 1000
  await h.txns.scan()
  assert.equal(await stateOf(h, 'slow'), 'Ongoing', 'not before the timeout has passed')
  h.clock.t += 1
  await h.txns.scan()
  assert.equal(await stateOf(h, 'slow'), 'CompleteAbort')
  assert.deepEqual(await contents(h, 'orders', 1), ['v:s1', 'v:s2', 'abort:0/1'])
  const orders1 = h.store.partition('orders', 1)!
  assert.deepEqual([orders1.lastStableOffset, orders1.highWatermark], [3, 3])
  assert.deepEqual(orders1.abortedTransactions(0, 3), [{ producerId: 0n, firstOffset: 0 }])
  assert.equal(await end(h, 'slow', p.producerId, 0, true), E.PRODUCER_FENCED)
  assert.equal(await produce(h, 'slow', 'orders', 1, p.producerId, 0, 2, ['s3']), 'INVALID_PRODUCER_EPOCH')

  // An Ongoing transaction found on start is aborted once its timeout passes.
  const q = await init(h, 'crashed', { timeout: 5000 })
  assert.deepEqual(await add(h, 'crashed', q.producerId, 0, { orders: [2] }), { orders: [0] })
  assert.equal(await produce(h, 'crashed', 'orders', 2, q.producerId, 0, 0, ['c1']), 0)
  await reopen(h)
  assert.equal(await stateOf(h, 'crashed'), 'Ongoing')
  assert.equal(h.store.partition('orders', 2)!.lastStableOffset, 0)
  h.clock.t += 5001
  await h.txns.scan()
  assert.equal(await stateOf(h, 'crashed'), 'CompleteAbort')
  assert.deepEqual(await contents(h, 'orders', 2), ['v:c1', `abort:${q.producerId}/1`])
  assert.equal(h.store.partition('orders', 2)!.lastStableOffset, 2)
  const listed = await h.txns.listTransactions(
    { stateFilters: ['CompleteAbort', 'Bogus'], producerIdFilters: [], durationFilter: -1n },
    1,
  )
  assert.deepEqual(roundTrip(listTransactionsApi, listed, 1), {
    throttleTimeMs: 0,
    errorCode: 0,
    unknownStateFilters: ['Bogus'],
    transactionStates: [
      { transactionalId: 'slow', producerId: 0n, transactionState: 'CompleteAbort' },
      { transactionalId: 'crashed', producerId: q.producerId, transactionState: 'CompleteAbort' },
    ],
  })
  const byPid = await h.txns.listTransactions(
    { stateFilters: [], producerIdFilters: [q.producerId], durationFilter: -1n },
    0,
  )
  assert.deepEqual(
    byPid.transactionStates.map((s) => s.transactionalId),
    ['crashed'],
  )
  // v1 duration filter: only transactions running for longer than it.
  const longer = await h.txns.listTransactions(
    { stateFilters: [], producerIdFilters: [], durationFilter: 5500n },
    1,
  )
  assert.deepEqual(
    longer.transactionStates.map((s) => s.transactionalId),
    ['slow'],
  )
})

test('a crash between PrepareCommit and CompleteCommit: the markers are written on start', async (t) => {
  const h = await setup(t)
  const p = await init(h, 'half')
  assert.deepEqual(await add(h, 'half', p.producerId, 0, { orders: [0] }), { orders: [0] })
  assert.equal(await produce(h, 'half', 'orders', 0, p.producerId, 0, 0, ['h1']), 0)
  const offsets = await h.txns.addOffsetsToTxn(
    { transactionalId: 'half', producerId: p.producerId, producerEpoch: 0, groupId: 'g' },
    3,
  )
  assert.equal(offsets.errorCode, 0)
  assert.deepEqual(await commitOffsets(h, txnCommit('half', p.producerId, 0, 'g', [['orders', 0, 1n]])), [0])
  // Simulate the crash: PrepareCommit is durable, nothing after it happened.
  await h.txns.close()
  const { log } = await TransactionStateLog.open(h.store)
  await log.writeTransaction(
    'half',
    {
      producerId: p.producerId,
      producerEpoch: 0,
      timeoutMs: 60_000,
      state: 'PrepareCommit',
      partitions: new Map([
        ['__consumer_offsets', [0]],
        ['orders', [0]],
      ]),
      lastUpdateTimestamp: NOW,
      startTimestamp: NOW,
    },
    NOW,
  )
  await reopen(h)
  await completed(h, 'half', 'CompleteCommit')
  assert.deepEqual(await contents(h, 'orders', 0), ['v:h1', 'commit:0/0'])
  assert.deepEqual(await fetched(h, 'g', 0, true), [1n, 0])
  await reopen(h)
  assert.deepEqual(await fetched(h, 'g', 0, true), [1n, 0])
})

test('transactional offsets: invisible while pending (UNSTABLE_OFFSET_COMMIT when stable is required), kept on commit, dropped on abort', async (t) => {
  const h = await setup(t)
  const p = await init(h, 'ctp')
  const addOffsets = (epoch = 0) =>
    h.txns.addOffsetsToTxn(
      { transactionalId: 'ctp', producerId: p.producerId, producerEpoch: epoch, groupId: 'g' },
      3,
    )
  // A plain commit first.
  const plain = await h.groups.offsetCommit(
    {
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: 'orders',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 3n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: '',
            },
          ],
        },
      ],
    },
    8,
  )
  assert.equal(plain.topics[0]!.partitions[0]!.errorCode, 0)

  assert.equal((await addOffsets()).errorCode, 0)
  assert.deepEqual(
    await commitOffsets(
      h,
      txnCommit('ctp', p.producerId, 0, 'g', [
        ['orders', 0, 10n],
        ['orders', 1, 20n],
      ]),
    ),
    [0, 0],
  )
  assert.deepEqual(await fetched(h, 'g', 0, false), [3n, 0])
  assert.deepEqual(await fetched(h, 'g', 0, true), [-1n, E.UNSTABLE_OFFSET_COMMIT])
  assert.deepEqual(await fetched(h, 'g', 1, true), [-1n, E.UNSTABLE_OFFSET_COMMIT])
  assert.deepEqual(await fetched(h, 'g', 2, true), [-1n, 0])
  // Still pending after a restart (replay keeps transactional offsets until their marker).
  await reopen(h)
  assert.deepEqual(await fetched(h, 'g', 0, true), [-1n, E.UNSTABLE_OFFSET_COMMIT])
  assert.equal(await end(h, 'ctp', p.producerId, 0, true), E.NONE)
  await completed(h, 'ctp', 'CompleteCommit')
  assert.deepEqual(await fetched(h, 'g', 0, true), [10n, 0])
  assert.deepEqual(await fetched(h, 'g', 1, true), [20n, 0])

  // The next transaction aborts: its offsets vanish; the committed ones stay.
  assert.equal((await addOffsets()).errorCode, 0)
  assert.deepEqual(await commitOffsets(h, txnCommit('ctp', p.producerId, 0, 'g', [['orders', 0, 15n]])), [0])
  assert.deepEqual(await commitOffsets(h, txnCommit('ctp', p.producerId, 0, 'g', [['orders', 0, 16n]])), [0])
  assert.equal(await end(h, 'ctp', p.producerId, 0, false), E.NONE)
  await completed(h, 'ctp', 'CompleteAbort')
  assert.deepEqual(await fetched(h, 'g', 0, true), [10n, 0])
  await reopen(h)
  assert.deepEqual(await fetched(h, 'g', 0, true), [10n, 0])
  assert.deepEqual(await fetched(h, 'g', 1, true), [20n, 0])

  // A plain commit written after the transactional one, before its marker, wins (log order).
  assert.equal((await addOffsets()).errorCode, 0)
  assert.deepEqual(await commitOffsets(h, txnCommit('ctp', p.producerId, 0, 'g', [['orders', 2, 30n]])), [0])
  await h.groups.offsetCommit(
    {
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: 'orders',
          partitions: [
            {
              partitionIndex: 2,
              committedOffset: 31n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: '',
            },
          ],
        },
      ],
    },
    8,
  )
  assert.equal(await end(h, 'ctp', p.producerId, 0, true), E.NONE)
  await completed(h, 'ctp', 'CompleteCommit')
  assert.deepEqual(await fetched(h, 'g', 2, true), [31n, 0])
  await reopen(h)
  assert.deepEqual(await fetched(h, 'g', 2, true), [31n, 0])

  // The offsets partition holds transactional batches of the producer and its markers.
  const markers = (await contents(h, '__consumer_offsets', 0)).filter((c) => !c.startsWith('v:'))
  assert.deepEqual(markers, ['commit:0/0', 'abort:0/0', 'commit:0/0'])
  // Deleting a partition's offsets also drops what a transaction holds for it, live and on replay.
  assert.equal((await addOffsets()).errorCode, 0)
  assert.deepEqual(await commitOffsets(h, txnCommit('ctp', p.producerId, 0, 'g', [['orders', 1, 40n]])), [0])
  const deleted = await h.groups.offsetDelete(
    { groupId: 'g', topics: [{ name: 'orders', partitions: [{ partitionIndex: 1 }] }] },
    0,
  )
  assert.deepEqual(deleted.topics[0]!.partitions, [{ partitionIndex: 1, errorCode: 0 }])
  assert.deepEqual(await fetched(h, 'g', 1, true), [-1n, 0])
  assert.equal(await end(h, 'ctp', p.producerId, 0, true), E.NONE)
  await completed(h, 'ctp', 'CompleteCommit')
  assert.deepEqual(await fetched(h, 'g', 1, true), [-1n, 0])
  await reopen(h)
  assert.deepEqual(await fetched(h, 'g', 1, true), [-1n, 0])
  assert.deepEqual(await fetched(h, 'g', 0, true), [10n, 0])

  // Unknown partitions are refused per partition; a member id the group does not know is refused.
  assert.equal((await addOffsets()).errorCode, 0)
  assert.deepEqual(await commitOffsets(h, txnCommit('ctp', p.producerId, 0, 'g', [['nope', 0, 1n]])), [
    E.UNKNOWN_TOPIC_OR_PARTITION,
  ])
  const member = {
    ...txnCommit('ctp', p.producerId, 0, 'g', [['orders', 0, 1n]]),
    memberId: 'ghost',
    generationId: 1,
  }
  assert.deepEqual(await commitOffsets(h, member), [25])
  assert.deepEqual(await commitOffsets(h, member, 2), [0], 'v0-2 carry no member: the check does not apply')
})
