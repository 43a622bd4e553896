// The runtime end to end over the embedded log: an event-time pipeline from a partitioned topic to
// a partitioned topic with exact results, checkpoints, stop/restart and crashes (kill) with
// exactly-once and at-least-once output, bad-record policies, and the other sources and sinks.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import {
  type Click,
  clicks,
  clicksPerMinute,
  committed,
  produce,
  windowCounts,
} from '../../../test/helpers/pipelines.ts'
import { testPlatform } from '../../../test/helpers/platform.ts'
import { tempDir } from '../../../test/helpers/tmp.ts'
import {
  boundedOutOfOrderness,
  count,
  file,
  generator,
  pipeline,
  sum,
  topic,
  tumbling,
} from '../../api/index.ts'
import type { Pipeline, PipelineOptions } from '../../api/index.ts'
import { isRiffleError } from '../../core/errors.ts'
import type { LogStore } from '../../log/store.ts'
import { decodeRecordBatch } from '../../protocol/records/record.ts'
import { type TaskIO, embeddedIO, producerIdsFrom } from '../io/embedded.ts'
import type { SourceBatch } from '../io/io.ts'
import { type CheckpointStorage, CheckpointStore } from './checkpoints.ts'
import type { Guarantee } from './job.ts'
import { PipelineTask } from './task.ts'

function clicksPipeline(options: PipelineOptions = {}): Pipeline {
  const p = pipeline('clicks-per-page', { checkpointEvery: '20ms', batchSize: 100, ...options })
  p.from(topic<Click>('clicks', { bounded: true }))
    .withEventTime((c) => c.ts, boundedOutOfOrderness('5s'))
    .filter((c) => c.page !== '/health')
    .keyBy((c) => c.page)
    .window(tumbling('1m'))
    .aggregate(count())
    .to(topic('clicks-per-minute', { partitions: 2 }))
  return p
}

interface Platformish {
  store: LogStore
  broker: { transactions: Parameters<typeof producerIdsFrom>[0] }
}

/** Embedded I/O that also watches every poll (and may stop or kill the task after `after` polls). */
function task(
  platform: Platformish,
  p: Pipeline,
  options: {
    guarantee?: Guarantee
    after?: number
    action?: 'stop' | 'kill'
    checkpoints?: CheckpointStorage
  } = {},
): { task: PipelineTask; batches: number[] } {
  const job = p.compile()
  const io = embeddedIO({
    store: platform.store,
    guarantee: options.guarantee ?? job.options.guarantee,
    clock: { now: () => Date.now() },
    producerIds: producerIdsFrom(platform.broker.transactions),
  })
  const batches: number[] = []
  let polls = 0
  let polling = false
  const watched: TaskIO = {
    ...io,
    openSource(spec) {
      const reader = io.openSource(spec)
      const poll = reader.poll.bind(reader)
      reader.poll = async (max: number): Promise<SourceBatch | null> => {
        assert.equal(polling, false, 'one fetch at a time')
        polling = true
        const batch = await poll(max).finally(() => {
          polling = false
        })
        if (batch) {
          assert.ok(batch.records.length + batch.bad.length <= max, 'bounded batches')
          batches.push(batch.records.length)
        }
        if (++polls === options.after) options.action === 'kill' ? t.kill() : t.stop()
        return batch
      }
      const pollValues = reader.pollValues?.bind(reader)
      if (pollValues)
        reader.pollValues = async (max: number) => {
          const batch = await pollValues(max)
          if (batch) batches.push(batch.length)
          if (++polls === options.after) options.action === 'kill' ? t.kill() : t.stop()
          return batch
        }
      return reader
    },
  }
  const t = new PipelineTask(
    { ...job, options: { ...job.options, guarantee: options.guarantee ?? job.options.guarantee } },
    {
      io: watched,
      dataDir: platform.store.dir,
      checkpoints: options.checkpoints,
    },
  )
  return { task: t, batches }
}

