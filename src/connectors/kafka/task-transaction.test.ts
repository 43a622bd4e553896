// A task moving between processes, at the level of its transaction and its state-topic checkpoints,
// against a real `riffle serve`: the new holder fences the old one (whose open output is aborted and
// whose later commit fails), restores the last committed checkpoint, and a read_committed reader
// sees each interval's output exactly once.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Admin, Consumer } from '@platformatic/kafka'
import { Kafka, logLevel } from 'kafkajs'
import { startBroker } from '../../../test/helpers/broker.ts'
import { tempDir } from '../../../test/helpers/tmp.ts'
import type { Checkpoint } from '../../engine/runtime/checkpoints.ts'
import type { TopicSinkSpec } from '../../engine/runtime/job.ts'
import { KafkaSinkWriter } from './sink.ts'
import type { TopicInfo } from './source.ts'
import { StateTopicCheckpoints } from './state-checkpoints.ts'
import { TaskTransaction } from './task-transaction.ts'

const OUT: TopicSinkSpec = { kind: 'topic', topic: 'out', format: 'json', keyFormat: 'auto' }

function checkpoint(id: number, graph: string): Checkpoint {
  return {
    version: 1,
    id,
    pipeline: 'p',
    time: 0,
    finished: false,
    sources: { in: { offsets: [id * 10], next: 0 } },
    sinks: {},
    graph,
    stats: { recordsIn: id, recordsOut: id, skipped: 0, deadLettered: 0 },
  }
}

test('a task taken over: the new holder fences the old one and restores the last committed checkpoint', async (t) => {
  const broker = await startBroker(t, tempDir(t))
  const bootstrapBrokers = [broker.bootstrap]
  const admin = new Admin({ clientId: 'test', bootstrapBrokers })
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    clientId: 'test',
    bootstrapBrokers,
    groupId: 'g',
  })
  const holders: TaskTransaction[] = []
  t.after(async () => {
    await Promise.allSettled([admin.close(), consumer.close(true), ...holders.map((h) => h.close())])
    await broker.kill()
  })
  await admin.createTopics({ topics: ['state'], partitions: 2, replicas: 1 })
  await admin.createTopics({ topics: ['out'], partitions: 1, replicas: 1 })
  const meta = (await consumer.metadata({ topics: ['state'] })).topics.get('state')!
  const info: TopicInfo = {
    topic: 'state',
    topicId: 'state',
    leaders: meta.partitions.map((p) => p.leader),
    earliest: [],
    latest: [],
  }
  const holder = () => {
    const txn = new TaskTransaction(bootstrapBrokers, 'test', 'riffle-p-s-1')
    holders.push(txn)
    return {
      txn,
      store: new StateTopicCheckpoints({ consumer, info, partition: 1, output: txn }),
      out: new KafkaSinkWriter(txn, OUT, 1),
    }
  }
  const rec = (n: number) => ({ value: { n }, timestamp: 1_700_000_000_000 + n })

  // The first holder: nothing to restore; interval 1 (output 1, 2) committed with checkpoint 1; a
  // big checkpoint 2 (several chunks) with output 3; then output 4 written but not checkpointed.
  const a = holder()
  assert.equal(await a.store.load(), null)
  await a.out.recover(undefined)
  a.out.write([rec(1), rec(2)])
  await a.out.prepare()
  await a.store.write(checkpoint(1, 'small'))
  const big = 'x'.repeat(700_000)
  a.out.write([rec(3)])
  await a.out.prepare()
  await a.store.write(checkpoint(2, big))
  a.out.write([rec(4)])
  await a.out.prepare()

  // The second holder fences the first (aborting output 4) and finds checkpoint 2 whole.
  const b = holder()
  const restored = await b.store.load()
  assert.deepEqual(restored, checkpoint(2, big))
  // The first holder's checkpoint now fails: it cannot commit what it had open.
  await assert.rejects(a.store.write(checkpoint(3, 'zombie')))
  await b.out.recover(undefined)
  b.out.write([rec(5)])
  await b.out.prepare()
  await b.store.write(checkpoint(3, 'after takeover'))

  // A third holder finds the second's checkpoint; read_committed sees 1, 2, 3, 5: never 4.
  const c = holder()
  assert.deepEqual(await c.store.load(), checkpoint(3, 'after takeover'))
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
  const reader = kafka.consumer({ groupId: 'reader', maxWaitTimeInMs: 100 })
  await reader.connect()
  await reader.subscribe({ topic: 'out', fromBeginning: true })
  const seen: string[] = []
  await reader.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) })
  const deadline = Date.now() + 10_000
  while (seen.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  await new Promise((r) => setTimeout(r, 500))
  await reader.disconnect()
  assert.deepEqual(seen, ['{"n":1}', '{"n":2}', '{"n":3}', '{"n":5}'])
  // Partition 0 of the state topic (another task) is untouched.
  const other = new StateTopicCheckpoints({ consumer, info, partition: 0, output: c.txn })
  assert.equal(await other.load(), null)
})
