// The broker at the byte level: Riffle's own codec over real sockets against the platform started
// in this process. Third-party clients are exercised in test/interop; this file pins down exact
// responses, error codes and connection behaviour.
import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { test } from 'node:test'
import { decodeResponse, encodeRequest } from '../src/protocol/codec/dispatch.ts'
import { decodeRecordBatch, encodeRecordBatch } from '../src/protocol/records/record.ts'
import { decodeAll, text } from './helpers/batches.ts'
import { startBroker } from './helpers/broker.ts'
import { testPlatform } from './helpers/platform.ts'
import { RawClient } from './helpers/raw-client.ts'
import { ZERO_UUID, fetchRequest, produceRequest } from './helpers/requests.ts'
import { tempDir } from './helpers/tmp.ts'

const ZERO = ZERO_UUID

const fetchReq = (topic: string, offset: bigint, maxWaitMs: number, minBytes = 1) =>
  fetchRequest(topic, offset, { maxWaitMs, minBytes })
const produceReq = (topic: string, records: Buffer, acks = -1, partition = 0) =>
  produceRequest(topic, records, { acks, partition })

const createReq = (
  name: string,
  numPartitions = 1,
  configs: Record<string, string> = {},
  replicationFactor = 1,
  validateOnly = false,
) => ({
  topics: [
    {
      name,
      numPartitions,
      replicationFactor,
      assignments: [],
      configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
    },
  ],
  timeoutMs: 1000,
  validateOnly,
})

test('ApiVersions lists the supported ranges, and an unsupported ApiVersions version gets a v0 answer with UNSUPPORTED_VERSION', async (t) => {
  const p = await testPlatform(t)
  const c = await RawClient.connect(p.kafka.port)
  t.after(() => c.close())
  const v3 = await c.request(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' })
  assert.equal(v3.errorCode, 0)
  const ranges = new Map(v3.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]))
  assert.deepEqual(ranges.get(0), [0, 9])
  assert.deepEqual(ranges.get(1), [4, 12])
  assert.deepEqual(ranges.get(18), [0, 3])
  assert.deepEqual(ranges.get(22), [0, 4])
  assert.equal(ranges.has(27), false, 'WriteTxnMarkers is inter-broker only')
  // v4 is newer than the broker serves: the reply is ApiVersions v0 carrying error 35.
  const frame = await c.sendRaw(
    Buffer.concat(
      encodeRequest(
        18,
        4,
        { correlationId: 77, clientId: 'x' },
        { clientSoftwareName: 'a', clientSoftwareVersion: 'b' },
      ),
    ),
    77,
  )
  const v0 = decodeResponse(18, 0, frame)
  assert.equal(v0.correlationId, 77)
  assert.equal(v0.body.errorCode, 35)
  assert.deepEqual(v0.body.apiKeys, v3.apiKeys)
  // The connection stays usable.
  assert.equal((await c.request(18, 0, { clientSoftwareName: '', clientSoftwareVersion: '' })).errorCode, 0)
})

test('an unsupported API, a malformed frame or an oversized request closes only that connection', async (t) => {
  const p = await testPlatform(t, { maxRequestBytes: 4096 })
  const good = await RawClient.connect(p.kafka.port)
  t.after(() => good.close())
  const bad1 = await RawClient.connect(p.kafka.port)
  bad1.socket.write(
    Buffer.concat(encodeRequest(17, 1, { correlationId: 1, clientId: 'x' }, { mechanism: 'PLAIN' })),
  )
  await bad1.closed
  const bad2 = await RawClient.connect(p.kafka.port)
  bad2.socket.write(Buffer.from([0, 0, 0, 6, 0, 3, 0, 9, 0xff, 0xff]))
  await bad2.closed
  const bad3 = await RawClient.connect(p.kafka.port)
  const huge = Buffer.alloc(8)
  huge.writeInt32BE(5000, 0)
  bad3.socket.write(huge)
  await bad3.closed
  const md = await good.request(3, 12, {
    topics: null,
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  })
  assert.equal(md.brokers[0]!.port, p.kafka.port)
})

