// Produce and consume through every client: kafkajs, @platformatic/kafka, kcat, confluent-kafka
// (librdkafka) and kafka-python. Each writes the same kinds of records (keys and null keys, values,
// null and empty values, repeated and non-ASCII headers, explicit timestamps, a 50 kB value) to its
// own two-partition topic and reads them back; then every client reads every other client's topic
// and must see exactly the same keys, values, headers, timestamps and offsets.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  type Delivery,
  type OutMessage,
  READERS,
  type ReaderName,
  type Rec,
  brokerPerFile,
  createTopics,
  expectedRecords,
  readWithConfluent,
  readWithKafkaPython,
  readWithKafkajs,
  readWithKcat,
  readWithPlatformatic,
  writeWithConfluent,
  writeWithKafkaPython,
  writeWithKafkajs,
  writeWithKcat,
  writeWithPlatformatic,
} from './support.ts'

const ctx = brokerPerFile()
const T0 = 1_700_000_000_000

/** The records every client (but kcat) writes, tagged with the writer's name. */
function sample(tag: string): OutMessage[] {
  return [
    {
      partition: 0,
      key: `${tag}-k0`,
      value: `${tag} hello`,
      headers: [
        ['trace-id', `${tag}-abc`],
        ['kind', 'greeting'],
      ],
      timestamp: T0,
    },
    { partition: 1, key: null, value: `${tag} without a key`, headers: [], timestamp: T0 + 1 },
    {
      partition: 0,
      key: `${tag}-k2`,
      value: `ünïcødé ✓ 日本 ${tag}`,
      headers: [
        ['dup', 'first'],
        ['dup', 'second'],
        ['ключ', 'значение'],
      ],
      timestamp: T0 + 2000,
    },
    { partition: 1, key: `${tag}-k3`, value: null, headers: [['tombstone', 'yes']], timestamp: T0 + 3000 },
    // An earlier timestamp than the records before it, an empty value and an empty header value.
    { partition: 0, key: `${tag}-k4`, value: '', headers: [['empty', '']], timestamp: T0 - 60_000 },
    {
      partition: 1,
      key: `${tag}-k5`,
      value: `${tag}:${'x'.repeat(50_000)}`,
      headers: [],
      timestamp: T0 + 4000,
    },
  ]
}

/** What kcat can write: no timestamps, no empty strings (with -Z they mean null), one header set per run. */
function kcatSample(): OutMessage[] {
  return [
    {
      partition: 0,
      key: 'kcat-k0',
      value: 'kcat hello',
      headers: [
        ['trace-id', 'kcat-abc'],
        ['kind', 'greeting'],
      ],
    },
    {
      partition: 0,
      key: 'kcat-k1',
      value: 'ünïcødé ✓ 日本 kcat',
      headers: [
        ['trace-id', 'kcat-abc'],
        ['kind', 'greeting'],
      ],
    },
    { partition: 1, key: null, value: 'kcat without a key', headers: [] },
    { partition: 1, key: 'kcat-k3', value: null, headers: [] },
    { partition: 1, key: 'kcat-k4', value: `kcat:${'x'.repeat(50_000)}`, headers: [] },
    {
      partition: 0,
      key: 'kcat-k5',
      value: 'kcat repeated headers',
      headers: [
        ['dup', 'first'],
        ['dup', 'second'],
      ],
    },
  ]
}

/** Per writer: its topic and the records it must hold, filled in by the writer's test. */
const written = new Map<ReaderName, { topic: string; records: Rec[] }>()

function assertDeliveries(deliveries: Delivery[], topic: string, messages: OutMessage[]) {
  const expected = expectedRecords(topic, messages)
  // Map each message to its expected offset in input order.
  const next = new Map<number, number>()
  const wanted = messages.map((m) => {
    const offset = next.get(m.partition) ?? 0
    next.set(m.partition, offset + 1)
    return { partition: m.partition, offset }
  })
  assert.deepEqual(deliveries, wanted)
  return expected
}

async function roundTrip(
  name: ReaderName,
  write: (topic: string, messages: OutMessage[]) => Promise<Delivery[]>,
  read: (topic: string) => Promise<Rec[]>,
) {
  const topic = `from-${name.replace(/[^a-z]/g, '')}`
  await createTopics(ctx.bootstrap, [{ topic, partitions: 2 }])
  const messages = sample(name)
  const expected = assertDeliveries(await write(topic, messages), topic, messages)
  assert.deepEqual(await read(topic), expected)
  written.set(name, { topic, records: expected })
}

test('kafkajs writes and reads keys, values, headers and timestamps', async () => {
  await roundTrip(
    'kafkajs',
    (topic, m) => writeWithKafkajs(ctx.bootstrap, topic, m),
    (topic) => readWithKafkajs(ctx.bootstrap, [topic]),
  )
})

test('@platformatic/kafka writes and reads keys, values, headers and timestamps', async () => {
  await roundTrip(
    '@platformatic/kafka',
    (topic, m) => writeWithPlatformatic(ctx.bootstrap, topic, m),
    (topic) => readWithPlatformatic(ctx.bootstrap, [topic]),
  )
})

test('confluent-kafka writes and reads keys, values, headers and timestamps', async (t) => {
  await roundTrip(
    'confluent-kafka',
    (topic, m) => writeWithConfluent(t, ctx.bootstrap, topic, m),
    (topic) => readWithConfluent(t, ctx.bootstrap, [topic]),
  )
})

test('kafka-python writes and reads keys, values, headers and timestamps', async (t) => {
  await roundTrip(
    'kafka-python',
    (topic, m) => writeWithKafkaPython(t, ctx.bootstrap, topic, m),
    (topic) => readWithKafkaPython(t, ctx.bootstrap, [topic]),
  )
})

test('kcat writes and reads keys, values and headers; librdkafka stamps the create time', async (t) => {
  const topic = 'from-kcat'
  await createTopics(ctx.bootstrap, [{ topic, partitions: 2 }])
  const messages = kcatSample()
  const before = Date.now()
  await writeWithKcat(t, ctx.bootstrap, topic, messages)
  const after = Date.now()
  const read = await readWithKcat(t, ctx.bootstrap, [topic])
  for (const r of read) {
    assert.ok(
      r.timestamp >= before - 5 && r.timestamp <= after + 5,
      `timestamp ${r.timestamp} within [${before}, ${after}]`,
    )
  }
  // Timestamps are librdkafka's clock; everything else is known exactly.
  const expected = expectedRecords(
    topic,
    messages.map((m, i) => ({
      ...m,
      timestamp: read.find((r) => r.key === m.key && r.value === m.value)?.timestamp ?? -i,
    })),
  )
  assert.deepEqual(read, expected)
  written.set('kcat', { topic, records: expected })
})

for (const reader of Object.keys(READERS) as ReaderName[]) {
  test(`${reader} reads exactly what every client wrote`, async (t) => {
    assert.equal(written.size, 5, `all five writers ran: ${[...written.keys()]}`)
    const topics = [...written.values()].map((w) => w.topic)
    const read = await READERS[reader](t, ctx.bootstrap, topics)
    for (const [writer, w] of written) {
      assert.deepEqual(
        read.filter((r) => r.topic === w.topic),
        w.records,
        `${reader} reading what ${writer} wrote`,
      )
    }
    assert.equal(
      read.length,
      [...written.values()].reduce((n, w) => n + w.records.length, 0),
    )
  })
}