test('an event-time pipeline over embedded topics gives exact windowed counts, exactly once', async (t) => {
  const platform = await testPlatform(t)
  const input = clicks(3, 3000)
  await produce(platform.store, 'clicks', input)
  const { task: run, batches } = task(platform, clicksPipeline())
  assert.equal(await run.run(), 'finished')
  assert.equal(run.stats.recordsIn, 9000)
  assert.ok(Math.max(...batches) <= 100)
  const out = await committed(platform.store, 'clicks-per-minute')
  assert.deepEqual(windowCounts(out.records), clicksPerMinute(input))
  assert.equal(run.stats.recordsOut, out.records.length)
  assert.equal(out.open, 0)
  // Keys decide partitions the way Kafka's default partitioner does.
  const { partitionFor } = await import('../partitioning/partition.ts')
  for (const r of out.records) assert.equal(r.partition, partitionFor(r.key!, 2))
  const checkpoints = fs.readdirSync(path.join(platform.store.dir, 'pipelines/clicks-per-page/checkpoints'))
  assert.equal(checkpoints.length, 3, 'the last three are kept')
  const last = JSON.parse(
    fs.readFileSync(
      path.join(platform.store.dir, 'pipelines/clicks-per-page/checkpoints', checkpoints.at(-1)!),
      'utf8',
    ),
  )
  assert.equal(last.finished, true)
  assert.deepEqual(last.sources['source-1'].offsets, [3000, 3000, 3000])
  // A finished pipeline run again does nothing more.
  const again = task(platform, clicksPipeline()).task
  assert.equal(await again.run(), 'finished')
  assert.deepEqual(
    windowCounts((await committed(platform.store, 'clicks-per-minute')).records),
    clicksPerMinute(input),
  )
})

test('stopped mid-stream and restarted, a pipeline continues from its checkpoint: same output', async (t) => {
  const platform = await testPlatform(t)
  const input = clicks(3, 2000, 2)
  await produce(platform.store, 'clicks', input)
  for (const after of [5, 17, 31]) {
    const run = task(platform, clicksPipeline(), { after, action: 'stop' }).task
    assert.equal(await run.run(), 'stopped')
  }
  const last = task(platform, clicksPipeline()).task
  assert.equal(await last.run(), 'finished')
  assert.equal(last.stats.recordsIn, 6000, 'each input record counted once across the runs')
  const out = await committed(platform.store, 'clicks-per-minute')
  assert.deepEqual(windowCounts(out.records), clicksPerMinute(input))
  assert.equal(out.aborted, 0, 'orderly stops commit everything')
})

test('killed mid-stream, restarts abort the uncommitted output: still exactly once', async (t) => {
  const platform = await testPlatform(t)
  const input = clicks(3, 2000, 3)
  await produce(platform.store, 'clicks', input)
  // Checkpoints only at start: everything a killed run writes is in its open transaction.
  const p = () => clicksPipeline({ checkpointEvery: '1h' })
  for (const after of [30, 45, 12]) {
    const run = task(platform, p(), { after, action: 'kill' }).task
    assert.equal(await run.run(), 'stopped')
    assert.ok(run.stats.recordsOut > 0, `output was written before the kill after ${after} polls`)
    const { open } = await committed(platform.store, 'clicks-per-minute')
    assert.ok(open > 0, 'and left uncommitted')
  }
  assert.equal(await task(platform, p()).task.run(), 'finished')
  const out = await committed(platform.store, 'clicks-per-minute')
  assert.deepEqual(windowCounts(out.records), clicksPerMinute(input))
  assert.ok(out.aborted >= 3, `the killed runs' transactions were aborted (${out.aborted})`)
  assert.equal(out.open, 0)
  for (const log of platform.store.topic('clicks-per-minute')!.partitions)
    assert.equal(log.lastStableOffset, log.highWatermark)
})