test('produce answers per partition, acks=0 gets no response, and responses keep request order', async (t) => {
  const p = await testPlatform(t, { autoCreateTopics: false })
  const c = await RawClient.connect(p.kafka.port)
  t.after(() => c.close())
  assert.equal((await c.request(19, 7, createReq('orders', 2))).topics[0]!.errorCode, 0)
  const unknown = await c.request(0, 9, produceReq('nope', encodeRecordBatch([{ value: 'x' }])))
  assert.equal(unknown.responses[0]!.partitionResponses[0]!.errorCode, 3)
  const badPartition = await c.request(0, 9, produceReq('orders', encodeRecordBatch([{ value: 'x' }]), -1, 5))
  assert.equal(badPartition.responses[0]!.partitionResponses[0]!.errorCode, 3)
  const badAcks = await c.request(0, 9, produceReq('orders', encodeRecordBatch([{ value: 'x' }]), 2))
  assert.equal(badAcks.responses[0]!.partitionResponses[0]!.errorCode, 21)
  const v2 = await c.request(0, 2, produceReq('orders', encodeRecordBatch([{ value: 'x' }])))
  assert.equal(v2.responses[0]!.partitionResponses[0]!.errorCode, 43, 'old message-set versions are refused')
  const corrupt = encodeRecordBatch([{ value: 'x' }])
  corrupt[corrupt.length - 1]! ^= 1
  assert.equal(
    (await c.request(0, 9, produceReq('orders', corrupt))).responses[0]!.partitionResponses[0]!.errorCode,
    2,
  )
  // acks=0 produces nothing on the wire; the next request's answer is the next frame.
  c.socket.write(
    Buffer.concat(
      encodeRequest(
        0,
        9,
        { correlationId: 500, clientId: 'x' },
        produceReq('orders', encodeRecordBatch([{ value: 'fire-and-forget' }]), 0),
      ),
    ),
  )
  const ok = await c.request(
    0,
    9,
    produceReq('orders', encodeRecordBatch([{ value: 'acked', timestamp: 42 }])),
  )
  assert.equal(ok.responses[0]!.partitionResponses[0]!.errorCode, 0)
  assert.equal(ok.responses[0]!.partitionResponses[0]!.baseOffset, 1n)
  const f = await c.request(1, 12, fetchReq('orders', 0n, 0))
  assert.deepEqual(
    decodeAll(f.responses[0]!.partitions[0]!.records!).map((r) => [r.offset, text(r.value)]),
    [
      [0n, 'fire-and-forget'],
      [1n, 'acked'],
    ],
  )
  assert.equal(f.responses[0]!.partitions[0]!.highWatermark, 2n)
})

test('auto-creation on metadata and produce uses the default partition count; invalid names are rejected', async (t) => {
  const p = await testPlatform(t, { defaultPartitions: 3 })
  const c = await RawClient.connect(p.kafka.port)
  t.after(() => c.close())
  const md = await c.request(3, 12, {
    topics: [
      { topicId: ZERO, name: 'auto' },
      { topicId: ZERO, name: 'bad/name' },
    ],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  })
  assert.deepEqual(
    md.topics.map((x) => [
      x.name,
      x.errorCode,
      x.partitions.map((q) => [q.partitionIndex, q.leaderId, q.replicaNodes]),
    ]),
    [
      [
        'auto',
        0,
        [
          [0, 1, [1]],
          [1, 1, [1]],
          [2, 1, [1]],
        ],
      ],
      ['bad/name', 17, []],
    ],
  )
  const noCreate = await c.request(3, 12, {
    topics: [{ topicId: ZERO, name: 'still-missing' }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  })
  assert.equal(noCreate.topics[0]!.errorCode, 3)
  const produced = await c.request(0, 7, produceReq('by-produce', encodeRecordBatch([{ value: 'v' }])))
  assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, 0)
  assert.equal(p.store.topic('by-produce')!.meta.partitions, 3)
})

