// A transactional librdkafka producer is killed with SIGKILL in the middle of a transaction whose
// records are already in the log; then the broker is killed and restarted too. The open
// transaction holds the last stable offset back, so read_committed consumers never see its
// records; once transaction.timeout.ms has passed, the restarted coordinator aborts it (fencing the
// dead producer's epoch) and the last stable offset moves on to the end of the log.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { tempDir } from '../helpers/tmp.ts'
import { RdkafkaClient, byPartition, rdkafkaRead, until } from './support.ts'

const TIMEOUT_MS = 3000

async function ends(c: RawClient, isolationLevel: 0 | 1): Promise<bigint[]> {
  const r = await c.request(2, 7, {
    replicaId: -1,
    isolationLevel,
    topics: [
      {
        name: 'tk',
        partitions: [0, 1].map((i) => ({
          partitionIndex: i,
          currentLeaderEpoch: -1,
          timestamp: -1n,
          maxNumOffsets: 1,
        })),
      },
    ],
    timeoutMs: 0,
  })
  return r.topics[0]!.partitions.map((p) => p.offset)
}

test('a producer killed mid-transaction: its records stay invisible to read_committed, and the transaction times out', async (t) => {
  const dataDir = tempDir(t)
  let broker = await startBroker(t, dataDir)
  let raw = await RawClient.connect(broker.port)
  t.after(() => raw.close())
  const created = await raw.request(19, 7, {
    topics: [{ name: 'tk', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  })
  assert.equal(created.topics[0]!.errorCode, 0)

  const doomed = new RdkafkaClient(t, broker.bootstrap)
  await doomed.ok({ op: 'producer', transactional_id: 'tk-tx', timeout_ms: TIMEOUT_MS })
  await doomed.ok({ op: 'init' })
  await doomed.ok({ op: 'begin' })
  for (let i = 0; i < 4; i++)
    await doomed.ok({ op: 'produce', topic: 'tk', partition: i % 2, value: `committed-${i}` })
  await doomed.ok({ op: 'commit' })
  // The transaction starts with its first partition, after this: its timeout counts from then.
  const beganAt = Date.now()
  await doomed.ok({ op: 'begin' })
  for (let i = 0; i < 4; i++)
    await doomed.ok({ op: 'produce', topic: 'tk', partition: i % 2, value: `open-${i}` })
  assert.equal((await doomed.ok({ op: 'flush' })).delivered, 4)
  const killedAt = Date.now()
  doomed.kill()

  // Each partition: 2 committed records, the commit marker, then 2 records of the open transaction.
  await until(5000, 'the commit markers', async () => (await ends(raw, 1)).every((o) => o === 3n))
  assert.deepEqual(await ends(raw, 0), [5n, 5n])
  assert.deepEqual(byPartition(await rdkafkaRead(broker.bootstrap, 'tk', 'read_committed')), {
    0: ['committed-0', 'committed-2'],
    1: ['committed-1', 'committed-3'],
  })

  // The coordinator's state and the partitions' producer state survive a crash of the broker too.
  raw.close()
  await broker.kill()
  broker = await broker.restart()
  raw = await RawClient.connect(broker.port)
  const described = await raw.request(65, 0, { transactionalIds: ['tk-tx'] })
  const before = described.transactionStates[0]!
  assert.equal(before.transactionTimeoutMs, TIMEOUT_MS)
  t.diagnostic(`restarted ${Date.now() - killedAt} ms after the producer died`)
  if (Date.now() - killedAt < TIMEOUT_MS - 500) {
    assert.equal(before.transactionState, 'Ongoing')
    assert.deepEqual(
      before.topics.map((x) => [x.topic, x.partitions]),
      [['tk', [0, 1]]],
    )
    assert.deepEqual(await ends(raw, 1), [3n, 3n], 'the open transaction still holds the LSO back')
  }

  // Aborted after its timeout: abort markers at offset 5, and the LSO is the log end again.
  await until(TIMEOUT_MS + 5000, 'the timed-out transaction to be aborted', async () => {
    const r = await raw.request(65, 0, { transactionalIds: ['tk-tx'] })
    return r.transactionStates[0]!.transactionState === 'CompleteAbort'
  })
  assert.ok(Date.now() - beganAt >= TIMEOUT_MS, 'not aborted before its timeout')
  const after = (await raw.request(65, 0, { transactionalIds: ['tk-tx'] })).transactionStates[0]!
  assert.equal(after.producerEpoch, before.producerEpoch + 1, 'the dead producer is fenced')
  assert.deepEqual(await ends(raw, 1), [6n, 6n])
  assert.deepEqual(await ends(raw, 0), [6n, 6n])
  assert.deepEqual(byPartition(await rdkafkaRead(broker.bootstrap, 'tk', 'read_committed')), {
    0: ['committed-0', 'committed-2'],
    1: ['committed-1', 'committed-3'],
  })
  assert.deepEqual(byPartition(await rdkafkaRead(broker.bootstrap, 'tk', 'read_uncommitted')), {
    0: ['committed-0', 'committed-2', 'open-0', 'open-2'],
    1: ['committed-1', 'committed-3', 'open-1', 'open-3'],
  })

  // A new incarnation of the producer carries on.
  const next = new RdkafkaClient(t, broker.bootstrap)
  await next.ok({ op: 'producer', transactional_id: 'tk-tx', timeout_ms: TIMEOUT_MS })
  await next.ok({ op: 'init' })
  await next.ok({ op: 'begin' })
  await next.ok({ op: 'produce', topic: 'tk', partition: 0, value: 'after' })
  await next.ok({ op: 'commit' })
  await until(5000, 'the new commit', async () => (await ends(raw, 1))[0] === 8n)
  assert.deepEqual(byPartition(await rdkafkaRead(broker.bootstrap, 'tk', 'read_committed')), {
    0: ['committed-0', 'committed-2', 'after'],
    1: ['committed-1', 'committed-3'],
  })
  await next.exit()
})
