// `riffle run --bootstrap` against a real external cluster: `riffle serve` as a child process is the
// cluster, the pipeline runs in another process whose data directory holds only checkpoints. The
// source reads every partition read_committed (an aborted transaction's records never reach the
// pipeline), the sink writes through a producer, a restart resumes at the checkpointed offsets, and
// the output read back with kafkajs (read_committed) is exact: every result once.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { type TestContext, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { startBroker } from '../../../test/helpers/broker.ts'
import { RawClient } from '../../../test/helpers/raw-client.ts'
import { apiUrl, riffleRun } from '../../../test/helpers/riffle-run.ts'
import { tempDir } from '../../../test/helpers/tmp.ts'
import { systemClock } from '../../core/time.ts'
import { DEFAULT_JOB_OPTIONS, type Job } from '../../engine/runtime/job.ts'
import { connectKafkaIO } from './io.ts'

const api = apiUrl

async function readAll(kafka: Kafka, topic: string, expected: number): Promise<Array<[number, string]>> {
  const consumer = kafka.consumer({ groupId: `reader-${Math.random()}`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const read: Array<[number, string]> = []
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      read.push([partition, message.value!.toString()])
    },
  })
  const deadline = Date.now() + 15_000
  while (read.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  await new Promise((r) => setTimeout(r, 300))
  await consumer.disconnect()
  return read
}

/** A `riffle serve` cluster with one topic, a kafkajs client of it, and a data directory for the run. */
async function cluster(t: TestContext, topic: string, partitions: number) {
  const broker = await startBroker(t, tempDir(t))
  t.after(() => broker.kill())
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] })
  await admin.disconnect()
  return { broker, dir: tempDir(t), kafka }
}

const values = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => JSON.stringify({ n: from + i, double: 2 * (from + i) }))

test('riffle run --bootstrap: topics on an external cluster, read_committed, resumed from checkpoints', async (t) => {
  const { broker, dir, kafka } = await cluster(t, 'numbers', 3)

  const producer = kafka.producer()
  await producer.connect()
  const send = (from: number, to: number) =>
    producer.send({
      topic: 'numbers',
      messages: Array.from({ length: to - from }, (_, i) => ({
        key: `k${from + i}`,
        value: JSON.stringify({ n: from + i }),
      })),
    })
  await send(0, 600)
  // An aborted transaction between committed data: never read.
  const txnProducer = kafka.producer({ transactionalId: 'feeder', idempotent: true, maxInFlightRequests: 1 })
  await txnProducer.connect()
  const aborted = await txnProducer.transaction()
  await aborted.send({
    topic: 'numbers',
    messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ n: -1 - i }) })),
  })
  await aborted.abort()
  const kept = await txnProducer.transaction()
  await kept.send({
    topic: 'numbers',
    messages: Array.from({ length: 400 }, (_, i) => ({
      key: `k${600 + i}`,
      value: JSON.stringify({ n: 600 + i }),
    })),
  })
  await kept.commit()
  await txnProducer.disconnect()

  const file = path.join(dir, 'double.ts')
  fs.writeFileSync(
    file,
    `import { pipeline, topic } from '${api}'\nconst p = pipeline('double', { checkpointEvery: '200ms', guarantee: 'at-least-once' })\np.from(topic<{ n: number }>('numbers')).map((v) => ({ n: v.n, double: 2 * v.n })).to(topic('doubled', { partitions: 2 }))\nexport default p\n`,
  )
  const args = [file, '--bootstrap', broker.bootstrap, '--data-dir', dir, '--progress', '50ms']

  const first = riffleRun(args)
  t.after(() => first.child.kill('SIGKILL'))
  await first.waitFor(new RegExp(`double starting: bootstrap ${broker.bootstrap}, data .*, at-least-once`))
  await first.waitFor(/double running: in 1,000\b/)
  first.child.kill('SIGTERM')
  assert.deepEqual(await first.exited, { code: 0, signal: null })
  assert.match(first.stderr(), /double stopped: in 1,000, out 1,000, checkpoint #\d+ 0\.0s ago\n/)
  // Nothing but checkpoints in the pipeline's data directory: no log was opened here.
  assert.deepEqual(fs.readdirSync(dir).sort(), ['double.ts', 'pipelines'])

  let read = await readAll(kafka, 'doubled', 1000)
  assert.deepEqual(read.map(([, v]) => v).sort(), values(0, 1000).sort())
  // Keyed by nothing: spread over both partitions round robin.
  assert.deepEqual(new Set(read.map(([p]) => p)), new Set([0, 1]))

  // More input while it is down; the restart continues at the checkpointed offsets.
  await send(1000, 1500)
  await producer.disconnect()
  const second = riffleRun(args)
  t.after(() => second.child.kill('SIGKILL'))
  await second.waitFor(/double running: in 1,500\b/)
  second.child.kill('SIGTERM')
  assert.deepEqual(await second.exited, { code: 0, signal: null })
  assert.match(second.stderr(), /double stopped: in 1,500, out 1,500, checkpoint #\d+ 0\.0s ago\n/)
  read = await readAll(kafka, 'doubled', 1500)
  assert.deepEqual(read.map(([, v]) => v).sort(), values(0, 1500).sort())
})

