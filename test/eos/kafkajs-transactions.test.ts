// Transactions with kafkajs: commit and abort across partitions read at both isolation levels (by
// kafkajs and by librdkafka), offsets sent to a transaction, and fencing by a second producer.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { type TestContext, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { testPlatform } from '../helpers/platform.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { byPartition, rdkafkaRead, sleep, until } from './support.ts'

interface Rec {
  partition: number
  offset: number
  value: string
}

function client(port: number): Kafka {
  return new Kafka({
    clientId: 'eos-test',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 },
  })
}

/** A platform with the topics created, and a kafkajs client of it. */
async function withTopics(t: TestContext, topics: { topic: string; numPartitions?: number }[]) {
  const p = await testPlatform(t)
  const kafka = client(p.kafka.port)
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics })
  await admin.disconnect()
  return { p, kafka }
}

/** A connected transactional kafkajs producer, disconnected when the test ends. */
async function transactional(t: TestContext, kafka: Kafka, transactionalId: string) {
  const producer = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true })
  t.after(() => producer.disconnect())
  await producer.connect()
  return producer
}

/** Reads `topic` from the start with a kafkajs group consumer until `expected` records arrived. */
async function kafkajsRead(
  t: TestContext,
  kafka: Kafka,
  topic: string,
  readUncommitted: boolean,
  expected: number,
): Promise<Rec[]> {
  const consumer = kafka.consumer({
    groupId: `reader-${randomUUID()}`,
    readUncommitted,
    maxWaitTimeInMs: 100,
  })
  t.after(() => consumer.disconnect())
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const got: Rec[] = []
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      got.push({ partition, offset: Number(message.offset), value: message.value?.toString() ?? '' })
    },
  })
  await until(20_000, `${expected} records from ${topic}`, () => got.length >= expected)
  await sleep(300) // anything beyond the expected records would arrive meanwhile
  await consumer.disconnect()
  return got.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
}

async function completed(c: RawClient, transactionalId: string, state: 'CompleteCommit' | 'CompleteAbort') {
  await until(10_000, `${transactionalId} in ${state}`, async () => {
    const r = await c.request(65, 0, { transactionalIds: [transactionalId] })
    return r.transactionStates[0]!.transactionState === state
  })
}

test('kafkajs: a committed and an aborted transaction over three partitions, read by kafkajs and librdkafka', async (t) => {
  const { p, kafka } = await withTopics(t, [{ topic: 'kj-txn', numPartitions: 3 }])
  const raw = await RawClient.connect(p.kafka.port)
  t.after(() => raw.close())
  const producer = await transactional(t, kafka, 'kj-tx-1')
  const send = async (prefix: string, end: 'commit' | 'abort'): Promise<void> => {
    const txn = await producer.transaction()
    for (let i = 0; i < 6; i++)
      await txn.send({ topic: 'kj-txn', messages: [{ partition: i % 3, value: `${prefix}-${i}` }] })
    await txn[end]()
  }
  await send('committed', 'commit')
  await send('aborted', 'abort')
  await send('later', 'commit')
  await completed(raw, 'kj-tx-1', 'CompleteCommit')

  const expectedCommitted = {
    0: ['committed-0', 'committed-3', 'later-0', 'later-3'],
    1: ['committed-1', 'committed-4', 'later-1', 'later-4'],
    2: ['committed-2', 'committed-5', 'later-2', 'later-5'],
  }
  const expectedAll = {
    0: ['committed-0', 'committed-3', 'aborted-0', 'aborted-3', 'later-0', 'later-3'],
    1: ['committed-1', 'committed-4', 'aborted-1', 'aborted-4', 'later-1', 'later-4'],
    2: ['committed-2', 'committed-5', 'aborted-2', 'aborted-5', 'later-2', 'later-5'],
  }
  assert.deepEqual(byPartition(await kafkajsRead(t, kafka, 'kj-txn', false, 12)), expectedCommitted)
  assert.deepEqual(byPartition(await kafkajsRead(t, kafka, 'kj-txn', true, 18)), expectedAll)
  const bootstrap = `127.0.0.1:${p.kafka.port}`
  assert.deepEqual(byPartition(await rdkafkaRead(bootstrap, 'kj-txn', 'read_committed')), expectedCommitted)
  assert.deepEqual(byPartition(await rdkafkaRead(bootstrap, 'kj-txn', 'read_uncommitted')), expectedAll)
})

