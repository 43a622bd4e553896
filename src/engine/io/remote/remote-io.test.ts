// Topic I/O of worker-thread tasks against a real LogStore: remote readers over a MessageChannel hand
// out exactly the batches, bad records and positions of the embedded TopicSourceReader (read_committed,
// bounded ends, assigned partitions, restore, wake-ups); remote exactly-once sinks commit and recover
// through real TopicSinkWriters; and a PipelineTask in a real Worker reads and writes through a LogHost.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type TestContext, test } from 'node:test'
import { MessageChannel, Worker } from 'node:worker_threads'
import { BASE_TIME, committed } from '../../../../test/helpers/pipelines.ts'
import { testPlatform } from '../../../../test/helpers/platform.ts'
import { systemClock } from '../../../core/time.ts'
import { LogStore } from '../../../log/store.ts'
import { decodeRecordBatch, encodeRecordBatch } from '../../../protocol/records/record.ts'
import type { StreamRecord } from '../../model/record.ts'
import { partitionFor } from '../../partitioning/partition.ts'
import { CheckpointStore, pipelineDir } from '../../runtime/checkpoints.ts'
import type { Guarantee, TopicSinkSpec, TopicSourceSpec } from '../../runtime/job.ts'
import type { TaskStats } from '../../runtime/task.ts'
import type { Plain } from '../../serde/plain.ts'
import { producerIdsFrom } from '../embedded.ts'
import type { SourceBatch, SourceReader } from '../io.ts'
import type { TaskIO } from '../task-io.ts'
import { TopicSourceReader } from '../topic-source.ts'
import { LogHost } from './log-host.ts'
import { packRecords, unpackRecords } from './records.ts'
import { remoteIO } from './remote-io.ts'
import { EARLIEST, START } from './remote-source.ts'

interface Setup {
  store: LogStore
  host: LogHost
  io: TaskIO
}