test('at-least-once: output is visible at once, and a kill repeats what followed the checkpoint', async (t) => {
  const platform = await testPlatform(t)
  const input = clicks(3, 2000, 4)
  await produce(platform.store, 'clicks', input)
  const p = () => clicksPipeline({ checkpointEvery: '1h', guarantee: 'at-least-once' })
  const killed = task(platform, p(), { after: 40, action: 'kill' }).task
  await killed.run()
  const early = await committed(platform.store, 'clicks-per-minute')
  assert.equal(early.records.length, killed.stats.recordsOut, 'no transactions: visible as written')
  assert.ok(early.records.length > 0)
  assert.equal(await task(platform, p()).task.run(), 'finished')
  const out = await committed(platform.store, 'clicks-per-minute')
  const seen = new Map<string, number>()
  for (const r of out.records) seen.set(r.value!, (seen.get(r.value!) ?? 0) + 1)
  const distinct = windowCounts(
    [...new Set(out.records.map((r) => r.value))].map((value) => ({
      ...out.records.find((r) => r.value === value)!,
    })),
  )
  assert.deepEqual(distinct, clicksPerMinute(input), 'everything is there')
  assert.ok(
    [...seen.values()].some((n) => n > 1),
    'and some of it twice',
  )
})

test('bad records: fail stops the pipeline, skip counts them, deadLetter keeps their bytes', async (t) => {
  const platform = await testPlatform(t)
  const values = ['{"n":1}', 'not json', '{"n":2}', Buffer.from([0xff, 0x7b]), '{"n":3}']
  await produce(platform.store, 'numbers', [values], { raw: (v) => v as string | Buffer })
  const build = (name: string, onBadRecord: PipelineOptions['onBadRecord']) => {
    const p = pipeline(name, { onBadRecord })
    p.from(topic<{ n: number }>('numbers', { bounded: true }))
      .map((v) => v.n * 10)
      .to(topic(`${name}-out`))
    return p
  }
  await assert.rejects(task(platform, build('failing', 'fail')).task.run(), (e) => {
    assert.ok(isRiffleError(e, 'INVALID_RECORD'))
    assert.match(e.message, /topic numbers: numbers\/0@1: not json: .*onBadRecord is 'fail'/)
    return true
  })
  const skipping = task(platform, build('skipping', 'skip')).task
  assert.equal(await skipping.run(), 'finished')
  assert.equal(skipping.stats.skipped, 2)
  assert.deepEqual(
    (await committed(platform.store, 'skipping-out')).records.map((r) => r.value),
    ['10', '20', '30'],
  )
  const dead = task(platform, build('dead', { deadLetter: 'numbers-dlq' })).task
  assert.equal(await dead.run(), 'finished')
  assert.equal(dead.stats.deadLettered, 2)
  assert.deepEqual(
    (await committed(platform.store, 'dead-out')).records.map((r) => r.value),
    ['10', '20', '30'],
  )
  const dlq = platform.store.topic('numbers-dlq')!.partitions[0]!
  const { bytes } = await dlq.read(0, 1 << 20)
  const letters = decodeRecordBatch(bytes, 0).records
  assert.deepEqual(
    letters.map((r) => [
      r.value?.toString('latin1'),
      Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString()])),
    ]),
    [
      [
        'not json',
        {
          'riffle.error': letters[0]!.headers[0]!.value!.toString(),
          'riffle.pipeline': 'dead',
          'riffle.source': 'topic numbers',
          'riffle.partition': '0',
          'riffle.offset': '1',
        },
      ],
      [
        '\xff{',
        {
          'riffle.error': 'numbers/0@3: not json: invalid UTF-8',
          'riffle.pipeline': 'dead',
          'riffle.source': 'topic numbers',
          'riffle.partition': '0',
          'riffle.offset': '3',
        },
      ],
    ],
  )
  assert.match(letters[0]!.headers[0]!.value!.toString(), /^numbers\/0@1: not json: Unexpected token/)
})

