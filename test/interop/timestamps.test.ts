// Offsets for a timestamp (ListOffsets by time) through kafkajs (admin.fetchTopicOffsetsByTimestamp),
// confluent-kafka (Consumer.offsets_for_times), kcat -Q and @platformatic/kafka (admin.listOffsets,
// which also reports the found record's timestamp). The answer is the first offset whose timestamp
// is at or after the target, also when timestamps go backwards. Partition 0 holds one record per
// batch over several small segments; partition 1 holds the same timestamps in a single batch.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Admin } from '@platformatic/kafka'
import {
  KCAT,
  type OutMessage,
  brokerPerFile,
  createTopics,
  expectedRecords,
  kafkajs,
  readWithConfluent,
  runJson,
  runPython,
  writeBatchWithPlatformatic,
  writeWithKafkajs,
} from './support.ts'

const ctx = brokerPerFile()
const B = 1_750_000_000_000
const topic = 'times'
/** Record timestamps by offset, the same in both partitions; offsets 4 and 6 go backwards. */
const TIMES = [1000, 2000, 2000, 3000, 2500, 5000, 4000].map((d) => B + d)
const HIGH_WATERMARK = TIMES.length

/** Target timestamp → expected offset (-1: nothing at or after it). */
const CASES: Array<[number, number]> = [
  [B, 0], // before everything
  [B + 1000, 0], // exactly the first
  [B + 1500, 1],
  [B + 2000, 1], // the first of two equal timestamps
  [B + 2001, 3],
  [B + 2500, 3], // offset 4 has exactly 2500, but offset 3 (3000) comes first
  [B + 3001, 5], // 4000 at offset 6 is later than 5000 at offset 5
  [B + 4500, 5],
  [B + 5000, 5], // exactly the largest
  [B + 5001, -1], // after everything
]

async function setup() {
  // Small segments (and an index entry per batch) so that partition 0 spans several of them.
  await createTopics(ctx.bootstrap, [
    { topic, partitions: 2, configs: { 'segment.bytes': '200', 'index.interval.bytes': '1' } },
  ])
  const messages = (partition: number): OutMessage[] =>
    TIMES.map((timestamp, i) => ({ partition, key: `k${i}`, value: `record ${i}`, headers: [], timestamp }))
  await writeWithKafkajs(ctx.bootstrap, topic, messages(0)) // one batch per record
  await writeBatchWithPlatformatic(ctx.bootstrap, topic, messages(1)) // one batch
  return [...messages(0), ...messages(1)]
}

test('the records are in place: partition 0 over several segments, partition 1 in one batch', async (t) => {
  const written = await setup()
  assert.deepEqual(await readWithConfluent(t, ctx.bootstrap, [topic]), expectedRecords(topic, written))
  const fs = await import('node:fs')
  const path = await import('node:path')
  const segments = (p: number) =>
    fs.readdirSync(path.join(ctx.dataDir, 'topics', topic, String(p))).filter((f) => f.endsWith('.log'))
      .length
  assert.ok(segments(0) >= 3, `partition 0 has ${segments(0)} segments`)
  assert.equal(segments(1), 1)
})

test('kafkajs admin.fetchTopicOffsetsByTimestamp gives the first offset at or after the timestamp', async () => {
  const admin = kafkajs(ctx.bootstrap).admin()
  await admin.connect()
  try {
    for (const [ts, offset] of CASES) {
      const got = (await admin.fetchTopicOffsetsByTimestamp(topic, ts)).sort(
        (a, b) => a.partition - b.partition,
      )
      // kafkajs answers the high watermark where the broker found nothing.
      const want = String(offset === -1 ? HIGH_WATERMARK : offset)
      assert.deepEqual(
        got,
        [
          { partition: 0, offset: want },
          { partition: 1, offset: want },
        ],
        `timestamp ${ts - B}`,
      )
    }
  } finally {
    await admin.disconnect()
  }
})

test('confluent-kafka offsets_for_times gives the first offset at or after the timestamp', async (t) => {
  const queries = CASES.flatMap(([ts]) => [0, 1].map((p) => `${p}:${ts}`))
  const lines = await runPython(t, 'ck_offsets_for_times.py', [
    '--bootstrap',
    ctx.bootstrap,
    '--topic',
    topic,
    ...queries.flatMap((q) => ['--query', q]),
  ])
  assert.deepEqual(
    lines,
    CASES.flatMap(([timestamp, offset]) => [0, 1].map((partition) => ({ partition, timestamp, offset }))),
  )
})

test('kcat -Q gives the first offset at or after the timestamp', async (t) => {
  for (const [ts, offset] of CASES) {
    const out = await runJson(t, KCAT, [
      '-Q',
      '-b',
      ctx.bootstrap,
      '-t',
      `${topic}:0:${ts}`,
      '-t',
      `${topic}:1:${ts}`,
      '-J',
    ])
    assert.equal(out.length, 1)
    // kcat -J: {"<topic>": {"topic": ..., "<partition>": {"partition": p, "offset": o}}}
    const byPartition = out[0]![topic] as Record<string, { partition: number; offset: number }>
    assert.deepEqual(
      [byPartition['0']!.offset, byPartition['1']!.offset],
      [offset, offset],
      `timestamp ${ts - B}`,
    )
  }
})

test('@platformatic/kafka admin.listOffsets gives the offset and timestamp of the record found, and the max timestamp', async (t) => {
  const admin = new Admin({ clientId: 'interop-times', bootstrapBrokers: [ctx.bootstrap] })
  t.after(() => admin.close())
  const list = async (timestamp: bigint) => {
    const [res] = await admin.listOffsets({
      topics: [{ name: topic, partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, timestamp })) }],
    })
    return res!.partitions
      .sort((a, b) => a.partitionIndex - b.partitionIndex)
      .map((p) => [p.partitionIndex, Number(p.offset), Number(p.timestamp)])
  }
  for (const [ts, offset] of CASES) {
    const found = offset === -1 ? -1 : TIMES[offset]!
    assert.deepEqual(
      await list(BigInt(ts)),
      [
        [0, offset, found],
        [1, offset, found],
      ],
      `timestamp ${ts - B}`,
    )
  }
  // -1 latest, -2 earliest, -3 the record with the largest timestamp (ListOffsets v7).
  assert.deepEqual(
    (await list(-1n)).map((p) => p.slice(0, 2)),
    [
      [0, HIGH_WATERMARK],
      [1, HIGH_WATERMARK],
    ],
  )
  assert.deepEqual(
    (await list(-2n)).map((p) => p.slice(0, 2)),
    [
      [0, 0],
      [1, 0],
    ],
  )
  assert.deepEqual(await list(-3n), [
    [0, 5, B + 5000],
    [1, 5, B + 5000],
  ])
})