test('fetch long-polls until data arrives or maxWait passes, and reports out-of-range offsets', async (t) => {
  const p = await testPlatform(t)
  const c = await RawClient.connect(p.kafka.port)
  const producer = await RawClient.connect(p.kafka.port)
  t.after(() => {
    c.close()
    producer.close()
  })
  await c.request(19, 7, createReq('poll'))
  let started = Date.now()
  const empty = await c.request(1, 12, fetchReq('poll', 0n, 300))
  assert.ok(Date.now() - started >= 250, `returned after ${Date.now() - started} ms`)
  assert.equal(empty.responses[0]!.partitions[0]!.records!.length, 0)
  started = Date.now()
  const waiting = c.request(1, 12, fetchReq('poll', 0n, 10_000))
  await new Promise((r) => setTimeout(r, 150))
  await producer.request(
    0,
    9,
    produceReq('poll', encodeRecordBatch([{ key: 'k', value: 'woke', timestamp: 7 }])),
  )
  const got = await waiting
  assert.ok(Date.now() - started < 5000, 'the append ended the long poll')
  const records = decodeRecordBatch(got.responses[0]!.partitions[0]!.records!).records
  assert.deepEqual(
    records.map((r) => [r.offset, text(r.key), text(r.value), r.timestamp]),
    [[0n, 'k', 'woke', 7]],
  )
  const out = await c.request(1, 12, fetchReq('poll', 5n, 0))
  assert.equal(out.responses[0]!.partitions[0]!.errorCode, 1)
  assert.equal(out.responses[0]!.partitions[0]!.highWatermark, 1n)
  // Finished long polls leave nothing behind on the broker's shutdown signal (no per-fetch leak).
  await Promise.all(Array.from({ length: 40 }, () => c.request(1, 12, fetchReq('poll', 1n, 20))))
  assert.equal(getEventListeners(p.broker.closing, 'abort').length, 0)
  const missing = await c.request(1, 12, fetchReq('nothing-here', 0n, 0))
  assert.equal(missing.responses[0]!.partitions[0]!.errorCode, 3)
})

test('ListOffsets: earliest, latest, by timestamp and max timestamp; DeleteRecords moves the earliest', async (t) => {
  const p = await testPlatform(t)
  const c = await RawClient.connect(p.kafka.port)
  t.after(() => c.close())
  await c.request(19, 7, createReq('times'))
  for (const [i, ts] of [100, 200, 900, 300, 400].entries()) {
    await c.request(0, 9, produceReq('times', encodeRecordBatch([{ value: `m${i}`, timestamp: ts }])))
  }
  const list = async (timestamp: bigint) => {
    const r = await c.request(2, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        {
          name: 'times',
          partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }],
        },
      ],
      timeoutMs: 1000,
    })
    const x = r.topics[0]!.partitions[0]!
    return [x.errorCode, x.offset, x.timestamp]
  }
  assert.deepEqual(await list(-2n), [0, 0n, -1n])
  assert.deepEqual(await list(-1n), [0, 5n, -1n])
  assert.deepEqual(await list(150n), [0, 1n, 200n])
  assert.deepEqual(await list(250n), [0, 2n, 900n])
  assert.deepEqual(await list(901n), [0, -1n, -1n])
  assert.deepEqual(await list(-3n), [0, 2n, 900n])
  const del = await c.request(21, 2, {
    topics: [{ name: 'times', partitions: [{ partitionIndex: 0, offset: 3n }] }],
    timeoutMs: 1000,
  })
  assert.deepEqual(del.topics[0]!.partitions[0], { partitionIndex: 0, lowWatermark: 3n, errorCode: 0 })
  assert.deepEqual(await list(-2n), [0, 3n, -1n])
  assert.deepEqual(await list(150n), [0, 3n, 300n])
  assert.equal((await c.request(1, 12, fetchReq('times', 1n, 0))).responses[0]!.partitions[0]!.errorCode, 1)
})