test('a generator and a JSON-lines file in, a file out: exactly once across kills', async (t) => {
  const platform = await testPlatform(t)
  const dir = tempDir(t)
  const lines = Array.from({ length: 1500 }, (_, i) =>
    JSON.stringify({ shop: `s${i % 4}`, amount: i, at: i * 100 }),
  )
  fs.writeFileSync(path.join(dir, 'sales.jsonl'), `${lines.join('\n')}\n\nnot json\n`)
  const build = () => {
    const p = pipeline('files', { checkpointEvery: '1h', batchSize: 50, onBadRecord: 'skip' })
    const fromFile = p.from(file<{ shop: string; amount: number; at: number }>(path.join(dir, 'sales.jsonl')))
    const generated = p
      .from(generator((i) => ({ shop: `s${i % 4}`, amount: -i, at: i * 100 }), { count: 1500 }))
      .withEventTime((s) => s.at)
    fromFile
      .withEventTime((s) => s.at)
      .union(generated)
      .keyBy((s) => s.shop)
      .window(tumbling('10s'))
      .aggregate(sum((s: { amount: number }) => s.amount))
      .to(file(path.join(dir, 'out.jsonl')))
    return p
  }
  const checkpointed = () => {
    const cp = new CheckpointStore(path.join(platform.store.dir, 'pipelines/files/checkpoints'), 3).latest()!
    return (Object.values(cp.sinks)[0] as { size: number }).size
  }
  for (const after of [12, 24]) {
    const run = task(platform, build(), { after, action: 'kill' }).task
    await run.run()
    const size = fs.statSync(path.join(dir, 'out.jsonl')).size
    assert.ok(size > checkpointed(), `lines after the checkpoint (${size} bytes) are cut off on restart`)
  }
  const last = task(platform, build()).task
  assert.equal(await last.run(), 'finished')
  assert.equal(last.stats.skipped, 1)
  const out = fs
    .readFileSync(path.join(dir, 'out.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  // Each 10 s window holds 100 indices i of one shop-residue class from both sources: i and -i cancel.
  assert.equal(out.length, 4 * 15)
  assert.deepEqual(
    out.map((w) => `${w.key}@${w.start}=${w.value}`).sort(),
    Array.from({ length: 60 }, (_, k) => `s${k % 4}@${Math.floor(k / 4) * 10_000}=0`).sort(),
  )
})

test('large keyed state is checkpointed incrementally and restored exactly across stops and kills', async (t) => {
  const platform = await testPlatform(t)
  const dir = tempDir(t)
  const out = path.join(dir, 'out.jsonl')
  const events = 12_000
  // The first 3000 events make 3000 keys; after them keys advance slowly (4 events each), so a
  // run of a few dozen batches touches a few hundred of the keys its window state holds.
  const keyOf = (i: number): string => `k${i < 3000 ? i : Math.floor((i - 3000) / 4) % 3000}`
  const build = () => {
    const p = pipeline('large-state', { checkpointEvery: '1h', batchSize: 40 })
    p.from(generator((i) => ({ key: keyOf(i), amount: i }), { count: events, timestamp: (i) => i }))
      .keyBy((e) => e.key)
      .window(tumbling('1h'))
      .aggregate(sum((e: { amount: number }) => e.amount))
      .to(file(out))
    return p
  }
  const writes: { chunks: number; reused: number }[] = []
  for (const [after, action] of [
    [100, 'stop'],
    [30, 'kill'],
    [25, 'stop'],
    [40, 'kill'],
    [30, 'stop'],
  ] as const) {
    // Chunked from any size (the default leaves arrays under 1 MiB of JSON whole).
    const store = new CheckpointStore(
      path.join(platform.store.dir, 'pipelines/large-state/checkpoints'),
      3,
      0,
    )
    const run = task(platform, build(), { after, action, checkpoints: store }).task
    const write = store.write.bind(store)
    store.write = async (cp) => {
      await write(cp)
      writes.push(store.lastWrite!)
    }
    assert.equal(await run.run(), 'stopped')
  }
  const last = task(platform, build(), {
    checkpoints: new CheckpointStore(
      path.join(platform.store.dir, 'pipelines/large-state/checkpoints'),
      3,
      0,
    ),
  }).task
  assert.equal(await last.run(), 'finished')
  const expected = new Map<string, number>()
  for (let i = 0; i < events; i++) expected.set(keyOf(i), (expected.get(keyOf(i)) ?? 0) + i)
  const lines = fs
    .readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { key: string; start: number; value: number })
  assert.equal(lines.length, 3000)
  assert.deepEqual(new Map(lines.map((w) => [w.key, w.value])), expected)
  // Each checkpoint after the first of a run refers mostly to chunks stored before it.
  const incremental = writes.filter((w) => w.chunks > 100 && w.reused > w.chunks * 0.8)
  assert.ok(incremental.length >= 4, JSON.stringify(writes))
})

test(
  'a checkpoint is written while the task goes on; its output waits for the commit',
  { timeout: 60_000 },
  async (t) => {
    const platform = await testPlatform(t)
    const p = pipeline('async-checkpoints', { checkpointEvery: '1ms', batchSize: 100 })
    p.from(generator((i) => ({ n: i }), { count: 5000, timestamp: (i) => i }))
      .map((e) => e.n)
      .to(topic('async-out'))
    const store = new CheckpointStore(
      path.join(platform.store.dir, 'pipelines/async-checkpoints/checkpoints'),
      3,
    )
    // The second checkpoint's write (the first after input began) waits until the test lets it go.
    let writes = 0
    let release = (): void => {}
    const blocked = new Promise<void>((resolve) => (release = resolve))
    let onBlocked = (): void => {}
    const reached = new Promise<void>((resolve) => (onBlocked = resolve))
    const storage: CheckpointStorage = {
      where: store.where,
      load: () => store.load(),
      async write(cp) {
        if (++writes === 2) {
          onBlocked()
          await blocked
        }
        await store.write(cp)
      },
    }
    const run = task(platform, p, { checkpoints: storage }).task
    const done = run.run()
    await reached
    const out = platform.store.topic('async-out')!.partitions[0]!
    const written = out.highWatermark
    // The task reads on while the checkpoint is written (bounded, all 5000 here), but its output is
    // held back: it belongs to the next transaction, which may begin only after this one's commit.
    while (run.stats.recordsIn < 5000) await new Promise((r) => setTimeout(r, 5))
    assert.equal(out.highWatermark, written)
    assert.equal(run.stats.state, 'running')
    release()
    assert.equal(await done, 'finished')
    const result = await committed(platform.store, 'async-out')
    assert.deepEqual(
      result.records.map((r) => Number(r.value)),
      Array.from({ length: 5000 }, (_, i) => i),
    )
    assert.equal(result.open, 0)
  },
)

test('a checkpoint that does not fit the pipeline is refused with a way out', async (t) => {
  const platform = await testPlatform(t)
  await produce(platform.store, 'clicks', clicks(1, 100))
  assert.equal(await task(platform, clicksPipeline()).task.run(), 'finished')
  const changed = pipeline('clicks-per-page')
  changed
    .from(topic<Click>('clicks', { bounded: true }))
    .map((c) => c.page)
    .keyBy((page) => page)
    .window(tumbling('1m'))
    .aggregate(count())
    .named('counts')
    .to(topic('clicks-per-minute'))
  await assert.rejects(task(platform, changed).task.run(), (e) => {
    assert.ok(isRiffleError(e, 'INVALID_ARGUMENT'))
    assert.match(
      e.message,
      /^checkpoint 2 of pipeline 'clicks-per-page' does not fit this pipeline \(snapshot has no state for node 'map-2'\): its operators changed\. Keep node names stable with \.named\(\), or delete .*pipelines\/clicks-per-page\/checkpoints to start over$/,
    )
    return true
  })
})
