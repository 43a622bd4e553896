// Topic administration through three admin clients: kafkajs, @platformatic/kafka and confluent-kafka's
// AdminClient (librdkafka). Each creates a topic with partitions and configs, sees them described,
// alters configs (incrementally where the client can) and observes the effect on produce/consume,
// adds partitions, deletes the topic, and gets the exact Kafka errors for existing and unknown topics.
// The broker runs without topic auto-creation, so a deleted topic stays deleted.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Admin, Producer as PltProducer } from '@platformatic/kafka'
import { Kafka, logLevel } from 'kafkajs'
import {
  JsonLines,
  PYTHON,
  brokerPerFile,
  clientScript,
  readWithConfluent,
  readWithKafkaPython,
  readWithKafkajs,
  runPython,
} from './support.ts'

const ctx = brokerPerFile({ args: ['--no-auto-create-topics'] })
const TOPIC_RESOURCE = 2
/** DescribeConfigs config sources. */
const TOPIC_CONFIG = 1
const DEFAULT_CONFIG = 5

/** Every topic config Riffle describes, at its default. */
const DEFAULTS: Record<string, string> = {
  'segment.bytes': '1073741824',
  'segment.ms': '604800000',
  'retention.ms': '604800000',
  'retention.bytes': '-1',
  'cleanup.policy': 'delete',
  'delete.retention.ms': '86400000',
  'min.compaction.lag.ms': '0',
  'max.message.bytes': '1048588',
  'index.interval.bytes': '4096',
  'message.timestamp.type': 'CreateTime',
  fsync: 'always',
}

/** kafkajs with one retry, so errors it considers retriable surface quickly. */
function kafkajsAdmin() {
  return new Kafka({
    clientId: 'interop-admin',
    brokers: [ctx.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 },
  }).admin()
}

async function rejectsWith(p: Promise<unknown>, check: (e: Record<string, unknown>) => void) {
  await assert.rejects(p, (e: unknown) => {
    check(e as Record<string, unknown>)
    return true
  })
}

