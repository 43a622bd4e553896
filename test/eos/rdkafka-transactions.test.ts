// Transactions with librdkafka (confluent-kafka): commit and abort across partitions as each
// isolation level sees them, consume-transform-produce with the group's offsets in the
// transaction, and fencing by a second producer with the same transactional.id.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { testPlatform } from '../helpers/platform.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { RdkafkaClient, byPartition, rdkafkaRead, until } from './support.ts'

const createTopic = (name: string, numPartitions: number) => ({
  topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }],
  timeoutMs: 1000,
  validateOnly: false,
})

/** Waits until the transactional id's last transaction is completed (its markers written). */
async function completed(c: RawClient, transactionalId: string, state: 'CompleteCommit' | 'CompleteAbort') {
  await until(10_000, `${transactionalId} in ${state}`, async () => {
    const r = await c.request(65, 0, { transactionalIds: [transactionalId] })
    return r.transactionStates[0]!.transactionState === state
  })
}

test('librdkafka: a committed and an aborted transaction over three partitions, read at both isolation levels', async (t) => {
  const p = await testPlatform(t)
  const bootstrap = `127.0.0.1:${p.kafka.port}`
  const raw = await RawClient.connect(p.kafka.port)
  t.after(() => raw.close())
  assert.equal((await raw.request(19, 7, createTopic('rk-txn', 3))).topics[0]!.errorCode, 0)

  const producer = new RdkafkaClient(t, bootstrap)
  await producer.ok({ op: 'producer', transactional_id: 'rk-tx-1' })
  await producer.ok({ op: 'init' })
  await producer.ok({ op: 'begin' })
  for (let i = 0; i < 6; i++)
    await producer.ok({ op: 'produce', topic: 'rk-txn', partition: i % 3, value: `committed-${i}` })
  await producer.ok({ op: 'commit' })
  await producer.ok({ op: 'begin' })
  for (let i = 0; i < 6; i++)
    await producer.ok({ op: 'produce', topic: 'rk-txn', partition: i % 3, value: `aborted-${i}` })
  await producer.ok({ op: 'flush' })
  await producer.ok({ op: 'abort' })
  await producer.ok({ op: 'begin' })
  await producer.ok({ op: 'produce', topic: 'rk-txn', partition: 1, value: 'committed-6' })
  await producer.ok({ op: 'commit' })
  await completed(raw, 'rk-tx-1', 'CompleteCommit')

  const committed = await rdkafkaRead(bootstrap, 'rk-txn', 'read_committed')
  assert.deepEqual(byPartition(committed), {
    0: ['committed-0', 'committed-3'],
    1: ['committed-1', 'committed-4', 'committed-6'],
    2: ['committed-2', 'committed-5'],
  })
  const all = await rdkafkaRead(bootstrap, 'rk-txn', 'read_uncommitted')
  assert.deepEqual(byPartition(all), {
    0: ['committed-0', 'committed-3', 'aborted-0', 'aborted-3'],
    1: ['committed-1', 'committed-4', 'aborted-1', 'aborted-4', 'committed-6'],
    2: ['committed-2', 'committed-5', 'aborted-2', 'aborted-5'],
  })
  // Offsets: 2 records + commit marker, 2 records + abort marker (+ 1 record + marker on partition 1).
  assert.deepEqual(
    all.filter((r) => r.partition === 1).map((r) => r.offset),
    [0, 1, 3, 4, 6],
  )
  const ends = await raw.request(2, 7, {
    replicaId: -1,
    isolationLevel: 1,
    topics: [
      {
        name: 'rk-txn',
        partitions: [0, 1, 2].map((i) => ({
          partitionIndex: i,
          currentLeaderEpoch: -1,
          timestamp: -1n,
          maxNumOffsets: 1,
        })),
      },
    ],
    timeoutMs: 0,
  })
  assert.deepEqual(
    ends.topics[0]!.partitions.map((x) => x.offset),
    [6n, 8n, 6n],
  )
  await producer.exit()
})

/** The group's committed offset of partition 0 of `topic` (requireStable), with its error code. */
async function committedOffset(c: RawClient, group: string, topic: string): Promise<[bigint, number]> {
  const r = await c.request(9, 7, {
    groupId: group,
    topics: [{ name: topic, partitionIndexes: [0] }],
    groups: [],
    requireStable: true,
  })
  const part = r.topics[0]!.partitions[0]!
  return [part.committedOffset, part.errorCode]
}

