// Data and committed offsets survive a broker restart on the same data directory and port, after an
// orderly stop (SIGTERM) and after a crash (SIGKILL). A librdkafka group member keeps running across
// the restart and must neither re-read (its commits were kept) nor miss anything; a second group's
// offsets, set by the admin API before the restart, are where a kafkajs member resumes; every record
// written before and after is present with its exact content.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { Admin } from '@platformatic/kafka'
import { startBroker } from '../helpers/broker.ts'
import {
  type OutMessage,
  confluentMember,
  createTopics,
  expectedRecords,
  kafkajs,
  kafkajsMember,
  readWithConfluent,
  sortRecords,
  until,
  writeWithConfluent,
} from './support.ts'

const PARTITIONS = [0, 1, 2]
const T0 = 1_740_000_000_000

function batch(tag: string, perPartition: number, first: number): OutMessage[] {
  const out: OutMessage[] = []
  for (let i = 0; i < perPartition; i++) {
    for (const p of PARTITIONS) {
      out.push({
        partition: p,
        key: `${tag}-k${i % 3}`,
        value: `${tag} p${p} #${i}`,
        headers: [
          ['batch', tag],
          ['i', String(i)],
        ],
        timestamp: T0 + (first + i) * 1000 + p,
      })
    }
  }
  return out
}

async function committed(bootstrap: string, group: string, topic: string): Promise<Array<[number, string]>> {
  const admin = kafkajs(bootstrap).admin()
  await admin.connect()
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] })
    return offsets!.partitions
      .map((p): [number, string] => [p.partition, p.offset])
      .sort((a, b) => a[0] - b[0])
  } finally {
    await admin.disconnect()
  }
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`after ${signal} and a restart on the same data: all records, committed offsets, consumers resume exactly`, async (t) => {
    // Not tempDir(t): after-hooks run in registration order, and the directory must outlive the broker.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riffle-interop-restart-'))
    let broker = await startBroker(t, dataDir)
    t.after(async () => {
      await broker.kill() // whichever broker is current
      fs.rmSync(dataDir, { recursive: true, force: true })
    })
    const { bootstrap, port } = broker
    const topic = 'durable'
    await createTopics(bootstrap, [
      { topic, partitions: 3, configs: { 'retention.ms': '-1' } },
      { topic: 'durable-last', partitions: 3 },
    ])

    const first = batch('before', 10, 0)
    await writeWithConfluent(t, bootstrap, topic, first)

    // A librdkafka member consumes and commits everything, and stays up through the restart.
    const member = await confluentMember(bootstrap)(t, 'M', 'live-group', topic)
    await until(
      20_000,
      () => `M to consume ${member.records.length}/30`,
      () => member.records.length === 30,
    )

    // A group with no members, its offsets set through the admin API (@platformatic/kafka's
    // OffsetCommit outside a generation: kafkajs' setOffsets runs a consumer and takes seconds).
    const admin = new Admin({ clientId: 'interop-restart-admin', bootstrapBrokers: [bootstrap] })
    try {
      await admin.alterConsumerGroupOffsets({
        groupId: 'idle-group',
        topics: [
          {
            name: topic,
            partitionOffsets: [
              { partition: 0, offset: 4n },
              { partition: 1, offset: 7n },
              { partition: 2, offset: 10n },
            ],
          },
        ],
      })
    } finally {
      await admin.close()
    }
    assert.deepEqual(await committed(bootstrap, 'live-group', topic), [
      [0, '10'],
      [1, '10'],
      [2, '10'],
    ])

    // Acknowledged (acks=all) just before the signal.
    const last = batch('last', 2, 0)
    await writeWithConfluent(t, bootstrap, 'durable-last', last)

    if (signal === 'SIGTERM') assert.equal(await broker.stop(), 0)
    else await broker.kill()
    broker = await broker.restart()
    assert.equal(broker.port, port)

    assert.deepEqual(await committed(bootstrap, 'live-group', topic), [
      [0, '10'],
      [1, '10'],
      [2, '10'],
    ])
    assert.deepEqual(await committed(bootstrap, 'idle-group', topic), [
      [0, '4'],
      [1, '7'],
      [2, '10'],
    ])

    const second = batch('after', 5, 10)
    await writeWithConfluent(t, bootstrap, topic, second)
    const all = expectedRecords(topic, [...first, ...second])
    assert.deepEqual(await readWithConfluent(t, bootstrap, [topic]), all)
    assert.deepEqual(
      await readWithConfluent(t, bootstrap, ['durable-last']),
      expectedRecords('durable-last', last),
    )

    // The member that lived through the restart gets exactly the new records, once.
    await until(
      20_000,
      () => `M to consume ${member.records.length}/45`,
      () => member.records.length >= 45,
    )
    await new Promise((r) => setTimeout(r, 500)) // a re-read of old records would show up by now
    assert.deepEqual(sortRecords(member.records), all)
    await member.stop()
    assert.deepEqual(await committed(bootstrap, 'live-group', topic), [
      [0, '15'],
      [1, '15'],
      [2, '15'],
    ])

    // A kafkajs member of the idle group starts at the offsets set before the restart.
    const resumed = await kafkajsMember(bootstrap)(t, 'R', 'idle-group', topic)
    const want = all.filter((r) => r.offset >= [4, 7, 10][r.partition]!)
    await until(
      20_000,
      () => `R to consume ${resumed.records.length}/${want.length}`,
      () => resumed.records.length >= want.length,
    )
    await new Promise((r) => setTimeout(r, 500))
    assert.deepEqual(sortRecords(resumed.records), want)
    await resumed.stop()
  })
}