/** A LogStore, a LogHost serving one end of a MessageChannel, and remote I/O on the other end. */
function setup(t: TestContext, guarantee: Guarantee = 'exactly-once', exactlyOnce = true): Setup {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riffle-remote-'))
  const store = LogStore.open(dir, { maintenanceIntervalMs: 0 })
  let ids = 100n
  const host = new LogHost({ store, guarantee, producerIds: async () => ids++ })
  const { port1, port2 } = new MessageChannel()
  host.serve(port1)
  const io = remoteIO(port2, { clock: systemClock, exactlyOnce })
  t.after(async () => {
    port2.close()
    await host.close()
    await store.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return { store, host, io }
}

const spec = (over: Partial<TopicSourceSpec> = {}): TopicSourceSpec => ({
  kind: 'topic',
  topic: 'in',
  format: 'json',
  startFrom: 'earliest',
  bounded: false,
  isolation: 'read_committed',
  ...over,
})

const plain = (...values: string[]) =>
  encodeRecordBatch(
    values.map((v) => ({ value: v, timestamp: BASE_TIME })),
    { baseTimestamp: BASE_TIME },
  )

const txn = (pid: bigint, ...values: string[]) =>
  encodeRecordBatch(
    values.map((value) => ({ value, timestamp: BASE_TIME + 1 })),
    { producerId: pid, producerEpoch: 0, baseSequence: 0, transactional: true },
  )

const marker = (producerId: bigint, commit: boolean) => ({
  producerId,
  producerEpoch: 0,
  commit,
  coordinatorEpoch: 0,
})

/** A batch as plain data: values, and bad records by partition, offset and raw value. */
function shape(b: SourceBatch) {
  return {
    partition: b.partition,
    values: b.records.map((r) => [r.value, r.timestamp]),
    bad: b.bad.map((x) => [x.partition, x.offset, x.value?.toString() ?? null, x.error.message]),
  }
}

async function drain(reader: SourceReader, max: number) {
  const out: ReturnType<typeof shape>[] = []
  for (let b = await reader.poll(max); b; b = await reader.poll(max)) out.push(shape(b))
  return out
}

/** `p`, or a failure if it takes longer than a second (a wake-up that never comes). */
function soon<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within a second`)), 1000)
  })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

const values = (batches: ReturnType<typeof shape>[]) => batches.flatMap((b) => b.values.map(([v]) => v))

/** Two partitions: committed, aborted and open transactions, control batches, bad records. */
async function mixedTopic(store: LogStore) {
  const [p0, p1] = store.createTopic('in', 2).partitions
  await p0!.append(plain('"a"', '"b"')) // 0-1
  await p0!.append(txn(7n, '"c"')) // 2
  await p0!.append(txn(8n, '"d"', '"d2"')) // 3-4
  await p0!.appendMarker(marker(7n, true)) // 5
  await p0!.appendMarker(marker(8n, false)) // 6
  await p0!.append(plain('"e"', 'not json')) // 7-8
  await p0!.append(txn(9n, '"f"')) // 9, open
  await p0!.append(plain('"g"')) // 10, behind the open transaction
  await p1!.append(plain('"x"', '{"y":1}', '{oops')) // 0-2
  await p1!.append(plain('"z"')) // 3
  return { p0: p0!, p1: p1! }
}

test('a remote reader hands out exactly what the embedded reader does', async (t) => {
  const { store, io } = setup(t)
  const { p0 } = await mixedTopic(store)
  const both = [0, 1]
  for (const over of [{}, { isolation: 'read_uncommitted' as const }])
    for (const max of [1, 2, 3, 100]) {
      const embedded = await drain(new TopicSourceReader(store, spec(over)), max)
      const remote = io.openSource(spec({ ...over, assigned: both }))
      assert.deepEqual(await drain(remote, max), embedded, `${JSON.stringify(over)}, ${max} at a time`)
      await remote.close()
    }
  // The content itself: aborted data, control batches and what follows the open transaction are not read.
  const remote = io.openSource(spec({ assigned: both }))
  assert.deepEqual(await drain(remote, 100), [
    {
      partition: 0,
      values: [
        ['a', BASE_TIME],
        ['b', BASE_TIME],
        ['c', BASE_TIME + 1],
        ['e', BASE_TIME],
      ],
      bad: [[0, 8, 'not json', `in/0@8: not json: ${jsonError('not json')}`]],
    },
    {
      partition: 1,
      values: [
        ['x', BASE_TIME],
        [{ y: 1 }, BASE_TIME],
        ['z', BASE_TIME],
      ],
      bad: [[1, 2, '{oops', `in/1@2: not json: ${jsonError('{oops')}`]],
    },
  ])
  assert.deepEqual(remote.position(), { offsets: [9, 4], next: 0 })

  // A restore in the middle continues where the embedded reader would.
  const single = new TopicSourceReader(store, spec())
  await single.poll(1)
  await single.poll(1)
  const resumed = io.openSource(spec({ assigned: both }))
  resumed.restore(single.position())
  assert.deepEqual(resumed.position(), single.position())
  assert.deepEqual(await drain(resumed, 1), await drain(single, 1))
  assert.deepEqual(resumed.position(), single.position())
  assert.deepEqual(resumed.position(), { offsets: [9, 4], next: 1 })

  // Bounded: the ends are those of the first request, whatever is committed later.
  const bounded = io.openSource(spec({ bounded: true, assigned: both }))
  const embeddedBounded = new TopicSourceReader(store, spec({ bounded: true }))
  assert.equal(bounded.finished, false, 'not finished before the ends are known')
  assert.deepEqual(shape((await bounded.poll(1))!).values, [['a', BASE_TIME]])
  await embeddedBounded.poll(1)

  // A waiting reader wakes up on an append to one of its partitions.
  const woke = remote.waitForData(new AbortController().signal)
  await p0.appendMarker(marker(9n, true)) // 11: f and g become readable
  await soon(woke, 'the wake-up')
  assert.deepEqual(values(await drain(remote, 100)), ['f', 'g'])
  assert.deepEqual(remote.position(), { offsets: [12, 4], next: 1 })
  const rest = await drain(bounded, 100)
  assert.deepEqual(values(rest), ['x', { y: 1 }, 'z', 'b', 'c', 'e'])
  assert.deepEqual(rest, await drain(embeddedBounded, 100))
  assert.equal(bounded.finished, true)
  assert.deepEqual(bounded.position(), embeddedBounded.position())

  // startFrom latest, through the host.
  const latest = io.openSource(spec({ startFrom: 'latest', assigned: both }))
  assert.equal(await latest.poll(10), null)
  await p0.append(plain('"h"'))
  assert.deepEqual(values(await drain(latest, 10)), ['h'])
})

function jsonError(text: string): string {
  try {
    JSON.parse(text)
  } catch (e) {
    return (e as Error).message
  }
  return ''
}

test('assigned partitions: channel i is partition assigned[i], embedded and remote alike', async (t) => {
  const { store, io } = setup(t)
  const topic = store.createTopic('in', 3)
  for (const [p, log] of topic.partitions.entries())
    await log.append(plain(...[0, 1, 2].map((i) => `"p${p}-${i}"`)))
  await topic.partitions[2]!.append(plain('nope'))
  const expected = [
    { partition: 0, values: ['p2-0', 'p2-1'], bad: [] },
    { partition: 1, values: ['p0-0', 'p0-1'], bad: [] },
    { partition: 0, values: ['p2-2'], bad: [[2, 3, 'nope', `in/2@3: not json: ${jsonError('nope')}`]] },
    { partition: 1, values: ['p0-2'], bad: [] },
  ]
  const short = (b: ReturnType<typeof shape>) => ({ ...b, values: b.values.map(([v]) => v) })
  const embedded = new TopicSourceReader(store, spec({ assigned: [2, 0] }))
  assert.equal(embedded.partitions, 2)
  assert.deepEqual((await drain(embedded, 2)).map(short), expected)
  assert.deepEqual(embedded.position(), { offsets: [4, 3], next: 0 })
  const remote = io.openSource(spec({ assigned: [2, 0] }))
  assert.equal(remote.partitions, 2)
  assert.deepEqual((await drain(remote, 2)).map(short), expected)
  assert.deepEqual(remote.position(), { offsets: [4, 3], next: 0 })

  // Positions are per assigned partition, in assigned order.
  const from = { offsets: [1, 2], next: 1 } as Plain
  const a = new TopicSourceReader(store, spec({ assigned: [2, 0] }))
  const b = io.openSource(spec({ assigned: [2, 0] }))
  a.restore(from)
  b.restore(from)
  const rest = [
    { partition: 1, values: ['p0-2'], bad: [] },
    {
      partition: 0,
      values: ['p2-1', 'p2-2'],
      bad: [[2, 3, 'nope', `in/2@3: not json: ${jsonError('nope')}`]],
    },
  ]
  assert.deepEqual((await drain(a, 10)).map(short), rest)
  assert.deepEqual((await drain(b, 10)).map(short), rest)
  assert.throws(() => b.restore({ offsets: [0, 0, 0], next: 0 }), /the checkpoint has 3/)

  // What cannot be assigned is refused, and a remote reader must be told its partitions.
  for (const assigned of [[3], [0, 0], [], [-1]])
    assert.throws(() => new TopicSourceReader(store, spec({ assigned })), /assigned partitions must be/)
  assert.throws(() => io.openSource(spec()), /needs the partitions it reads \(spec.assigned\)/)
  const wrong = io.openSource(spec({ assigned: [5] }))
  await assert.rejects(
    wrong.poll(1),
    /assigned partitions must be distinct partitions of the topic \(0 to 2\)/,
  )
})

test('a remote reader waits for appends, for an abort, and never queues more than one wake-up', async (t) => {
  const { store, io } = setup(t)
  const log = store.createTopic('in', 1).partitions[0]!
  const reader = io.openSource(spec({ assigned: [0] }))
  assert.equal(await reader.poll(10), null)
  const stop = new AbortController()
  const waiting = reader.waitForData(stop.signal)
  stop.abort()
  await waiting
  // Appends while nobody waits: one wake-up is kept for the next wait, the rest are not sent.
  for (let i = 0; i < 5; i++) await log.append(plain(`${i}`))
  await new Promise((r) => setTimeout(r, 20))
  await soon(reader.waitForData(new AbortController().signal), 'the kept wake-up')
  const second = new AbortController()
  const pending = reader.waitForData(second.signal)
  let woken = false
  void pending.then(() => {
    woken = true
  })
  await new Promise((r) => setTimeout(r, 20))
  assert.equal(woken, false, 'the five appends gave one wake-up')
  second.abort()
  await pending
  assert.deepEqual(values(await drain(reader, 100)), [0, 1, 2, 3, 4])
})

test('before the host has answered, positions hold placeholders the host resolves', async (t) => {
  const { store, io } = setup(t)
  const [p0, p1] = store.createTopic('in', 2).partitions
  await p0!.append(plain('"a"', '"b"'))
  await p1!.append(plain('"c"'))
  await p0!.deleteRecords(1)
  // Where a reader starts (per startFrom) is only known once the host answers `source.open`.
  const early = io.openSource(spec({ assigned: [0, 1] }))
  const placeholder = early.position()
  assert.deepEqual(placeholder, { offsets: [START, START], next: 0 })
  assert.deepEqual(values(await drain(early, 10)), ['b', 'c'])
  const again = io.openSource(spec({ startFrom: 'latest', assigned: [0, 1] }))
  again.restore(placeholder)
  await p1!.append(plain('"d"'))
  assert.deepEqual(values(await drain(again, 10)), ['d'], 'resolved as its own start: latest')
  // A partition the checkpoint lacks starts at the log start, as embedded, before the answer or after.
  for (const answered of [false, true]) {
    const grown = io.openSource(spec({ assigned: [1, 0] }))
    if (answered) await grown.poll(0)
    grown.restore({ offsets: [1], next: 0 })
    if (!answered) assert.deepEqual(grown.position(), { offsets: [1, EARLIEST], next: 0 })
    assert.deepEqual(values(await drain(grown, 10)), ['d', 'b'])
    assert.deepEqual(grown.position(), { offsets: [2, 2], next: 0 })
  }
})

const sinkSpec: TopicSinkSpec = {
  kind: 'topic',
  topic: 'out',
  format: 'json',
  keyFormat: 'auto',
  partitions: 2,
  key: (v) => (v as { user: string }).user,
}

const orders = (...users: string[]): StreamRecord[] =>
  users.map((user, i) => ({ value: { user, n: i }, timestamp: BASE_TIME + i }))

const expectedOut = (records: StreamRecord[]) =>
  records
    .map((r) => {
      const { user } = r.value as { user: string }
      return {
        partition: partitionFor(user, 2),
        key: user,
        value: JSON.stringify(r.value),
        timestamp: r.timestamp,
      }
    })
    .sort((a, b) => a.value.localeCompare(b.value))

async function visible(store: LogStore, topic = 'out') {
  const out = await committed(store, topic)
  return out.records.sort((a, b) => a.value!.localeCompare(b.value!))
}

test('a remote exactly-once sink: commit makes output visible, recovery aborts what followed', async (t) => {
  const { store, io } = setup(t)
  const w = io.openSink(sinkSpec)
  await w.recover(undefined)
  const first = orders('ann', 'bob', 'cid', 'dan')
  w.write(first)
  await w.flush()
  assert.deepEqual(await visible(store), [], 'nothing is visible before the commit')
  const p1 = await w.prepare()
  const partitions = (p1 as { commit: { partitions: number[] } }).commit.partitions
  assert.deepEqual(p1, {
    commit: { producerId: '100', epoch: 0, partitions },
    next: { producerId: '100', epoch: 1 },
  })
  await w.commit()
  assert.deepEqual(await visible(store), expectedOut(first))

  // Output after the checkpoint, even prepared: a crash, then recovery from the checkpoint.
  w.write(orders('eve', 'fay'))
  await w.flush()
  await w.prepare()
  await w.close()
  const again = io.openSink(sinkSpec)
  await again.recover(p1)
  const out = await committed(store, 'out')
  assert.equal(out.open, 0)
  assert.ok(out.aborted >= 1)
  assert.deepEqual(await visible(store), expectedOut(first), 'the uncommitted output is never visible')
  const last = orders('gus', 'hal')
  again.write(last)
  await again.prepare()
  await again.commit()
  assert.deepEqual(await visible(store), expectedOut([...first, ...last]))
  for (const log of store.topic('out')!.partitions) assert.equal(log.lastStableOffset, log.highWatermark)
  await again.close()
})

test('a remote sink sends large output in several messages, each record intact and in order', async (t) => {
  const { store, io } = setup(t)
  const w = io.openSink({ ...sinkSpec, key: undefined, format: 'string', keyFormat: 'string', partitions: 1 })
  await w.recover(undefined)
  const many = Array.from({ length: 3000 }, (_, i) => ({
    value: `${i}:${'x'.repeat(i % 300)}`,
    timestamp: BASE_TIME + i,
    key: `k${i % 7}`,
  }))
  // Most in one write (sent in parts as it grows), the rest in small writes and flushes.
  w.write(many.slice(0, 2500))
  for (let i = 2500; i < many.length; i += 100) {
    w.write(many.slice(i, i + 100))
    await w.flush()
  }
  await w.prepare()
  await w.commit()
  const out = await committed(store, 'out')
  assert.deepEqual(
    out.records,
    many.map((r) => ({ partition: 0, key: r.key, value: r.value, timestamp: r.timestamp })),
  )
})

test('flush waits while more than four sends are unanswered (backpressure)', async (t) => {
  // A stand-in host that answers everything at once except writes, which it answers when told.
  const { port1, port2 } = new MessageChannel()
  const held: number[] = []
  port1.on('message', (m: { id: number; op: string }) => {
    if (m.op === 'sink.write') held.push(m.id)
    else port1.postMessage({ kind: 'reply', id: m.id, result: null })
  })
  const answer = () => port1.postMessage({ kind: 'reply', id: held.shift()!, result: null })
  t.after(() => port1.close())
  const w = remoteIO(port2, { clock: systemClock, exactlyOnce: false }).openSink(sinkSpec)
  await w.recover(undefined)
  const big = { value: { user: 'u', pad: 'x'.repeat(300_000) }, timestamp: BASE_TIME }
  for (let i = 0; i < 6; i++) w.write([big]) // each one is sent as it is written
  let flushed = false
  const flush = w.flush().then(() => {
    flushed = true
  })
  const settle = () => new Promise((r) => setTimeout(r, 20))
  await settle()
  assert.equal(held.length, 6)
  assert.equal(flushed, false)
  answer()
  await settle()
  assert.equal(flushed, false, 'five unanswered')
  answer()
  await flush
  assert.equal(held.length, 4)
})

test('a closed port fails what is waiting and what comes after', async (t) => {
  const { store, host, io } = setup(t)
  await mixedTopic(store)
  const reader = io.openSource(spec({ assigned: [0] }))
  assert.deepEqual(values([shape((await reader.poll(100))!)]), ['a', 'b', 'c', 'e'])
  await host.close()
  await assert.rejects(reader.poll(1), /the port to the log host is closed/)
  await assert.rejects(io.openSink(sinkSpec).recover(undefined), /the port to the log host is closed/)
})

test('dead letters through the host keep their raw bytes and headers', async (t) => {
  const { store, io } = setup(t)
  const dlq = io.openDeadLetters('dlq')
  await dlq.recover(undefined)
  const raw = Buffer.from([0xff, 0x00, 0x7b])
  dlq.write([
    {
      timestamp: BASE_TIME,
      value: {
        key: Buffer.from('k'),
        value: raw,
        timestamp: BASE_TIME,
        headers: [
          { key: 'riffle.error', value: 'bad' },
          { key: 'empty', value: null },
        ],
      },
    },
  ])
  await dlq.prepare()
  await dlq.commit()
  const { bytes } = await store.topic('dlq')!.partitions[0]!.read(0, 1 << 20)
  const [record] = decodeRecordBatch(bytes, 0).records
  assert.deepEqual(record!.key, Buffer.from('k'))
  assert.deepEqual(record!.value, raw)
  assert.equal(record!.timestamp, BASE_TIME)
  assert.deepEqual(
    record!.headers.map((h) => [h.key, h.value?.toString() ?? null]),
    [
      ['riffle.error', 'bad'],
      ['empty', null],
    ],
  )
})

test('packed records come back byte for byte', () => {
  const records = [
    { key: 'k', value: Buffer.from([1, 2, 3]), timestamp: 5 },
    { key: null, value: null },
    { value: 'ü', timestamp: -1, headers: [{ key: 'h', value: Buffer.alloc(0) }] },
  ]
  assert.deepEqual(unpackRecords(Buffer.from(packRecords(records))), [
    { key: Buffer.from('k'), value: Buffer.from([1, 2, 3]), timestamp: 5 },
    { key: null, value: null },
    { key: null, value: Buffer.from('ü'), timestamp: -1, headers: [{ key: 'h', value: Buffer.alloc(0) }] },
  ])
})

test('a task and a host that disagree on the guarantee fail clearly', async (t) => {
  const { io } = setup(t, 'exactly-once', false)
  const w = io.openSink(sinkSpec)
  await assert.rejects(
    w.recover(undefined),
    /the task runs at-least-once but the log host serves exactly-once/,
  )
})

test('a PipelineTask in a worker thread reads and writes topics through a LogHost', async (t) => {
  const platform = await testPlatform(t)
  const { store } = platform
  const order = (user: string, amount: number) => JSON.stringify({ user, amount })
  const [p0, p1, p2] = store.createTopic('orders', 3).partitions
  const batch = (values: string[], at: number) =>
    encodeRecordBatch(
      values.map((value, i) => ({ value, timestamp: BASE_TIME + at + i })),
      { baseTimestamp: BASE_TIME },
    )
  await p0!.append(batch([order('ann', 5), order('bob', 12), order('cid', 30)], 0)) // 0-2
  await p0!.append(txn(77n, order('ann', 99))) // 3
  await p0!.appendMarker(marker(77n, false)) // 4
  await p0!.append(batch([order('dan', 15)], 10)) // 5
  await p1!.append(batch([order('eve', 50)], 20)) // not assigned to the task
  await p2!.append(batch([order('fay', 11), 'not json', order('gus', 8), order('hal', 20)], 30)) // 0-3

  const host = new LogHost({
    store,
    guarantee: 'exactly-once',
    producerIds: producerIdsFrom(platform.broker.transactions),
  })
  const { port1, port2 } = new MessageChannel()
  host.serve(port1)
  const worker = new Worker(new URL('./fixtures/orders-worker.ts', import.meta.url), {
    workerData: { port: port2, dataDir: store.dir },
    transferList: [port2],
  })
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve))
  const result = await new Promise<{ outcome: string; stats: TaskStats }>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  assert.equal(await exited, 0)
  await host.close()

  assert.equal(result.outcome, 'finished')
  assert.equal(result.stats.recordsIn, 8)
  assert.equal(result.stats.recordsOut, 5)
  assert.equal(result.stats.deadLettered, 1)
  const cents = (user: string, amount: number, at: number) => ({
    partition: partitionFor(user, 2),
    key: user,
    value: JSON.stringify({ user, cents: amount * 100 }),
    timestamp: BASE_TIME + at,
  })
  const out = await committed(store, 'big-orders')
  assert.deepEqual(
    out.records.sort((a, b) => a.key!.localeCompare(b.key!)),
    [
      cents('bob', 12, 1),
      cents('cid', 30, 2),
      cents('dan', 15, 10),
      cents('fay', 11, 30),
      cents('hal', 20, 33),
    ],
  )
  assert.equal(out.open, 0)
  const dead = await committed(store, 'orders-dlq')
  assert.deepEqual(dead.records, [{ partition: 0, key: null, value: 'not json', timestamp: BASE_TIME + 31 }])
  const { bytes } = await store.topic('orders-dlq')!.partitions[0]!.read(0, 1 << 20)
  const headers = decodeRecordBatch(bytes, 0).records[0]!.headers
  assert.deepEqual(
    headers.filter((h) => h.key !== 'riffle.error').map((h) => [h.key, h.value?.toString()]),
    [
      ['riffle.pipeline', 'remote-orders'],
      ['riffle.source', 'topic orders'],
      ['riffle.partition', '2'],
      ['riffle.offset', '1'],
    ],
  )
  // The worker's checkpoints hold its positions per assigned partition.
  const cp = await new CheckpointStore(`${pipelineDir(store.dir, 'remote-orders')}/checkpoints`, 3).load()
  assert.equal(cp?.finished, true)
  assert.deepEqual((cp?.sources.orders as { offsets: number[] }).offsets, [6, 4])
})
