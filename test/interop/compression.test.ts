// The four compression codecs through librdkafka: confluent-kafka (compression.type) and kcat
// (compression.codec) write multi-record compressed batches; the stored batches carry the codec
// (checked in the segment files), and librdkafka, @platformatic/kafka (all four codecs built in) and
// kafkajs (gzip only: its other codecs need plugins that are not installed) read back exactly the
// records written. Batches compressed by @platformatic/kafka are read back by librdkafka too.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import {
  type Compression,
  type OutMessage,
  type Rec,
  brokerPerFile,
  createTopics,
  expectedRecords,
  readWithConfluent,
  readWithKafkajs,
  readWithKcat,
  readWithPlatformatic,
  writeBatchWithPlatformatic,
  writeWithConfluent,
  writeWithKcat,
} from './support.ts'

const ctx = brokerPerFile()
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const
const CODEC_ID: Record<Compression, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }
const T0 = 1_710_000_000_000

/** Compressible records over two partitions with keys, headers and distinct timestamps. */
function records(tag: string, count: number): OutMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    partition: i % 2,
    key: i % 10 === 9 ? null : `${tag}-key-${i % 7}`,
    value: `${tag} record ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(1 + (i % 5))}`,
    headers:
      i % 3 === 0
        ? []
        : [
            ['seq', String(i)],
            ['codec', tag],
          ],
    timestamp: T0 + i * 10,
  }))
}

/** How many records the stored batches of `topic` hold, by compression codec, read from the segment files. */
function storedRecordsByCodec(topic: string): Map<number, number> {
  const byCodec = new Map<number, number>()
  const dir = path.join(ctx.dataDir, 'topics', topic)
  for (const p of fs.readdirSync(dir).filter((d) => /^\d+$/.test(d))) {
    for (const f of fs.readdirSync(path.join(dir, p)).filter((x) => x.endsWith('.log'))) {
      const bytes = fs.readFileSync(path.join(dir, p, f))
      for (let pos = 0; pos + 61 <= bytes.length; ) {
        assert.equal(bytes.readInt8(pos + 16), 2, 'magic 2')
        const codec = bytes.readInt16BE(pos + 21) & 7
        byCodec.set(codec, (byCodec.get(codec) ?? 0) + bytes.readInt32BE(pos + 57))
        pos += 12 + bytes.readInt32BE(pos + 8)
      }
    }
  }
  return byCodec
}

/**
 * The records are stored in batches compressed with `codec`. librdkafka sends a batch uncompressed
 * when compressing does not make it smaller (a batch of one small record, when a busy machine splits
 * the input), so a few uncompressed records are allowed, but nine in ten must be compressed.
 */
function assertCompressed(topic: string, codec: Compression, count: number) {
  const byCodec = storedRecordsByCodec(topic)
  const compressed = byCodec.get(CODEC_ID[codec]) ?? 0
  assert.deepEqual(
    [...byCodec.keys()].filter((c) => c !== 0 && c !== CODEC_ID[codec]),
    [],
    `no other codec in ${topic}`,
  )
  assert.equal(compressed + (byCodec.get(0) ?? 0), count, `${topic} holds ${count} records`)
  assert.ok(
    compressed >= count * 0.9,
    `${compressed} of the ${count} records of ${topic} are stored ${codec}-compressed`,
  )
}

for (const codec of CODECS) {
  const jsReaders = codec === 'gzip' ? '@platformatic/kafka and kafkajs' : '@platformatic/kafka'
  test(`${codec}: confluent-kafka and kcat write compressed batches; librdkafka, ${jsReaders} read them`, async (t) => {
    const ckTopic = `ck-${codec}`
    const kcatTopic = `kcat-${codec}`
    await createTopics(ctx.bootstrap, [
      { topic: ckTopic, partitions: 2 },
      { topic: kcatTopic, partitions: 2 },
    ])

    const ckMessages = records(`ck-${codec}`, 300)
    const deliveries = await writeWithConfluent(t, ctx.bootstrap, ckTopic, ckMessages, {
      compression: codec,
      lingerMs: 200,
    })
    assert.deepEqual(
      deliveries,
      ckMessages.map((m, i) => ({ partition: m.partition, offset: Math.floor(i / 2) })),
    )
    const expected = expectedRecords(ckTopic, ckMessages)

    // kcat cannot set timestamps: its records are compared without them, and between readers with them.
    // One kcat run per partition: partition 0's records first, then partition 1's.
    const kcatMessages = records(`kcat-${codec}`, 100)
      .map(({ timestamp: _, ...m }): OutMessage => ({ ...m, headers: [['codec', codec]] }))
      .sort((a, b) => a.partition - b.partition)
    await writeWithKcat(t, ctx.bootstrap, kcatTopic, kcatMessages, { compression: codec })

    const byLibrdkafka = await readWithConfluent(t, ctx.bootstrap, [ckTopic, kcatTopic])
    assert.deepEqual(
      byLibrdkafka.filter((r) => r.topic === ckTopic),
      expected,
    )
    const kcatRead = byLibrdkafka.filter((r) => r.topic === kcatTopic)
    const withoutTime = (rs: Rec[]) => rs.map(({ timestamp: _, ...r }) => r)
    const kcatExpected = expectedRecords(
      kcatTopic,
      kcatMessages.map((m) => ({ ...m, timestamp: 0 })),
    )
    assert.deepEqual(withoutTime(kcatRead), withoutTime(kcatExpected))
    assert.deepEqual(await readWithKcat(t, ctx.bootstrap, [kcatTopic]), kcatRead)
    assert.deepEqual(await readWithPlatformatic(ctx.bootstrap, [ckTopic, kcatTopic]), byLibrdkafka)
    if (codec === 'gzip')
      assert.deepEqual(await readWithKafkajs(ctx.bootstrap, [ckTopic, kcatTopic]), byLibrdkafka)

    // Last, so that the read-back above is checked either way: the stored batches are compressed.
    // librdkafka before 2.11.1 (Debian's is 2.0.2) sends gzip, snappy and lz4 uncompressed, logging
    // "Broker does not support compression type", to a broker whose ApiVersions lacks Produce v0.
    assertCompressed(ckTopic, codec, ckMessages.length)
    assertCompressed(kcatTopic, codec, kcatMessages.length)
  })

  test(`${codec}: @platformatic/kafka writes a compressed batch; librdkafka (confluent-kafka, kcat)${codec === 'gzip' ? ' and kafkajs' : ''} read it`, async (t) => {
    const topic = `plt-${codec}`
    await createTopics(ctx.bootstrap, [{ topic, partitions: 2 }])
    const messages = records(`plt-${codec}`, 100)
    await writeBatchWithPlatformatic(ctx.bootstrap, topic, messages, codec)
    assertCompressed(topic, codec, messages.length)
    const expected = expectedRecords(topic, messages)
    assert.deepEqual(await readWithConfluent(t, ctx.bootstrap, [topic]), expected)
    assert.deepEqual(await readWithKcat(t, ctx.bootstrap, [topic]), expected)
    if (codec === 'gzip') assert.deepEqual(await readWithKafkajs(ctx.bootstrap, [topic]), expected)
  })
}