test('kafkajs admin: create with configs, describe, alter, add partitions, delete, errors', async () => {
  const admin = kafkajsAdmin()
  await admin.connect()
  const kafka = new Kafka({
    clientId: 'interop-admin-producer',
    brokers: [ctx.bootstrap],
    logLevel: logLevel.NOTHING,
  })
  const producer = kafka.producer({ retry: { retries: 0 } })
  await producer.connect()
  try {
    const topic = 'kafkajs-admin'
    assert.equal(
      await admin.createTopics({
        topics: [
          {
            topic,
            numPartitions: 3,
            configEntries: [
              { name: 'retention.ms', value: '3600000' },
              { name: 'cleanup.policy', value: 'compact' },
            ],
          },
        ],
      }),
      true,
    )
    const md = await admin.fetchTopicMetadata({ topics: [topic] })
    assert.deepEqual(
      md.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr]).sort(),
      })),
      [
        {
          name: topic,
          partitions: [
            [0, 1, [1], [1]],
            [1, 1, [1], [1]],
            [2, 1, [1], [1]],
          ],
        },
      ],
    )

    const describe = async () => {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: TOPIC_RESOURCE, name: topic }],
      })
      assert.equal(resources.length, 1)
      assert.equal(resources[0]!.errorCode, 0)
      return Object.fromEntries(
        resources[0]!.configEntries.map((c) => [c.configName, [c.configValue, c.isDefault, c.configSource]]),
      )
    }
    const withDefaults = (set: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(DEFAULTS).map(([k, v]) =>
          k in set ? [k, [set[k], false, TOPIC_CONFIG]] : [k, [v, true, DEFAULT_CONFIG]],
        ),
      )
    assert.deepEqual(
      await describe(),
      withDefaults({ 'retention.ms': '3600000', 'cleanup.policy': 'compact' }),
    )

    // AlterConfigs (kafkajs has no incremental variant) replaces the topic's whole set.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: TOPIC_RESOURCE, name: topic, configEntries: [{ name: 'max.message.bytes', value: '2000' }] },
      ],
    })
    assert.deepEqual(await describe(), withDefaults({ 'max.message.bytes': '2000' }))
    // The new limit applies to the next produce: a 5000-byte record is refused, a small one accepted.
    await rejectsWith(
      producer.send({ topic, acks: -1, messages: [{ partition: 0, value: 'x'.repeat(5000) }] }),
      (e) => {
        assert.equal(e.name, 'KafkaJSProtocolError')
        assert.equal(e.type, 'MESSAGE_TOO_LARGE')
      },
    )
    const [small] = await producer.send({
      topic,
      acks: -1,
      messages: [{ partition: 0, key: 'k', value: 'small' }],
    })
    assert.equal(small!.baseOffset, '0')

    await admin.createPartitions({ topicPartitions: [{ topic, count: 5 }] })
    const md5 = await admin.fetchTopicMetadata({ topics: [topic] })
    assert.deepEqual(md5.topics[0]!.partitions.map((p) => p.partitionId).sort(), [0, 1, 2, 3, 4])
    assert.deepEqual(
      await admin.fetchTopicOffsets(topic).then((o) => o.sort((a, b) => a.partition - b.partition)),
      [
        { partition: 0, offset: '1', high: '1', low: '0' },
        { partition: 1, offset: '0', high: '0', low: '0' },
        { partition: 2, offset: '0', high: '0', low: '0' },
        { partition: 3, offset: '0', high: '0', low: '0' },
        { partition: 4, offset: '0', high: '0', low: '0' },
      ],
    )
    // A new producer: the first one's metadata still has three partitions.
    const fresh = kafka.producer({ retry: { retries: 0 } })
    await fresh.connect()
    try {
      const [p4] = await fresh.send({
        topic,
        acks: -1,
        messages: [{ partition: 4, value: 'in a new partition' }],
      })
      assert.deepEqual([p4!.partition, p4!.baseOffset], [4, '0'])
    } finally {
      await fresh.disconnect()
    }

    // Errors. kafkajs reports TOPIC_ALREADY_EXISTS as `false` rather than throwing.
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }), false)
    await rejectsWith(admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] }), (e) => {
      assert.equal(e.type, 'INVALID_PARTITIONS')
    })
    await rejectsWith(
      admin.createPartitions({ topicPartitions: [{ topic: 'no-such-topic', count: 2 }] }),
      (e) => {
        assert.equal(e.type, 'UNKNOWN_TOPIC_OR_PARTITION')
      },
    )
    await rejectsWith(
      admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: TOPIC_RESOURCE, name: 'no-such-topic' }],
      }),
      (e) => assert.equal(e.type, 'UNKNOWN_TOPIC_OR_PARTITION'),
    )
    await rejectsWith(admin.deleteTopics({ topics: ['no-such-topic'] }), (e) => {
      assert.equal(e.name, 'KafkaJSNumberOfRetriesExceeded')
      assert.equal((e.cause as Record<string, unknown>).type, 'UNKNOWN_TOPIC_OR_PARTITION')
    })

    await admin.deleteTopics({ topics: [topic] })
    assert.ok(!(await admin.listTopics()).includes(topic))
    await rejectsWith(admin.fetchTopicMetadata({ topics: [topic] }), (e) =>
      assert.equal(e.type, 'UNKNOWN_TOPIC_OR_PARTITION'),
    )
    // The name can be reused: a new, empty topic with the default configs.
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }), true)
    assert.deepEqual(await describe(), withDefaults({}))
    assert.deepEqual(await admin.fetchTopicOffsets(topic), [
      { partition: 0, offset: '0', high: '0', low: '0' },
    ])
  } finally {
    await producer.disconnect()
    await admin.disconnect()
  }
})