for (const scaleOut of [false, true])
  test(`riffle run --bootstrap${scaleOut ? ' --scale-out' : ''}: exactly once across SIGKILLs, the read_committed output is exact`, async (t) => {
    const { broker, dir, kafka } = await cluster(t, 'numbers', 3)
    const file = path.join(dir, 'double.ts')
    fs.writeFileSync(
      file,
      `import { pipeline, topic } from '${api}'
const p = pipeline('double', { checkpointEvery: '100ms' })
p.from(topic<{ n: number }>('numbers')).map((v) => ({ n: v.n, double: 2 * v.n })).to(topic('doubled', { partitions: 2 }))
export default p
`,
    )
    const args = [file, '--bootstrap', broker.bootstrap, '--data-dir', dir, '--progress', '50ms']
    if (scaleOut) args.push('--scale-out')

    // The input arrives while the pipeline is killed and restarted again and again.
    const TOTAL = 4000
    const producer = kafka.producer()
    await producer.connect()
    let produced = 0
    const feeding = (async () => {
      while (produced < TOTAL) {
        const from = produced
        produced = Math.min(TOTAL, produced + 100)
        await producer.send({
          topic: 'numbers',
          messages: Array.from({ length: produced - from }, (_, i) => ({
            key: `k${from + i}`,
            value: JSON.stringify({ n: from + i }),
          })),
        })
        await new Promise((r) => setTimeout(r, 40))
      }
    })()
    const kills = [700, 1100, 500, 1500, 900]
    for (const ms of kills) {
      const run = riffleRun(args)
      t.after(() => run.child.kill('SIGKILL'))
      await run.waitFor(/double starting: bootstrap .* exactly-once/)
      // A group member works once the group has assigned it the tasks (after the killed member's
      // session timed out): kill it while it works, not while it waits.
      if (scaleOut) await run.waitFor(/double holds 3 task\(s\)/)
      await new Promise((r) => setTimeout(r, ms))
      run.child.kill('SIGKILL')
      assert.equal((await run.exited).signal, 'SIGKILL', run.stderr())
      if (process.env.RIFFLE_RUN_LOG) process.stderr.write(`--- run killed after ${ms} ms\n${run.stderr()}`)
    }
    await feeding
    await producer.disconnect()
    const last = riffleRun(args)
    t.after(() => last.child.kill('SIGKILL'))
    await last.waitFor(new RegExp(`double running: in ${TOTAL.toLocaleString('en-US')}\\b`))
    last.child.kill('SIGTERM')
    assert.deepEqual(await last.exited, { code: 0, signal: null })
    const read = await readAll(kafka, 'doubled', TOTAL)
    const counts = new Map<string, number>()
    for (const [, v] of read) counts.set(v, (counts.get(v) ?? 0) + 1)
    const missing = values(0, TOTAL).filter((v) => !counts.has(v))
    const twice = [...counts].filter(([, c]) => c > 1).map(([v]) => v)
    assert.deepEqual(
      { missing: missing.length, twice: twice.length },
      { missing: 0, twice: 0 },
      `missing ${missing.slice(0, 5)} twice ${twice.slice(0, 5)}\n${last.stderr()}`,
    )
    // Nothing missing and nothing twice: the aborted output of every killed run is invisible.
    assert.deepEqual(read.map(([, v]) => v).sort(), values(0, TOTAL).sort())
  })