test('topic administration: create, validate-only, errors, partitions, configs and delete', async (t) => {
  const p = await testPlatform(t)
  const c = await RawClient.connect(p.kafka.port)
  t.after(() => c.close())
  const created = await c.request(
    19,
    7,
    createReq('admin', 2, { 'retention.ms': '60000', 'cleanup.policy': 'delete' }),
  )
  const res = created.topics[0]!
  assert.deepEqual([res.errorCode, res.numPartitions, res.replicationFactor], [0, 2, 1])
  assert.equal(res.topicId, p.store.topic('admin')!.meta.id)
  assert.deepEqual(
    res
      .configs!.filter((x) => ['retention.ms', 'segment.bytes'].includes(x.name))
      .map((x) => [x.name, x.value, x.configSource]),
    [
      ['segment.bytes', '1073741824', 5],
      ['retention.ms', '60000', 1],
    ],
  )
  const codes = async (req: ReturnType<typeof createReq>) =>
    (await c.request(19, 7, req)).topics[0]!.errorCode
  assert.equal(await codes(createReq('admin')), 36)
  assert.equal(await codes(createReq('bad name')), 17)
  assert.equal(await codes(createReq('replicated', 1, {}, 3)), 38)
  assert.equal(await codes(createReq('badconf', 1, { 'retention.ms': 'soon' })), 40)
  assert.equal(await codes(createReq('dry', 4, {}, 1, true)), 0)
  assert.equal(p.store.topic('dry'), undefined, 'validateOnly creates nothing')

  const grow = await c.request(37, 3, {
    topics: [{ name: 'admin', count: 5, assignments: null }],
    timeoutMs: 1000,
    validateOnly: false,
  })
  assert.equal(grow.results[0]!.errorCode, 0)
  const shrink = await c.request(37, 3, {
    topics: [{ name: 'admin', count: 2, assignments: null }],
    timeoutMs: 1000,
    validateOnly: false,
  })
  assert.equal(shrink.results[0]!.errorCode, 37)
  assert.equal(p.store.topic('admin')!.partitions.length, 5)

  const describe = async () => {
    const d = await c.request(32, 4, {
      resources: [
        { resourceType: 2, resourceName: 'admin', configurationKeys: ['cleanup.policy', 'retention.ms'] },
      ],
      includeSynonyms: false,
      includeDocumentation: false,
    })
    return d.results[0]!.configs.map((x) => [x.name, x.value, x.configSource])
  }
  assert.deepEqual(await describe(), [
    ['retention.ms', '60000', 1],
    ['cleanup.policy', 'delete', 1],
  ])
  const inc = await c.request(44, 1, {
    resources: [
      {
        resourceType: 2,
        resourceName: 'admin',
        configs: [
          { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
          { name: 'retention.ms', configOperation: 1, value: null },
        ],
      },
    ],
    validateOnly: false,
  })
  assert.equal(inc.responses[0]!.errorCode, 0)
  assert.deepEqual(await describe(), [
    ['retention.ms', '604800000', 5],
    ['cleanup.policy', 'delete,compact', 1],
  ])
  assert.equal(p.store.topic('admin')!.config.cleanupPolicy.compact, true)
  const replace = await c.request(33, 2, {
    resources: [
      { resourceType: 2, resourceName: 'admin', configs: [{ name: 'retention.ms', value: '1000' }] },
    ],
    validateOnly: false,
  })
  assert.equal(replace.responses[0]!.errorCode, 0)
  assert.deepEqual(await describe(), [
    ['retention.ms', '1000', 1],
    ['cleanup.policy', 'delete', 5],
  ])
  const badAlter = await c.request(44, 1, {
    resources: [
      {
        resourceType: 2,
        resourceName: 'admin',
        configs: [{ name: 'segment.bytes', configOperation: 0, value: 'big' }],
      },
    ],
    validateOnly: false,
  })
  assert.equal(badAlter.responses[0]!.errorCode, 40)

  const id = p.store.topic('admin')!.meta.id
  const deleted = await c.request(20, 6, {
    topics: [{ name: null, topicId: id }],
    topicNames: [],
    timeoutMs: 1000,
  })
  assert.deepEqual(
    deleted.responses.map((r) => [r.name, r.errorCode]),
    [['admin', 0]],
  )
  assert.equal(p.store.topic('admin'), undefined)
  const again = await c.request(20, 5, { topics: [], topicNames: ['admin'], timeoutMs: 1000 })
  assert.equal(again.responses[0]!.errorCode, 3)
})

test('SIGTERM: the broker answers an in-flight long poll, flushes and exits 0', async (t) => {
  const dataDir = tempDir(t)
  const broker = await startBroker(t, dataDir)
  const c = await RawClient.connect(broker.port)
  await c.request(19, 7, createReq('bye'))
  await c.request(0, 9, produceReq('bye', encodeRecordBatch([{ value: 'kept' }])))
  const polling = c.request(1, 12, fetchReq('bye', 1n, 30_000))
  await new Promise((r) => setTimeout(r, 100))
  const started = Date.now()
  const exit = broker.stop()
  const answer = await polling
  assert.equal(answer.responses[0]!.partitions[0]!.errorCode, 0)
  assert.equal(await exit, 0)
  assert.ok(Date.now() - started < 5000)
  const again = await broker.restart()
  const c2 = await RawClient.connect(again.port)
  t.after(() => c2.close())
  const f = await c2.request(1, 12, fetchReq('bye', 0n, 0))
  assert.deepEqual(
    decodeAll(f.responses[0]!.partitions[0]!.records!).map((r) => text(r.value)),
    ['kept'],
  )
})