test('@platformatic/kafka admin: create, incremental alter with visible effect, add partitions, delete, errors', async (t) => {
  const admin = new Admin({ clientId: 'interop-plt-admin', bootstrapBrokers: [ctx.bootstrap], retries: 0 })
  t.after(() => admin.close())
  const topic = 'plt-admin'
  const created = await admin.createTopics({
    topics: [topic],
    partitions: 3,
    replicas: 1,
    configs: [
      { name: 'retention.ms', value: '3600000' },
      { name: 'segment.bytes', value: '1048576' },
    ],
  })
  assert.equal(created.length, 1)
  assert.deepEqual(
    { ...created[0], id: undefined },
    {
      id: undefined,
      name: topic,
      partitions: 3,
      replicas: 1,
      configuration: { ...DEFAULTS, 'retention.ms': '3600000', 'segment.bytes': '1048576' },
    },
  )
  assert.match(created[0]!.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  assert.notEqual(created[0]!.id, '00000000-0000-0000-0000-000000000000')

  const describe = async (keys?: string[]) => {
    const [res] = await admin.describeConfigs({
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: keys }],
    })
    return Object.fromEntries(res!.configs.map((c) => [c.name, [c.value, c.configSource]]))
  }
  assert.deepEqual(await describe(['retention.ms', 'segment.bytes', 'cleanup.policy']), {
    'retention.ms': ['3600000', TOPIC_CONFIG],
    'segment.bytes': ['1048576', TOPIC_CONFIG],
    'cleanup.policy': ['delete', DEFAULT_CONFIG],
  })

  // IncrementalAlterConfigs: SET (0), DELETE (1), APPEND (2), SUBTRACT (3); untouched keys stay.
  await admin.incrementalAlterConfigs({
    resources: [
      {
        resourceType: TOPIC_RESOURCE,
        resourceName: topic,
        configs: [
          { name: 'message.timestamp.type', configOperation: 0, value: 'LogAppendTime' },
          { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
          { name: 'retention.ms', configOperation: 1 },
        ],
      },
    ],
  })
  assert.deepEqual(
    await describe(['retention.ms', 'segment.bytes', 'cleanup.policy', 'message.timestamp.type']),
    {
      'retention.ms': [DEFAULTS['retention.ms'], DEFAULT_CONFIG],
      'segment.bytes': ['1048576', TOPIC_CONFIG],
      'cleanup.policy': ['delete,compact', TOPIC_CONFIG],
      'message.timestamp.type': ['LogAppendTime', TOPIC_CONFIG],
    },
  )
  await admin.incrementalAlterConfigs({
    resources: [
      {
        resourceType: TOPIC_RESOURCE,
        resourceName: topic,
        configs: [{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }],
      },
    ],
  })
  assert.deepEqual(await describe(['cleanup.policy']), { 'cleanup.policy': ['compact', TOPIC_CONFIG] })

  // LogAppendTime takes effect: a record sent with an old create time is stamped with the broker's clock.
  const producer = new PltProducer({
    clientId: 'interop-plt-admin-producer',
    bootstrapBrokers: [ctx.bootstrap],
    acks: -1,
  })
  const before = Date.now()
  try {
    await producer.send({
      messages: [
        {
          topic,
          partition: 1,
          key: Buffer.from('k'),
          value: Buffer.from('v'),
          timestamp: 1_000_000_000_000n,
        },
      ],
    })
  } finally {
    await producer.close()
  }
  const after = Date.now()
  const raw = await runPython(t, 'ck_consume.py', ['--bootstrap', ctx.bootstrap, '--topic', topic])
  assert.equal(raw.length, 1)
  const stamped = raw[0]!.timestamp as number
  assert.ok(stamped >= before && stamped <= after, `log append time ${stamped} within [${before}, ${after}]`)
  assert.deepEqual(raw[0], {
    topic,
    partition: 1,
    offset: 0,
    key: 'k',
    value: 'v',
    headers: [],
    timestamp: stamped,
    timestampType: 'LogAppendTime',
  })
  // kafkajs and kafka-python also take the batch's log append time (@platformatic/kafka 2.12 does not:
  // it reports the record's create time whatever the batch's timestamp type).
  assert.deepEqual(
    (await readWithKafkajs(ctx.bootstrap, [topic])).map((r) => r.timestamp),
    [stamped],
  )
  assert.deepEqual(
    (await readWithKafkaPython(t, ctx.bootstrap, [topic])).map((r) => r.timestamp),
    [stamped],
  )

  await admin.createPartitions({ topics: [{ name: topic, count: 6, assignments: [] }] })
  const md = await admin.metadata({ topics: [topic], forceUpdate: true })
  assert.equal(md.topics.get(topic)!.partitionsCount, 6)

  // Errors: every one is a MultipleErrors holding the broker's error for the resource.
  const kafkaError = async (p: Promise<unknown>) => {
    let apiId: unknown
    await rejectsWith(p, (e) => {
      assert.equal(e.code, 'PLT_KFK_MULTIPLE')
      const [response] = e.errors as Array<Record<string, unknown>>
      const [protocol] = response!.errors as Array<Record<string, unknown>>
      apiId = protocol!.apiId
    })
    return apiId
  }
  assert.equal(
    await kafkaError(admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })),
    'TOPIC_ALREADY_EXISTS',
  )
  assert.equal(
    await kafkaError(admin.deleteTopics({ topics: ['no-such-topic'] })),
    'UNKNOWN_TOPIC_OR_PARTITION',
  )
  assert.equal(
    await kafkaError(
      admin.createPartitions({ topics: [{ name: 'no-such-topic', count: 2, assignments: [] }] }),
    ),
    'UNKNOWN_TOPIC_OR_PARTITION',
  )
  assert.equal(
    await kafkaError(admin.createPartitions({ topics: [{ name: topic, count: 6, assignments: [] }] })),
    'INVALID_PARTITIONS',
  )
  assert.equal(
    await kafkaError(
      admin.describeConfigs({ resources: [{ resourceType: TOPIC_RESOURCE, resourceName: 'no-such-topic' }] }),
    ),
    'UNKNOWN_TOPIC_OR_PARTITION',
  )
  assert.equal(
    await kafkaError(
      admin.incrementalAlterConfigs({
        resources: [
          {
            resourceType: TOPIC_RESOURCE,
            resourceName: 'no-such-topic',
            configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }],
          },
        ],
      }),
    ),
    'UNKNOWN_TOPIC_OR_PARTITION',
  )
  assert.equal(
    await kafkaError(
      admin.incrementalAlterConfigs({
        resources: [
          {
            resourceType: TOPIC_RESOURCE,
            resourceName: topic,
            configs: [{ name: 'cleanup.policy', configOperation: 0, value: 'sometimes' }],
          },
        ],
      }),
    ),
    'INVALID_CONFIG',
  )
  assert.deepEqual(await describe(['cleanup.policy']), { 'cleanup.policy': ['compact', TOPIC_CONFIG] })

  await admin.deleteTopics({ topics: [topic] })
  assert.ok(!(await admin.listTopics()).includes(topic))
  assert.equal(await kafkaError(admin.deleteTopics({ topics: [topic] })), 'UNKNOWN_TOPIC_OR_PARTITION')
})