test('riffle run --bootstrap: records deleted before the pipeline read them are skipped with a warning, the rest is read', async (t) => {
  const { broker, dir, kafka } = await cluster(t, 'numbers', 1)
  const producer = kafka.producer()
  await producer.connect()
  t.after(() => producer.disconnect())
  const send = (from: number, to: number) =>
    producer.send({
      topic: 'numbers',
      messages: Array.from({ length: to - from }, (_, i) => ({ value: JSON.stringify({ n: from + i }) })),
    })
  await send(0, 100)
  const file = path.join(dir, 'double.ts')
  fs.writeFileSync(
    file,
    `import { pipeline, topic } from '${api}'\nconst p = pipeline('double', { checkpointEvery: '100ms', guarantee: 'at-least-once' })\np.from(topic<{ n: number }>('numbers')).map((v) => ({ n: v.n, double: 2 * v.n })).to(topic('doubled'))\nexport default p\n`,
  )
  const args = [file, '--bootstrap', broker.bootstrap, '--data-dir', dir, '--progress', '50ms']
  const first = riffleRun(args)
  t.after(() => first.child.kill('SIGKILL'))
  await first.waitFor(/double running: in 100\b/)
  first.child.kill('SIGTERM')
  assert.deepEqual(await first.exited, { code: 0, signal: null })

  // While it is down: 100 more records, and retention (here DeleteRecords) removes 100..149 unread.
  await send(100, 200)
  const raw = await RawClient.connect(broker.port)
  t.after(() => raw.close())
  const deleted = await raw.request(21, 2, {
    topics: [{ name: 'numbers', partitions: [{ partitionIndex: 0, offset: 150n }] }],
    timeoutMs: 1000,
  })
  assert.deepEqual(deleted.topics[0]!.partitions[0], { partitionIndex: 0, lowWatermark: 150n, errorCode: 0 })
  const second = riffleRun(args)
  t.after(() => second.child.kill('SIGKILL'))
  await second.waitFor(/double running: in 150\b/)
  second.child.kill('SIGTERM')
  assert.deepEqual(await second.exited, { code: 0, signal: null }, second.stderr())
  assert.match(
    second.stderr(),
    /records were deleted before the pipeline read them; continuing at the log start/,
  )
  assert.match(second.stderr(), /"from":100,"to":150/)
  const read = await readAll(kafka, 'doubled', 150)
  assert.deepEqual(
    read.map(([, v]) => v),
    [...values(0, 100), ...values(150, 200)],
  )
})

test('riffle run --bootstrap: broker and listener options are refused clearly', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'p.ts')
  fs.writeFileSync(
    file,
    `import { pipeline, topic } from '${api}'
const p = pipeline('p')
p.from(topic('a')).to(topic('b'))
export default p
`,
  )
  const listener = riffleRun([file, '--bootstrap', '127.0.0.1:9', '--kafka', '127.0.0.1:0', '--http', 'off'])
  assert.deepEqual(await listener.exited, { code: 1, signal: null })
  assert.match(listener.stderr(), /--bootstrap runs no broker here, so --kafka, --http cannot apply/)
})

test('exactly-once sink: a checkpoint whose commit a crash interrupted is committed on restore, what followed it aborted', async (t) => {
  const broker = await startBroker(t, tempDir(t))
  t.after(() => broker.kill())
  const job: Job = {
    name: 'txn',
    plan: { nodes: [], edges: [] } as unknown as Job['plan'],
    sources: {},
    sinks: { out: { kind: 'topic', topic: 'txn-out', format: 'json', keyFormat: 'auto', partitions: 2 } },
    options: { ...DEFAULT_JOB_OPTIONS },
  }
  const spec = job.sinks.out!
  const rec = (n: number) => ({ value: { n }, timestamp: 1_700_000_000_000 + n })

  const incarnation = async () => {
    const io = await connectKafkaIO({ bootstrap: broker.bootstrap, job, clock: systemClock })
    return { io, w: io.openSink(spec) }
  }
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
  const visible = async (n: number) => (await readAll(kafka, 'txn-out', n)).map(([, v]) => v).sort()

  // 1: interval 1 checkpointed and committed; interval 2 checkpointed, then a crash before its commit.
  const a = await incarnation()
  await a.w.recover(undefined)
  a.w.write([rec(1), rec(2)])
  await a.w.prepare()
  await a.w.commit()
  a.w.write([rec(3), rec(4)])
  const cp2 = await a.w.prepare()
  await a.io.close()
  assert.deepEqual(await visible(2), ['{"n":1}', '{"n":2}'])

  // 2: restoring checkpoint 2 commits its transaction. Interval 3 is checkpointed and committed,
  // interval 4 written but never checkpointed, then a crash.
  const b = await incarnation()
  await b.w.recover(cp2)
  b.w.write([rec(5), rec(6)])
  const cp3 = await b.w.prepare()
  await b.w.commit()
  b.w.write([rec(7), rec(8)])
  await b.w.flush()
  await b.w.close()
  await b.io.close()

  // 3: restoring checkpoint 3 aborts interval 4 (its input would be replayed).
  const c = await incarnation()
  await c.w.recover(cp3)
  c.w.write([rec(9)])
  await c.w.prepare()
  await c.w.commit()
  await c.io.close()
  assert.deepEqual(await visible(7), [
    '{"n":1}',
    '{"n":2}',
    '{"n":3}',
    '{"n":4}',
    '{"n":5}',
    '{"n":6}',
    '{"n":9}',
  ])
})
