// Consumer groups with real clients: two members share a four-partition topic and rebalance as a
// second member joins and the first leaves; every record is consumed (and committed) exactly once
// across the members. Then both stop, more records arrive, and a restarted member resumes exactly
// at the committed offsets: no loss, no duplicates. With kafkajs, confluent-kafka (librdkafka) and
// @platformatic/kafka consumers in turn.
import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import {
  type Member,
  type MemberFactory,
  type OutMessage,
  brokerPerFile,
  confluentMember,
  createTopics,
  expectedRecords,
  kafkajs,
  kafkajsMember,
  platformaticMember,
  sortRecords,
  until,
  writeWithConfluent,
  writeWithKafkajs,
  writeWithPlatformatic,
} from './support.ts'

const ctx = brokerPerFile()
const PARTITIONS = [0, 1, 2, 3]
const T0 = 1_730_000_000_000

function batch(tag: string, perPartition: number, first: number): OutMessage[] {
  const out: OutMessage[] = []
  for (let i = 0; i < perPartition; i++) {
    for (const p of PARTITIONS) {
      out.push({
        partition: p,
        key: `${tag}-k${p}`,
        value: `${tag} p${p} #${i}`,
        headers: [['batch', tag]],
        timestamp: T0 + (first + i) * 1000 + p,
      })
    }
  }
  return out
}

async function groupScenario(
  t: TestContext,
  member: MemberFactory,
  write: (topic: string, m: OutMessage[]) => Promise<unknown>,
  group: string,
) {
  const topic = `${group}-topic`
  await createTopics(ctx.bootstrap, [{ topic, partitions: 4 }])
  const everyone: Member[] = []
  const consumed = () => sortRecords(everyone.flatMap((m) => m.records))
  const waitConsumed = (n: number, what: string) =>
    until(
      20_000,
      () => `${what}: ${consumed().length}/${n} consumed`,
      () => consumed().length >= n,
    )
  const waitAssigned = (want: Array<[Member, number]>, what: string) =>
    until(
      20_000,
      () => `${what}: ${want.map(([m]) => `${m.name}=${JSON.stringify(m.assignment())}`).join(' ')}`,
      () => {
        const all = want.flatMap(([m]) => m.assignment())
        return (
          want.every(([m, n]) => m.assignment().length === n) &&
          new Set(all).size === PARTITIONS.length &&
          all.length === PARTITIONS.length
        )
      },
    )

  // A alone owns all four partitions and consumes the first batch.
  const a = await member(t, 'A', group, topic)
  everyone.push(a)
  await waitAssigned([[a, 4]], 'A owns every partition')
  const first = batch('one', 5, 0)
  await write(topic, first)
  await waitConsumed(20, 'A consumes batch one')
  assert.equal(a.records.length, 20)

  // B joins: two partitions each.
  const b = await member(t, 'B', group, topic)
  everyone.push(b)
  await waitAssigned(
    [
      [a, 2],
      [b, 2],
    ],
    'A and B share the partitions',
  )
  const ownerOf = new Map([
    ...a.assignment().map((p) => [p, a] as const),
    ...b.assignment().map((p) => [p, b] as const),
  ])
  const second = batch('two', 5, 5)
  await write(topic, second)
  await waitConsumed(40, 'A and B consume batch two')
  for (const m of [a, b]) {
    for (const r of m.records.filter((r) => r.value?.startsWith('two'))) {
      assert.equal(
        ownerOf.get(r.partition)!.name,
        m.name,
        `partition ${r.partition} of batch two read by its owner`,
      )
    }
  }
  assert.ok(
    a.records.some((r) => r.value?.startsWith('two')) && b.records.some((r) => r.value?.startsWith('two')),
    'both members consumed part of batch two',
  )

  // A leaves: B takes all four.
  await a.stop()
  await waitAssigned([[b, 4]], 'B owns every partition after A left')
  const third = batch('three', 5, 10)
  await write(topic, third)
  await waitConsumed(60, 'B consumes batch three')

  // Exactly once across members, with exact content.
  const all = [...first, ...second, ...third]
  assert.deepEqual(consumed(), expectedRecords(topic, all))

  // Both stopped: the group's committed offsets are the ends of the partitions.
  await b.stop()
  const admin = kafkajs(ctx.bootstrap).admin()
  await admin.connect()
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] })
    assert.deepEqual(
      offsets!.partitions.map((p) => [p.partition, p.offset]).sort(),
      PARTITIONS.map((p) => [p, '15']),
    )
  } finally {
    await admin.disconnect()
  }

  // More records while nobody consumes; a restarted member reads exactly those.
  const fourth = batch('four', 2, 15)
  await write(topic, fourth)
  const c = await member(t, 'C', group, topic)
  everyone.push(c)
  await waitAssigned([[c, 4]], 'C owns every partition')
  await until(
    20_000,
    () => `C consumes batch four: ${c.records.length}/8`,
    () => c.records.length >= 8,
  )
  await new Promise((r) => setTimeout(r, 500)) // anything extra (a duplicate) would arrive now
  assert.deepEqual(sortRecords(c.records), expectedRecords(topic, fourth, { 0: 15, 1: 15, 2: 15, 3: 15 }))
  await c.stop()
}

test('kafkajs consumer group: rebalance on join and leave, exactly once, resume at committed offsets', async (t) => {
  await groupScenario(
    t,
    kafkajsMember(ctx.bootstrap),
    (topic, m) => writeWithKafkajs(ctx.bootstrap, topic, m),
    'kafkajs-group',
  )
})

test('confluent-kafka consumer group: rebalance on join and leave, exactly once, resume at committed offsets', async (t) => {
  await groupScenario(
    t,
    confluentMember(ctx.bootstrap),
    (topic, m) => writeWithConfluent(t, ctx.bootstrap, topic, m),
    'ck-group',
  )
})

test('@platformatic/kafka consumer group: rebalance on join and leave, exactly once, resume at committed offsets', async (t) => {
  await groupScenario(
    t,
    platformaticMember(ctx.bootstrap),
    (topic, m) => writeWithPlatformatic(ctx.bootstrap, topic, m),
    'plt-group',
  )
})