test('kafkajs and librdkafka read_committed: interleaved transactions aborted in the other order than they began', async (t) => {
  const { p, kafka } = await withTopics(t, [{ topic: 'kj-interleaved', numPartitions: 1 }])
  const [a, b, c] = await Promise.all(
    ['kj-first', 'kj-second', 'kj-after'].map((id) => transactional(t, kafka, id)),
  )
  const send = (txn: { send: typeof a.send }, value: string) =>
    txn.send({ topic: 'kj-interleaved', messages: [{ partition: 0, value }] })
  // Offsets: first-0 (0), second-0 (1), first-1 (2), second-1 (3), then second's abort marker (4)
  // before first's (5): the aborted transactions end in the other order than they began.
  const [ta, tb] = [await a.transaction(), await b.transaction()]
  await send(ta, 'first-0')
  await send(tb, 'second-0')
  await send(ta, 'first-1')
  await send(tb, 'second-1')
  await tb.abort()
  await ta.abort()
  const tc = await c.transaction()
  await send(tc, 'after-0')
  await send(tc, 'after-1')
  await tc.commit()

  const expected = { 0: ['after-0', 'after-1'] }
  assert.deepEqual(byPartition(await kafkajsRead(t, kafka, 'kj-interleaved', false, 2)), expected)
  const bootstrap = `127.0.0.1:${p.kafka.port}`
  assert.deepEqual(byPartition(await rdkafkaRead(bootstrap, 'kj-interleaved', 'read_committed')), expected)
})

test('kafkajs sendOffsets: the group offset advances with a committed transaction only', async (t) => {
  const p = await testPlatform(t)
  const kafka = client(p.kafka.port)
  const raw = await RawClient.connect(p.kafka.port)
  t.after(() => raw.close())
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'kj-in', numPartitions: 1 }, { topic: 'kj-out' }] })
  const producer = await transactional(t, kafka, 'kj-ctp')

  const fetchOffset = async (): Promise<[bigint, number]> => {
    const r = await raw.request(9, 7, {
      groupId: 'kj-group',
      topics: [{ name: 'kj-in', partitionIndexes: [0] }],
      groups: [],
      requireStable: true,
    })
    return [r.topics[0]!.partitions[0]!.committedOffset, r.topics[0]!.partitions[0]!.errorCode]
  }
  const step = async (offset: number, end: 'commit' | 'abort'): Promise<void> => {
    const txn = await producer.transaction()
    await txn.send({ topic: 'kj-out', messages: [{ value: `result-${offset}` }] })
    await txn.sendOffsets({
      consumerGroupId: 'kj-group',
      topics: [{ topic: 'kj-in', partitions: [{ partition: 0, offset: String(offset) }] }],
    })
    assert.deepEqual(await fetchOffset(), [-1n, 88], 'pending transactional offsets are unstable')
    await txn[end]()
    await completed(raw, 'kj-ctp', end === 'commit' ? 'CompleteCommit' : 'CompleteAbort')
  }
  await step(5, 'commit')
  assert.deepEqual(await fetchOffset(), [5n, 0])
  await step(9, 'abort')
  assert.deepEqual(await fetchOffset(), [5n, 0])
  const listed = await admin.fetchOffsets({ groupId: 'kj-group', topics: ['kj-in'] })
  assert.deepEqual(
    listed.map((x) => ({ topic: x.topic, partitions: x.partitions.map((y) => [y.partition, y.offset]) })),
    [{ topic: 'kj-in', partitions: [[0, '5']] }],
  )
  await admin.disconnect()
  assert.deepEqual(
    (await rdkafkaRead(`127.0.0.1:${p.kafka.port}`, 'kj-out', 'read_committed')).map((r) => r.value),
    ['result-5'],
  )
})

test('kafkajs: a second producer with the same transactional id fences the first', async (t) => {
  const { p, kafka } = await withTopics(t, [{ topic: 'kj-fence', numPartitions: 1 }])
  const first = await transactional(t, kafka, 'kj-fenced')
  const zombie = await first.transaction()
  await zombie.send({ topic: 'kj-fence', messages: [{ value: 'zombie' }] })

  const second = await transactional(t, kafka, 'kj-fenced')
  // kafkajs initialises the transactional producer id (InitProducerId with the id) on its first
  // transaction: that aborts the zombie's open transaction and fences its epoch.
  const live = await second.transaction()

  // The zombie's produce reaches the broker with its fenced epoch (kafkajs speaks Produce v3-7
  // and EndTxn v0-1, whose fencing error is INVALID_PRODUCER_EPOCH).
  const fenced = (e: Error & { type?: string }): boolean => {
    assert.equal(e.type, 'INVALID_PRODUCER_EPOCH', `${e.name}: ${e.message}`)
    return true
  }
  await assert.rejects(zombie.send({ topic: 'kj-fence', messages: [{ value: 'zombie-again' }] }), fenced)
  await assert.rejects(zombie.commit(), fenced)

  await live.send({ topic: 'kj-fence', messages: [{ value: 'live' }] })
  await live.commit()
  const bootstrap = `127.0.0.1:${p.kafka.port}`
  await until(
    10_000,
    'the live record',
    async () => (await rdkafkaRead(bootstrap, 'kj-fence', 'read_committed')).length === 1,
  )
  assert.deepEqual(
    (await rdkafkaRead(bootstrap, 'kj-fence', 'read_committed')).map((r) => r.value),
    ['live'],
  )
  assert.deepEqual(
    (await rdkafkaRead(bootstrap, 'kj-fence', 'read_uncommitted')).map((r) => r.value),
    ['zombie', 'live'],
  )
})
