// Topic sources and sinks over a real LogStore: read_committed reading (aborted and open
// transactions, control batches), positions and bounded reads; the transactional sink's two-phase
// commit and its recovery from each point a crash can interrupt it.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type TestContext, test } from 'node:test'
import { committed } from '../../../test/helpers/pipelines.ts'
import { LogStore } from '../../log/store.ts'
import { encodeRecordBatch } from '../../protocol/records/record.ts'
import type { StreamRecord } from '../model/record.ts'
import type { TopicSourceSpec } from '../runtime/job.ts'
import type { Plain } from '../serde/plain.ts'
import { MAX_TXN_EPOCH, TopicSinkWriter } from './topic-sink.ts'
import { TopicSourceReader } from './topic-source.ts'

function openStore(t: TestContext): LogStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riffle-io-'))
  const store = LogStore.open(dir, { maintenanceIntervalMs: 0 })
  t.after(async () => {
    await store.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return store
}

const spec = (over: Partial<TopicSourceSpec> = {}): TopicSourceSpec => ({
  kind: 'topic',
  topic: 'in',
  format: 'string',
  startFrom: 'earliest',
  bounded: false,
  isolation: 'read_committed',
  ...over,
})

const txn = (pid: bigint, values: string[], seq = 0) =>
  encodeRecordBatch(
    values.map((value) => ({ value, timestamp: 1 })),
    { producerId: pid, producerEpoch: 0, baseSequence: seq, transactional: true },
  )

async function drain(reader: TopicSourceReader, max = 100): Promise<string[]> {
  const out: string[] = []
  for (let b = await reader.poll(max); b; b = await reader.poll(max))
    out.push(...b.records.map((r) => r.value as string))
  return out
}

test('read_committed: aborted transactions and control batches are skipped, open ones wait', async (t) => {
  const store = openStore(t)
  const log = store.createTopic('in', 1).partitions[0]!
  await log.append(encodeRecordBatch([{ value: 'a' }, { value: 'b' }], { baseTimestamp: 1 })) // 0-1
  await log.append(txn(7n, ['c'])) // 2
  await log.append(txn(8n, ['d', 'd2'])) // 3-4
  await log.appendMarker({ producerId: 7n, producerEpoch: 0, commit: true, coordinatorEpoch: 0 }) // 5
  await log.appendMarker({ producerId: 8n, producerEpoch: 0, commit: false, coordinatorEpoch: 0 }) // 6
  await log.append(encodeRecordBatch([{ value: 'e' }])) // 7
  await log.append(txn(9n, ['f'])) // 8, open
  await log.append(encodeRecordBatch([{ value: 'g' }])) // 9, behind the open transaction

  const committedReader = new TopicSourceReader(store, spec())
  assert.deepEqual(await drain(committedReader), ['a', 'b', 'c', 'e'])
  assert.deepEqual(committedReader.position(), { offsets: [8], next: 0 })
  const uncommitted = new TopicSourceReader(store, spec({ isolation: 'read_uncommitted' }))
  assert.deepEqual(await drain(uncommitted), ['a', 'b', 'c', 'd', 'd2', 'e', 'f', 'g'])
  const bounded = new TopicSourceReader(store, spec({ bounded: true }))
  assert.equal(bounded.finished, false)

  // One record at a time, and a restore in the middle, give the same records.
  const single = new TopicSourceReader(store, spec())
  const first = await single.poll(1)
  assert.deepEqual(first?.records, [{ value: 'a', timestamp: 1 }])
  const resumed = new TopicSourceReader(store, spec())
  resumed.restore(single.position())
  assert.deepEqual(await drain(resumed, 1), ['b', 'c', 'e'])

  const woke = committedReader.waitForData(new AbortController().signal)
  await log.appendMarker({ producerId: 9n, producerEpoch: 0, commit: true, coordinatorEpoch: 0 }) // 10
  await woke
  assert.deepEqual(await drain(committedReader), ['f', 'g'])
  assert.deepEqual(committedReader.position(), { offsets: [11], next: 0 })
  // Bounded readers stop where the topic ended when they were opened.
  assert.deepEqual(await drain(bounded), ['a', 'b', 'c', 'e'])
  assert.equal(bounded.finished, true)
  const latest = new TopicSourceReader(store, spec({ startFrom: 'latest' }))
  assert.equal(await latest.poll(10), null)
  await log.append(encodeRecordBatch([{ value: 'h' }]))
  assert.deepEqual(await drain(latest), ['h'])
})

test('a source over several partitions takes turns and keeps an offset per partition', async (t) => {
  const store = openStore(t)
  const topic = store.createTopic('in', 3)
  for (const [p, log] of topic.partitions.entries())
    await log.append(encodeRecordBatch([0, 1, 2].map((i) => ({ value: `p${p}-${i}` }))))
  const reader = new TopicSourceReader(store, spec())
  const seen: [number, string[]][] = []
  for (let b = await reader.poll(2); b; b = await reader.poll(2))
    seen.push([b.partition, b.records.map((r) => r.value as string)])
  assert.deepEqual(seen, [
    [0, ['p0-0', 'p0-1']],
    [1, ['p1-0', 'p1-1']],
    [2, ['p2-0', 'p2-1']],
    [0, ['p0-2']],
    [1, ['p1-2']],
    [2, ['p2-2']],
  ])
  assert.deepEqual(reader.position(), { offsets: [3, 3, 3], next: 0 })
})

function sink(store: LogStore, producerIds: () => Promise<bigint>, transactional = true): TopicSinkWriter {
  return new TopicSinkWriter(
    store,
    { kind: 'topic', topic: 'out', format: 'string', keyFormat: 'auto', partitions: 2 },
    { transactional, producerIds },
  )
}

const recs = (...values: string[]): StreamRecord[] => values.map((v) => ({ value: v, timestamp: 5, key: v }))

async function visible(store: LogStore): Promise<string[]> {
  const out = await committed(store, 'out')
  return out.records.map((r) => r.value!).sort()
}

test('the transactional sink: prepare, checkpoint, commit; recovery after a crash at each step', async (t) => {
  const store = openStore(t)
  let next = 100n
  const ids = async () => next++
  // A fresh start takes a producer id; nothing is visible before the commit.
  const a = sink(store, ids)
  await a.recover(undefined)
  assert.deepEqual(a.transaction, { producerId: 100n, epoch: 0 })
  a.write(recs('x1', 'x2', 'x3'))
  await a.flush()
  const p1 = await a.prepare()
  assert.deepEqual(await visible(store), [])
  const touched = (p1 as { commit: { partitions: number[] } }).commit.partitions
  assert.deepEqual(p1, {
    commit: { producerId: '100', epoch: 0, partitions: touched },
    next: { producerId: '100', epoch: 1 },
  })
  // Crash after the checkpoint, before the markers: recovery commits them.
  const b = sink(store, ids)
  await b.recover(p1)
  assert.deepEqual(await visible(store), ['x1', 'x2', 'x3'])
  assert.deepEqual(b.transaction, { producerId: 100n, epoch: 2 })
  // The recovery checkpoint, then output that a crash leaves open: aborted on recovery.
  const p2 = await b.prepare()
  assert.deepEqual(p2, { commit: null, next: { producerId: '100', epoch: 2 } })
  await b.commit()
  b.write(recs('y1', 'y2'))
  await b.prepare() // prepared, but its checkpoint never became durable
  const c = sink(store, ids)
  await c.recover(p2)
  assert.deepEqual(await visible(store), ['x1', 'x2', 'x3'])
  assert.equal((await committed(store, 'out')).open, 0)
  assert.deepEqual(c.transaction, { producerId: 100n, epoch: 3 })
  // A normal round: commit after the checkpoint; a crash after the markers changes nothing.
  await c.prepare()
  await c.commit()
  c.write(recs('z1'))
  const p3 = await c.prepare()
  await c.commit()
  c.write(recs('w1'))
  await c.flush() // the next transaction has begun in one partition
  const d = sink(store, ids)
  await d.recover(p3)
  assert.deepEqual(await visible(store), ['x1', 'x2', 'x3', 'z1'])
  assert.equal((await committed(store, 'out')).open, 0)
  for (const log of store.topic('out')!.partitions) assert.equal(log.lastStableOffset, log.highWatermark)
  // Recovering twice from the same checkpoint (a crash during recovery) is harmless.
  const e = sink(store, ids)
  await e.recover(p3)
  assert.deepEqual(await visible(store), ['x1', 'x2', 'x3', 'z1'])
})

test('the transactional sink takes a fresh producer id when the epochs run out', async (t) => {
  const store = openStore(t)
  let next = 7n
  const w = sink(store, async () => next++)
  const old: Plain = { commit: null, next: { producerId: '3', epoch: MAX_TXN_EPOCH } }
  await w.recover(old)
  assert.deepEqual(w.transaction, { producerId: 7n, epoch: 0 })
  w.write(recs('a'))
  await w.prepare()
  await w.commit()
  assert.deepEqual(await visible(store), ['a'])
})

test('the plain sink: output is visible as it is written', async (t) => {
  const store = openStore(t)
  const w = sink(store, async () => 1n, false)
  await w.recover(undefined)
  w.write(recs('a', 'b'))
  assert.equal(await w.prepare(), null)
  assert.deepEqual(await visible(store), ['a', 'b'])
  await w.close()
})