test('confluent-kafka AdminClient: create, describe, alter, add partitions, delete, errors', async (t) => {
  const admin = new JsonLines(t, PYTHON, [clientScript('ck_admin.py'), '--bootstrap', ctx.bootstrap])
  const topic = 'ck-admin'
  const configsOf = (set: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(DEFAULTS).map(([k, v]) => [
        k,
        k in set
          ? { value: set[k], source: TOPIC_CONFIG, isDefault: false, readOnly: false }
          : { value: v, source: DEFAULT_CONFIG, isDefault: true, readOnly: false },
      ]),
    )
  const error = (name: string, code: number) => ({ name, code })
  const errorOf = (r: Record<string, unknown>) => {
    const e = r.error as Record<string, unknown> | undefined
    return e && { name: e.name, code: e.code }
  }

  assert.deepEqual(
    await admin.request({
      op: 'create',
      topic,
      partitions: 3,
      configs: { 'retention.ms': '7200000', 'cleanup.policy': 'compact', 'max.message.bytes': '500000' },
    }),
    { ok: true },
  )
  assert.deepEqual(await admin.request({ op: 'metadata', topic }), { partitions: 3 })
  assert.deepEqual(await admin.request({ op: 'describe', topic }), {
    configs: configsOf({
      'retention.ms': '7200000',
      'cleanup.policy': 'compact',
      'max.message.bytes': '500000',
    }),
  })

  // AlterConfigs (confluent-kafka 1.7 has no incremental call) replaces the set.
  assert.deepEqual(
    await admin.request({
      op: 'alter',
      topic,
      configs: { 'retention.bytes': '1000000', 'cleanup.policy': 'delete,compact' },
    }),
    { ok: true },
  )
  assert.deepEqual(await admin.request({ op: 'describe', topic }), {
    configs: configsOf({ 'retention.bytes': '1000000', 'cleanup.policy': 'delete,compact' }),
  })

  assert.deepEqual(await admin.request({ op: 'partitions', topic, count: 5 }), { ok: true })
  assert.deepEqual(await admin.request({ op: 'metadata', topic }), { partitions: 5 })
  // The new partitions take records: one per partition, read back in place.
  const records = [0, 1, 2, 3, 4].map((p) => ({
    partition: p,
    key: `k${p}`,
    value: `v${p}`,
    headers: [],
    timestamp: 1_720_000_000_000 + p,
  }))
  await runPython(t, 'ck_produce.py', ['--bootstrap', ctx.bootstrap, '--topic', topic], {
    input: records.map((r) => `${JSON.stringify(r)}\n`).join(''),
  })
  assert.deepEqual(
    await readWithConfluent(t, ctx.bootstrap, [topic]),
    records.map((r) => ({ topic, offset: 0, ...r })),
  )

  // Errors, with librdkafka's names for Kafka's codes.
  assert.deepEqual(
    errorOf(await admin.request({ op: 'create', topic, partitions: 1 })),
    error('TOPIC_ALREADY_EXISTS', 36),
  )
  assert.deepEqual(
    errorOf(await admin.request({ op: 'partitions', topic, count: 4 })),
    error('INVALID_PARTITIONS', 37),
  )
  assert.deepEqual(
    errorOf(await admin.request({ op: 'partitions', topic: 'no-such-topic', count: 4 })),
    error('UNKNOWN_TOPIC_OR_PART', 3),
  )
  assert.deepEqual(
    errorOf(await admin.request({ op: 'describe', topic: 'no-such-topic' })),
    error('UNKNOWN_TOPIC_OR_PART', 3),
  )
  assert.deepEqual(
    errorOf(await admin.request({ op: 'delete', topic: 'no-such-topic' })),
    error('UNKNOWN_TOPIC_OR_PART', 3),
  )
  assert.deepEqual(
    errorOf(
      await admin.request({
        op: 'create',
        topic: 'bad-config',
        partitions: 1,
        configs: { 'cleanup.policy': 'bogus' },
      }),
    ),
    error('INVALID_CONFIG', 40),
  )
  assert.deepEqual(
    errorOf(await admin.request({ op: 'create', topic: 'bad-replication', partitions: 1, replication: 3 })),
    error('INVALID_REPLICATION_FACTOR', 38),
  )
  assert.deepEqual(
    errorOf(await admin.request({ op: 'create', topic: 'bad.name/slash', partitions: 1 })),
    error('TOPIC_EXCEPTION', 17),
  )
  assert.deepEqual(
    errorOf(await admin.request({ op: 'metadata', topic: 'bad-config' })),
    error('UNKNOWN_TOPIC_OR_PART', 3),
  )

  assert.deepEqual(await admin.request({ op: 'delete', topic }), { ok: true })
  assert.deepEqual(errorOf(await admin.request({ op: 'metadata', topic })), error('UNKNOWN_TOPIC_OR_PART', 3))
  assert.deepEqual(errorOf(await admin.request({ op: 'delete', topic })), error('UNKNOWN_TOPIC_OR_PART', 3))
  assert.deepEqual(errorOf(await admin.request({ op: 'describe', topic })), error('UNKNOWN_TOPIC_OR_PART', 3))
  admin.closeInput()
  await admin.done(10_000, 'ck_admin.py')
})