test('librdkafka consume-transform-produce: the group offset advances with a committed transaction only', async (t) => {
  const p = await testPlatform(t)
  const bootstrap = `127.0.0.1:${p.kafka.port}`
  const raw = await RawClient.connect(p.kafka.port)
  t.after(() => raw.close())
  for (const name of ['ctp-in', 'ctp-out'])
    assert.equal((await raw.request(19, 7, createTopic(name, 1))).topics[0]!.errorCode, 0)
  const feeder = new RdkafkaClient(t, bootstrap)
  await feeder.ok({ op: 'producer' })
  for (let i = 0; i < 10; i++)
    await feeder.ok({ op: 'produce', topic: 'ctp-in', partition: 0, value: `in-${i}` })
  assert.equal((await feeder.ok({ op: 'flush' })).delivered, 10)

  const worker = new RdkafkaClient(t, bootstrap)
  await worker.ok({ op: 'producer', transactional_id: 'ctp-tx' })
  await worker.ok({ op: 'init' })
  assert.deepEqual((await worker.ok({ op: 'consumer', group: 'ctp-group', topic: 'ctp-in' })).partitions, [0])
  const step = async (count: number, end: 'commit' | 'abort'): Promise<void> => {
    await worker.ok({ op: 'begin' })
    const { messages } = await worker.ok({ op: 'consume', count })
    for (const m of messages!)
      await worker.ok({ op: 'produce', topic: 'ctp-out', partition: 0, value: `out-${m.value}` })
    // Delivered before the end, so that an aborted transaction's records are in the log too.
    assert.equal((await worker.ok({ op: 'flush' })).delivered, count)
    await worker.ok({ op: 'send_offsets' })
    // The offsets are in the log but the transaction is open: a stable fetch must wait.
    assert.deepEqual(await committedOffset(raw, 'ctp-group', 'ctp-in'), [-1n, 88])
    await worker.ok({ op: end })
  }

  await step(4, 'commit')
  await completed(raw, 'ctp-tx', 'CompleteCommit')
  assert.deepEqual(await committedOffset(raw, 'ctp-group', 'ctp-in'), [4n, 0])
  await step(3, 'abort')
  await completed(raw, 'ctp-tx', 'CompleteAbort')
  assert.deepEqual(await committedOffset(raw, 'ctp-group', 'ctp-in'), [4n, 0])

  assert.deepEqual(
    (await rdkafkaRead(bootstrap, 'ctp-out', 'read_committed')).map((r) => r.value),
    ['out-in-0', 'out-in-1', 'out-in-2', 'out-in-3'],
  )
  assert.deepEqual(
    (await rdkafkaRead(bootstrap, 'ctp-out', 'read_uncommitted')).map((r) => r.value),
    ['out-in-0', 'out-in-1', 'out-in-2', 'out-in-3', 'out-in-4', 'out-in-5', 'out-in-6'],
  )
  await worker.exit()
})

test('librdkafka: a second producer with the same transactional.id fences the first', async (t) => {
  const p = await testPlatform(t)
  const bootstrap = `127.0.0.1:${p.kafka.port}`
  const raw = await RawClient.connect(p.kafka.port)
  t.after(() => raw.close())
  assert.equal((await raw.request(19, 7, createTopic('rk-fence', 2))).topics[0]!.errorCode, 0)

  const first = new RdkafkaClient(t, bootstrap)
  await first.ok({ op: 'producer', transactional_id: 'rk-fenced' })
  await first.ok({ op: 'init' })
  await first.ok({ op: 'begin' })
  await first.ok({ op: 'produce', topic: 'rk-fence', partition: 0, value: 'zombie-0', flush: true })
  await first.ok({ op: 'produce', topic: 'rk-fence', partition: 1, value: 'zombie-1', flush: true })

  // The new incarnation's init aborts the open transaction (fencing the old epoch) and bumps again.
  const second = new RdkafkaClient(t, bootstrap)
  await second.ok({ op: 'producer', transactional_id: 'rk-fenced' })
  await second.ok({ op: 'init' })
  const state = await raw.request(65, 0, { transactionalIds: ['rk-fenced'] })
  assert.equal(state.transactionStates[0]!.transactionState, 'Empty')
  assert.equal(state.transactionStates[0]!.producerEpoch, 2)

  const commit = await first.send({ op: 'commit' })
  assert.equal(commit.ok, false)
  assert.equal(commit.fenced, true, JSON.stringify(commit))
  assert.equal(commit.fatal, true, JSON.stringify(commit))

  await second.ok({ op: 'begin' })
  await second.ok({ op: 'produce', topic: 'rk-fence', partition: 0, value: 'live-0' })
  await second.ok({ op: 'commit' })
  await completed(raw, 'rk-fenced', 'CompleteCommit')
  assert.deepEqual(byPartition(await rdkafkaRead(bootstrap, 'rk-fence', 'read_committed')), { 0: ['live-0'] })
  assert.deepEqual(byPartition(await rdkafkaRead(bootstrap, 'rk-fence', 'read_uncommitted')), {
    0: ['zombie-0', 'live-0'],
    1: ['zombie-1'],
  })
  await second.exit()
})
